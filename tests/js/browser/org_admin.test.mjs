// The organisation-admin part of the admin panel in a real Chromium against a real server:
// the superadmin creates an organisation and acts in it, creates its admin; that admin (a separate
// browser session) manages users (disable → the disabled sign-in message), API keys (the secret shown
// once works against REST until revoked), reads the audit log with filters and paging, and sees the
// usage bars; a viewer sees none of it and a read-only organisation; Russian renders without raw keys;
// axe finds nothing serious on any view; screenshots of every view (desktop, tablet, portrait, dark).
//
//   node web/build.mjs --out /tmp/wo
//   VC_WEB_DIR=/tmp/wo VC_SERVER_BINARY=build/apps/server/videocontrol-server \
//     node --test tests/js/browser/org_admin.test.mjs
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import {
  ADMIN_PASSWORD,
  axe,
  launch,
  newPage,
  rest,
  screenshot,
  signIn,
  waitForText,
} from './harness.mjs';
import { startServer } from './harness.mjs';

const ORG = { name: 'Acme Signage', slug: 'acme-signage' };
const ORGADMIN = { username: 'acme-admin', password: 'Acme-admin-pass-42' };
const OPERATOR = { username: 'dave.ops', password: 'Dave-ops-pass-42' };
const VIEWER = { username: 'vera', password: 'Vera-viewer-pass-42' };
const TABLET = { width: 1024, height: 768 };
const PORTRAIT = { width: 768, height: 1024 };

// English strings of the catalogues this part uses that differ from their Russian ones: none may be
// left on a Russian page. Action codes (user.create…) are shown next to their labels on purpose.
const i18n = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../../web/src/i18n');
const catalogue = (lang) => ({ ...JSON.parse(fs.readFileSync(`${i18n}/${lang}/common.json`)), ...JSON.parse(fs.readFileSync(`${i18n}/${lang}/org.json`)) });
const EN = catalogue('en'), RU = catalogue('ru');
const ENGLISH = Object.entries(EN)
  .filter(([k, v]) => RU[k] !== v && v.length >= 6 && !v.includes('{'))
  .map(([, v]) => v);
const ACTION_CODES = new Set(Object.keys(EN).filter((k) => k.startsWith('audit.action.')).map((k) => k.slice('audit.action.'.length)));

let server, browser;
let adminPage, orgAdminPage, orgAdminContext;
let orgId, orgAdminToken, keySecret;

before(async () => {
  server = await startServer();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.cleanup();
});

// ---- helpers ------------------------------------------------------------------------------------
async function context() {
  const ctx = await browser.createBrowserContext();
  return ctx;
}

async function view(page, hash, heading) {
  await page.evaluate((h) => (location.hash = h), hash);
  await waitForText(page, 'main h1', heading);
  // The view's first load is done when nothing says "Loading…" any more.
  await page.waitForFunction(() => !document.querySelector('main')?.textContent.includes('Loading…') && !document.querySelector('main')?.textContent.includes('Загрузка…'));
}

async function fill(page, selector, value) {
  await page.waitForSelector(selector);
  await page.$eval(selector, (e) => {
    e.focus();
    e.select?.();
  });
  await page.keyboard.press('Backspace');
  await page.type(selector, value);
}

// The answer of the one open confirmation dialog (useConfirm): its dangerous button.
async function confirmDialog(page) {
  await page.waitForSelector('dialog[open] .actions button.danger');
  await page.click('dialog[open] .actions button.danger');
  await page.waitForFunction(() => !document.querySelector('dialog[open]'));
}

async function expectAxeClean(page, what) {
  const violations = await axe(page);
  assert.deepEqual(violations, [], `${what}: axe found ${JSON.stringify(violations, null, 1)}`);
}

function clean(page, what) {
  // Refusals the flow provokes on purpose (a taken slug, a short password) are logged by Chromium.
  const problems = page.problems.filter((p) => !/Failed to load resource: the server responded with a status of (400|401|403|409)/.test(p));
  assert.deepEqual(problems, [], `${what}: the page reported problems`);
}

// A screenshot of the view from its top (a click further down may have scrolled it).
async function shot(page, name) {
  await page.evaluate(() => window.scrollTo(0, 0));
  return screenshot(page, name);
}

async function rowText(page, testid) {
  return page.$eval(`[data-testid="${testid}"]`, (e) => e.textContent);
}

async function signInExpectingError(page, username, password) {
  await page.goto(`${server.url}/signin`, { waitUntil: 'networkidle0' });
  await page.waitForSelector('#username');
  await page.type('#username', username);
  await page.type('#password', password);
  await page.click('button[type=submit]');
  await page.waitForSelector('[data-testid="signin-error"]');
  return page.$eval('[data-testid="signin-error"]', (e) => e.textContent);
}

// ---- the flow -------------------------------------------------------------------------------------
test('the superadmin creates an organisation with its own device limit', async () => {
  adminPage = await newPage(browser);
  await signIn(adminPage, server, 'admin', ADMIN_PASSWORD);
  await view(adminPage, '#/organizations', 'Organisations');
  await expectAxeClean(adminPage, 'organisations');

  await adminPage.click('[data-testid="org-create"]');
  await adminPage.waitForSelector('dialog[open] #org-form-name');
  await adminPage.type('#org-form-name', ORG.name);
  // The slug follows the name until edited.
  assert.equal(await adminPage.$eval('#org-form-slug', (e) => e.value), ORG.slug);
  await adminPage.select('#org-form-plan', 'STARTER');
  await adminPage.select('#org-form-timezone', 'Europe/Moscow');
  // The plan's limits are what an empty field means.
  assert.match(await adminPage.$eval('#org-max-devices', (e) => e.placeholder), /20/);
  await adminPage.type('#org-max-devices', '5');
  await expectAxeClean(adminPage, 'create organisation dialog');
  await shot(adminPage, 'org-admin-organizations-create');
  await adminPage.click('dialog[open] button[type=submit]');
  await adminPage.waitForSelector(`[data-testid="org-row-${ORG.slug}"]`);
  await adminPage.waitForFunction(() => !document.querySelector('dialog[open]'));
  // The row's usage counts arrive after the row itself (one request per organisation); on a loaded
  // machine that takes a while, so wait until no count reads "… / n" (the row's "Edit…" stays).
  await adminPage.waitForFunction(
    (id) => !/… \//.test(document.querySelector(`[data-testid="${id}"]`)?.textContent ?? '… /'),
    { timeout: 30000 },
    `org-row-${ORG.slug}`,
  );
  const row = await rowText(adminPage, `org-row-${ORG.slug}`);
  assert.match(row, /Starter/);
  assert.match(row, /0 \/ 5/, 'the device limit set for this organisation is shown');
  assert.match(row, /0 \/ 10/, 'the plan\'s user limit applies');

  const orgs = await rest(server, 'GET', '/api/v1/organizations', { token: await tokenOf('admin', ADMIN_PASSWORD) });
  const created = orgs.items.find((o) => o.slug === ORG.slug);
  orgId = created.id;
  assert.equal(created.max_devices, 5);
  assert.equal(created.timezone, 'Europe/Moscow');
});

test('a slug already taken is refused with the server\'s reason', async () => {
  await adminPage.click('[data-testid="org-create"]');
  await adminPage.waitForSelector('dialog[open] #org-form-name');
  await adminPage.type('#org-form-name', 'Another');
  await fill(adminPage, '#org-form-slug', ORG.slug);
  await adminPage.click('dialog[open] button[type=submit]');
  await adminPage.waitForSelector('dialog[open] [data-testid="form-error"]');
  assert.match(await adminPage.$eval('dialog[open] [data-testid="form-error"]', (e) => e.textContent), /already used/);
  await adminPage.keyboard.press('Escape');
  await adminPage.waitForFunction(() => !document.querySelector('dialog[open]'));
});

test('the superadmin acts in it (the top bar shows it) and creates its admin', async () => {
  await adminPage.click(`[data-testid="org-act-${ORG.slug}"]`);
  await adminPage.waitForFunction((n) => document.querySelector('main h1')?.textContent.includes(n), {}, ORG.name);
  await adminPage.waitForFunction((n) => document.querySelector('[data-testid="org-switch"]')?.selectedOptions[0]?.textContent === n, {}, ORG.name);
  assert.equal(await adminPage.evaluate(() => sessionStorage.getItem('vc.org')), orgId);

  await view(adminPage, '#/users', 'Users');
  assert.equal(await adminPage.$$eval('[data-testid^="user-row-"]', (r) => r.length), 0, 'the new organisation has no users yet');
  await adminPage.click('[data-testid="user-create"]');
  await adminPage.waitForSelector('dialog[open] #user-name');
  await adminPage.type('#user-name', ORGADMIN.username);
  await adminPage.select('#user-role', 'admin');
  // A password the server refuses: its reason is shown in the dialog.
  await adminPage.type('#user-password', 'short');
  await adminPage.click('dialog[open] button[type=submit]');
  await adminPage.waitForSelector('dialog[open] [data-testid="form-error"]');
  assert.match(await adminPage.$eval('dialog[open] [data-testid="form-error"]', (e) => e.textContent), /too short/);
  await fill(adminPage, '#user-password', ORGADMIN.password);
  await adminPage.click('dialog[open] button[type=submit]');
  await adminPage.waitForSelector(`[data-testid="user-row-${ORGADMIN.username}"]`);
  assert.match(await rowText(adminPage, `user-row-${ORGADMIN.username}`), /admin/);

  const users = await rest(server, 'GET', `/api/v1/users?organization_id=${orgId}`, { token: await tokenOf('admin', ADMIN_PASSWORD) });
  assert.deepEqual(users.items.map((u) => [u.username, u.role]), [[ORGADMIN.username, 'admin']]);
  clean(adminPage, 'superadmin');
});

test('the organisation admin creates a user and disables it; its sign-in then says disabled', async () => {
  orgAdminContext = await context();
  orgAdminPage = await newPage(orgAdminContext);
  await signIn(orgAdminPage, server, ORGADMIN.username, ORGADMIN.password);
  orgAdminToken = await tokenOf(ORGADMIN.username, ORGADMIN.password);
  await view(orgAdminPage, '#/users', 'Users');
  // Its own row says why it cannot disable or delete itself.
  await orgAdminPage.waitForSelector(`[data-testid="user-row-${ORGADMIN.username}"] [data-testid="user-self-note"]`);
  assert.equal(await orgAdminPage.$(`[data-testid="user-delete-${ORGADMIN.username}"]`), null);
  assert.match(await rowText(orgAdminPage, `user-row-${ORGADMIN.username}`), /can't disable, delete or demote yourself/);

  await orgAdminPage.click('[data-testid="user-create"]');
  await orgAdminPage.waitForSelector('dialog[open] #user-name');
  await orgAdminPage.type('#user-name', OPERATOR.username);
  await orgAdminPage.select('#user-role', 'operator');
  assert.match(await orgAdminPage.$eval('#user-role-hint', (e) => e.textContent), /devices and files/);
  await orgAdminPage.type('#user-password', OPERATOR.password);
  await expectAxeClean(orgAdminPage, 'create user dialog');
  await shot(orgAdminPage, 'org-admin-users-create');
  await orgAdminPage.click('dialog[open] button[type=submit]');
  await orgAdminPage.waitForSelector(`[data-testid="user-row-${OPERATOR.username}"]`);
  assert.match(await rowText(orgAdminPage, `user-row-${OPERATOR.username}`), /operator.*Active/);

  await orgAdminPage.click(`[data-testid="user-toggle-${OPERATOR.username}"]`);
  await confirmDialog(orgAdminPage);
  await orgAdminPage.waitForFunction(
    (u) => document.querySelector(`[data-testid="user-row-${u}"]`)?.textContent.includes('Disabled'),
    {},
    OPERATOR.username,
  );
  assert.equal(await orgAdminPage.$eval(`[data-testid="user-toggle-${OPERATOR.username}"]`, (b) => b.textContent), 'Enable');

  const ctx = await context();
  const page = await newPage(ctx);
  const error = await signInExpectingError(page, OPERATOR.username, OPERATOR.password);
  assert.match(error, /disabled/);
  await ctx.close();

  // A viewer for the checks further on, created with the keyboard alone: Enter opens the dialog,
  // which focuses its first field; Tab moves on; Enter in the last field submits.
  await orgAdminPage.focus('[data-testid="user-create"]');
  await orgAdminPage.keyboard.press('Enter');
  await orgAdminPage.waitForSelector('dialog[open]');
  await orgAdminPage.waitForFunction(() => document.activeElement?.id === 'user-name');
  await orgAdminPage.keyboard.type(VIEWER.username);
  await orgAdminPage.keyboard.press('Tab');
  assert.equal(await orgAdminPage.evaluate(() => document.activeElement.id), 'user-role');
  assert.equal(await orgAdminPage.evaluate(() => document.activeElement.value), 'viewer');
  await orgAdminPage.keyboard.press('Tab');
  assert.equal(await orgAdminPage.evaluate(() => document.activeElement.id), 'user-password');
  await orgAdminPage.keyboard.type(VIEWER.password);
  await orgAdminPage.keyboard.press('Enter');
  await orgAdminPage.waitForSelector(`[data-testid="user-row-${VIEWER.username}"]`);
  await orgAdminPage.waitForFunction(() => !document.querySelector('dialog[open]'));
  // Focus is back where it was.
  assert.equal(await orgAdminPage.evaluate(() => document.activeElement?.dataset.testid), 'user-create');
  await expectAxeClean(orgAdminPage, 'users');
  await shot(orgAdminPage, 'org-admin-users');
});

test('an API key\'s secret is shown once, works against REST, and stops working when revoked', async () => {
  await view(orgAdminPage, '#/api-keys', 'API keys');
  await orgAdminPage.click('[data-testid="key-create"]');
  await orgAdminPage.waitForSelector('dialog[open] #key-name');
  await orgAdminPage.type('#key-name', 'lobby-script');
  await orgAdminPage.click('#key-scope-control');
  await orgAdminPage.select('#key-expiry', '90');
  await expectAxeClean(orgAdminPage, 'create API key dialog');
  await orgAdminPage.click('dialog[open] button[type=submit]');
  await orgAdminPage.waitForSelector('[data-testid="key-secret"]');
  keySecret = await orgAdminPage.$eval('[data-testid="key-secret"]', (e) => e.value);
  assert.match(keySecret, /^vck_/);
  assert.match(await orgAdminPage.$eval('[data-testid="key-secret-view"]', (e) => e.textContent), /only time the key is shown/);
  // Copy: the clipboard, or the selected text and a hint.
  await orgAdminPage.click('[data-testid="key-copy"]');
  await orgAdminPage.waitForFunction(() => /Copied|selected/.test(document.querySelector('[data-testid="key-secret-view"]').textContent));
  await expectAxeClean(orgAdminPage, 'API key secret dialog');
  await shot(orgAdminPage, 'org-admin-api-key-secret');
  await orgAdminPage.click('[data-testid="key-done"]');
  await orgAdminPage.waitForFunction(() => !document.querySelector('dialog[open]'));
  // The secret is nowhere on the page any more.
  assert.ok(!(await orgAdminPage.content()).includes(keySecret));

  const devices = await rest(server, 'GET', '/api/v1/devices', { headers: { 'X-API-Key': keySecret } });
  assert.ok(Array.isArray(devices.items));
  await orgAdminPage.waitForSelector('[data-testid="key-row-lobby-script"]');
  const row = await rowText(orgAdminPage, 'key-row-lobby-script');
  assert.match(row, /Read.*Control/);
  assert.match(row, /Active/);

  await orgAdminPage.click('[data-testid="key-revoke-lobby-script"]');
  await confirmDialog(orgAdminPage);
  await orgAdminPage.waitForFunction(() => document.querySelector('[data-testid="key-row-lobby-script"]')?.textContent.includes('Revoked'));
  await assert.rejects(rest(server, 'GET', '/api/v1/devices', { headers: { 'X-API-Key': keySecret } }), (e) => e.status === 401);
  await expectAxeClean(orgAdminPage, 'API keys');
  await shot(orgAdminPage, 'org-admin-api-keys');
});

test('organisation usage bars show the device and user counts against the limits', async () => {
  await rest(server, 'POST', '/api/v1/devices', { token: orgAdminToken, body: { device_id: 'lobby', name: 'Lobby' } });
  await rest(server, 'POST', '/api/v1/devices', { token: orgAdminToken, body: { device_id: 'hall', name: 'Hall' } });
  await view(orgAdminPage, '#/organization', 'Organisation');
  await orgAdminPage.waitForFunction(() => /2 of 5/.test(document.querySelector('[data-testid="usage-devices-value"]')?.textContent ?? ''));
  // orgadmin, the disabled operator and the viewer.
  assert.equal(await orgAdminPage.$eval('[data-testid="usage-users-value"]', (e) => e.textContent), '3 of 10');
  assert.match(await orgAdminPage.$eval('[data-testid="usage-storage-value"]', (e) => e.textContent), /0 B of 50 GB/);
  assert.equal(await orgAdminPage.$eval('[data-testid="usage-devices"] [role=meter]', (e) => e.getAttribute('aria-valuenow')), '2');
  assert.equal(await orgAdminPage.$eval('[data-testid="org-plan"]', (e) => e.textContent), 'Starter');

  // The admin renames the organisation and changes its time zone.
  await fill(orgAdminPage, '#org-name', 'Acme Signage Ltd');
  await orgAdminPage.select('#org-timezone', 'Asia/Yekaterinburg');
  await orgAdminPage.click('[data-testid="org-save"]');
  await waitForText(orgAdminPage, 'main h1', 'Acme Signage Ltd');
  const org = await rest(server, 'GET', `/api/v1/organizations/${orgId}`, { token: orgAdminToken });
  assert.equal(org.name, 'Acme Signage Ltd');
  assert.equal(org.timezone, 'Asia/Yekaterinburg');
  await expectAxeClean(orgAdminPage, 'organisation');
  await shot(orgAdminPage, 'org-admin-organization');
  await orgAdminPage.setViewport(TABLET);
  await shot(orgAdminPage, 'org-admin-organization-tablet');
});

test('the audit log lists those actions; filters narrow them; pages follow the cursors', async () => {
  // Enough entries for several pages of 25: sign-ins through the API.
  for (let i = 0; i < 20; i++) await tokenOf(ORGADMIN.username, ORGADMIN.password);
  await orgAdminPage.setViewport({ width: 1280, height: 800 });
  await view(orgAdminPage, '#/audit', 'Audit log');
  await orgAdminPage.waitForSelector('[data-testid="audit-row"]');
  await orgAdminPage.select('#audit-limit', '100');
  // One page of up to 100 holds them all: more than 25 (two pages of 25 further on).
  await orgAdminPage.waitForFunction(() => {
    const n = document.querySelectorAll('[data-testid="audit-row"]').length;
    return n > 25 && document.querySelector('[data-testid="audit-summary"]')?.textContent === `Page 1: ${n} entries`;
  });
  const actions = await orgAdminPage.$$eval('[data-testid="audit-row"]', (rows) => rows.map((r) => r.dataset.action));
  for (const a of ['user.create', 'user.update', 'api_key.create', 'api_key.revoke', 'organization.update', 'device.create', 'auth.login'])
    assert.ok(actions.includes(a), `the log lists ${a}: ${actions.join(' ')}`);
  // Entries name people, not ids.
  const text = await orgAdminPage.$eval('[data-testid="audit-table"]', (e) => e.textContent);
  assert.match(text, new RegExp(OPERATOR.username));
  assert.match(text, /lobby-script/);

  // Filter by action.
  await fill(orgAdminPage, '#audit-action', 'api_key.revoke');
  await orgAdminPage.click('[data-testid="audit-apply"]');
  await orgAdminPage.waitForFunction(() => {
    const rows = [...document.querySelectorAll('[data-testid="audit-row"]')];
    return rows.length === 1 && rows[0].dataset.action === 'api_key.revoke';
  });
  // Filter by actor and object type together: the admin's changes to users.
  await fill(orgAdminPage, '#audit-action', '');
  await orgAdminPage.select('#audit-object-type', 'user');
  const adminId = await orgAdminPage.$$eval('#audit-actor option', (os, n) => os.find((o) => o.textContent === n)?.value, ORGADMIN.username);
  await orgAdminPage.select('#audit-actor', adminId);
  await orgAdminPage.click('[data-testid="audit-apply"]');
  await orgAdminPage.waitForFunction(() => {
    const rows = [...document.querySelectorAll('[data-testid="audit-row"]')];
    const kinds = new Set(rows.map((r) => r.dataset.action));
    return rows.length >= 3 && !kinds.has('api_key.revoke') && [...kinds].every((k) => k.startsWith('user.') || k.startsWith('auth.'));
  });
  // A time range in the future leaves nothing.
  await orgAdminPage.click('[data-testid="audit-filters"] button[type=button]'); // Reset
  await orgAdminPage.waitForFunction(() => document.querySelector('#audit-object-type').value === '');
  await orgAdminPage.$eval('#audit-since', (e) => {
    const set = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
    set.call(e, '2099-01-01T00:00:00');
    e.dispatchEvent(new Event('input', { bubbles: true }));
  });
  await orgAdminPage.click('[data-testid="audit-apply"]');
  await waitForText(orgAdminPage, '[data-testid="audit-summary"]', 'No entries match');

  // Paging: 25 a page, older then newer again.
  await orgAdminPage.click('[data-testid="audit-filters"] button[type=button]');
  await orgAdminPage.select('#audit-limit', '25');
  await waitForText(orgAdminPage, '[data-testid="audit-summary"]', 'Page 1: 25 entries');
  const first = await orgAdminPage.$$eval('[data-testid="audit-row"] time', (ts) => ts.map((t) => t.getAttribute('datetime')));
  const firstIds = await orgAdminPage.$$eval('[data-testid="audit-row"]', (rows) => rows.map((r) => Number(r.dataset.id)));
  // Pressed in the page: the pager sits under a table whose names column is still filling in (the
  // user and key names load on their own), and a click at coordinates can land beside the button.
  const press = (sel) => orgAdminPage.$eval(sel, (b) => b.click());
  await press('[data-testid="audit-older"]');
  await waitForText(orgAdminPage, '[data-testid="audit-summary"]', 'Page 2');
  const second = await orgAdminPage.$$eval('[data-testid="audit-row"] time', (ts) => ts.map((t) => t.getAttribute('datetime')));
  // Older means logged earlier: the log is in the order entries were written (its ids). Their times
  // may differ from that order by a millisecond when two requests write at once, so ids are compared.
  const secondIds = await orgAdminPage.$$eval('[data-testid="audit-row"]', (rows) => rows.map((r) => Number(r.dataset.id)));
  assert.ok(secondIds.length > 0, 'page 2 has entries');
  assert.ok(secondIds.every((id, i) => i === 0 || id < secondIds[i - 1]), 'newest first within a page');
  assert.ok(secondIds[0] < firstIds[firstIds.length - 1], `page 2 (${secondIds[0]}…) follows page 1 (…${firstIds[firstIds.length - 1]})`);
  await press('[data-testid="audit-newer"]');
  await waitForText(orgAdminPage, '[data-testid="audit-summary"]', 'Page 1: 25 entries');
  assert.deepEqual(await orgAdminPage.$$eval('[data-testid="audit-row"] time', (ts) => ts.map((t) => t.getAttribute('datetime'))), first);
  assert.equal(await orgAdminPage.$eval('[data-testid="audit-newer"]', (b) => b.disabled), true);

  await expectAxeClean(orgAdminPage, 'audit log');
  await shot(orgAdminPage, 'org-admin-audit');
  await orgAdminPage.setViewport(TABLET);
  await shot(orgAdminPage, 'org-admin-audit-tablet');
  await orgAdminPage.setViewport(PORTRAIT);
  // Narrow: every entry a card with labelled cells, nothing wider than the screen.
  await orgAdminPage.waitForFunction(() => getComputedStyle(document.querySelector('[data-testid="audit-row"]')).display === 'block');
  assert.ok(await orgAdminPage.evaluate(() => document.documentElement.scrollWidth <= innerWidth + 1), 'no sideways scrolling at 768 px');
  await expectAxeClean(orgAdminPage, 'audit log, portrait tablet');
  await shot(orgAdminPage, 'org-admin-audit-portrait');
  await orgAdminPage.setViewport({ width: 1280, height: 800 });
  clean(orgAdminPage, 'organisation admin');
});

test('a viewer sees none of these sections, and the organisation read-only', async () => {
  const ctx = await context();
  const page = await newPage(ctx);
  await signIn(page, server, VIEWER.username, VIEWER.password);
  await page.waitForSelector('.topbar nav a');
  const nav = await page.$$eval('.topbar nav a', (as) => as.map((a) => a.getAttribute('href')));
  for (const hidden of ['#/users', '#/api-keys', '#/webhooks', '#/audit', '#/organizations']) assert.ok(!nav.includes(hidden), `viewer's nav lacks ${hidden}: ${nav}`);
  assert.ok(nav.includes('#/organization'));
  // Typing the address does not open them either.
  await page.evaluate(() => (location.hash = '#/users'));
  await page.waitForFunction(() => document.querySelector('main h1') && !document.querySelector('[data-testid="users-table"]'));

  await view(page, '#/organization', 'Organisation');
  await page.waitForSelector('[data-testid="org-settings-readonly"]');
  assert.equal(await page.$('[data-testid="org-settings-form"]'), null);
  assert.equal(await page.$$eval('main input, main select, main button', (e) => e.length), 0, 'nothing to change');
  assert.equal(await page.$eval('[data-testid="org-name"]', (e) => e.textContent), 'Acme Signage Ltd');
  await page.waitForFunction(() => /2 of 5/.test(document.querySelector('[data-testid="usage-devices-value"]')?.textContent ?? ''));
  await expectAxeClean(page, 'organisation, viewer');
  await shot(page, 'org-admin-organization-viewer');
  clean(page, 'viewer');
  await ctx.close();
});

test('Russian: every view renders without raw keys', async () => {
  const ctx = await context();
  const page = await newPage(ctx, { lang: 'ru-RU' });
  await signIn(page, server, ORGADMIN.username, ORGADMIN.password);
  for (const [hash, heading] of [
    ['#/users', 'Пользователи'],
    ['#/api-keys', 'API-ключи'],
    ['#/audit', 'Журнал аудита'],
    ['#/organization', 'Организация'],
  ]) {
    await view(page, hash, heading);
    await page.waitForFunction(() => !document.querySelector('main')?.textContent.includes('Загрузка'));
    // What a person reads, without the codes shown as such (action names, key prefixes).
    const text = await page.$eval('main', (m) => {
      const c = m.cloneNode(true);
      c.querySelectorAll('code').forEach((e) => e.remove());
      return c.textContent;
    });
    const keys = text.match(/\b(users|keys|audit|org|orgs|common|nav|role|action|account|error)\.[a-z_]+\b/g) ?? [];
    assert.deepEqual(keys.filter((k) => !ACTION_CODES.has(k)), [], `${hash}: raw catalogue keys`);
    const english = ENGLISH.filter((s) => new RegExp(`(^|[^\\p{L}])${s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^\\p{L}])`, 'u').test(text));
    assert.deepEqual(english, [], `${hash}: English strings in the Russian page`);
    await expectAxeClean(page, `${hash} in Russian`);
  }
  await shot(page, 'org-admin-organization-ru');
  await view(page, '#/users', 'Пользователи');
  await shot(page, 'org-admin-users-ru');
  clean(page, 'Russian');
  await ctx.close();
});

test('dark theme', async () => {
  const ctx = await context();
  const page = await newPage(ctx);
  await page.evaluateOnNewDocument(() => localStorage.setItem('vc.theme', 'dark'));
  await signIn(page, server, ORGADMIN.username, ORGADMIN.password);
  await view(page, '#/organization', 'Organisation');
  await page.waitForSelector('[data-testid="usage-devices"]');
  await expectAxeClean(page, 'organisation, dark');
  await shot(page, 'org-admin-organization-dark');
  await view(page, '#/api-keys', 'API keys');
  await page.waitForSelector('[data-testid="key-row-lobby-script"]');
  await expectAxeClean(page, 'API keys, dark');
  await shot(page, 'org-admin-api-keys-dark');
  await ctx.close();
});

test('the superadmin deactivates and reactivates the organisation, and deletes another', async () => {
  await view(adminPage, '#/organizations', 'Organisations');
  await adminPage.waitForSelector(`[data-testid="org-row-${ORG.slug}"]`);
  await adminPage.waitForFunction((s) => /2 \/ 5/.test(document.querySelector(`[data-testid="org-row-${s}"]`)?.textContent ?? ''), {}, ORG.slug);
  await adminPage.click(`[data-testid="org-toggle-${ORG.slug}"]`);
  await confirmDialog(adminPage);
  await adminPage.waitForFunction((s) => document.querySelector(`[data-testid="org-row-${s}"] [data-testid="org-status"]`)?.textContent === 'Deactivated', {}, ORG.slug);
  const ctx = await context();
  const page = await newPage(ctx);
  assert.match(await signInExpectingError(page, VIEWER.username, VIEWER.password), /disabled/);
  await ctx.close();
  await adminPage.click(`[data-testid="org-toggle-${ORG.slug}"]`);
  await adminPage.waitForFunction((s) => document.querySelector(`[data-testid="org-row-${s}"] [data-testid="org-status"]`)?.textContent === 'Active', {}, ORG.slug);

  // Change its plan and limits: back to the plan's device limit, PRO.
  await adminPage.click(`[data-testid="org-edit-${ORG.slug}"]`);
  await adminPage.waitForSelector('dialog[open] #org-max-devices');
  await fill(adminPage, '#org-max-devices', '');
  await adminPage.select('#org-form-plan', 'PRO');
  await adminPage.click('dialog[open] button[type=submit]');
  await adminPage.waitForFunction((s) => /2 \/ 100/.test(document.querySelector(`[data-testid="org-row-${s}"]`)?.textContent ?? ''), {}, ORG.slug);

  // A second organisation, deleted: the dialog names what goes and wants the slug typed.
  const token = await tokenOf('admin', ADMIN_PASSWORD);
  await rest(server, 'POST', '/api/v1/organizations', { token, body: { name: 'Temporary', slug: 'temporary', plan: 'FREE' } });
  await view(adminPage, '#/devices', 'Devices');
  await view(adminPage, '#/organizations', 'Organisations');
  await adminPage.waitForSelector('[data-testid="org-row-temporary"]');
  await adminPage.click('[data-testid="org-delete-temporary"]');
  await adminPage.waitForSelector('dialog[open] [data-testid="org-delete-loss"]');
  const loss = await adminPage.$eval('dialog[open] [data-testid="org-delete-loss"]', (e) => e.textContent);
  assert.match(loss, /devices/);
  assert.match(loss, /users/);
  assert.equal(await adminPage.$eval('[data-testid="org-delete-submit"]', (b) => b.disabled), true);
  await adminPage.type('#org-delete-confirm', 'temporary');
  await expectAxeClean(adminPage, 'delete organisation dialog');
  await shot(adminPage, 'org-admin-organizations-delete');
  await adminPage.click('[data-testid="org-delete-submit"]');
  await adminPage.waitForFunction(() => !document.querySelector('[data-testid="org-row-temporary"]'));
  const orgs = await rest(server, 'GET', '/api/v1/organizations', { token });
  assert.ok(!orgs.items.some((o) => o.slug === 'temporary'));
  await expectAxeClean(adminPage, 'organisations');
  await shot(adminPage, 'org-admin-organizations');
  await adminPage.setViewport(TABLET);
  await shot(adminPage, 'org-admin-organizations-tablet');
  clean(adminPage, 'superadmin');
});

async function tokenOf(username, password) {
  const r = await rest(server, 'POST', '/api/v1/auth/login', { body: { username, password } });
  return r.access_token;
}
