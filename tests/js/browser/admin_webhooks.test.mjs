// The Webhooks view of the admin panel in a real Chromium against a real server and a real receiver
// (an HTTP server this test runs on 127.0.0.1): an organisation admin registers a webhook — a private
// address is refused with a readable reason, the secret is shown once — sends a test event and sees
// it delivered (the receiver checks the X-VideoControl-Signature HMAC with that secret), makes the
// receiver answer 500 and sees the failed attempts with the code, the webhook disabled by the server,
// redelivers, enables/disables, edits, rotates the secret, and deletes; viewers and operators do not
// see the section; Russian renders without raw keys; axe finds nothing serious; screenshots at
// desktop and tablet (800 px) widths.
//
//   node web/build.mjs --out /tmp/wo
//   VC_WEB_DIR=/tmp/wo VC_SERVER_BINARY=build/apps/server/videocontrol-server \
//     node --test tests/js/browser/admin_webhooks.test.mjs
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { ADMIN_PASSWORD, adminToken, axe, launch, newPage, rest, screenshot, signIn, sleep, startServer, waitForText, waitForToast } from './harness.mjs';

const ORG = { name: 'Hooks Ltd', slug: 'hooks-ltd' };
const ORGADMIN = { username: 'hooks-admin', password: 'Hooks-admin-pass-42' };
const OPERATOR = { username: 'hooks-ops', password: 'Hooks-ops-pass-42' };
const VIEWER = { username: 'hooks-viewer', password: 'Hooks-viewer-pass-42' };
const TABLET = { width: 800, height: 1100 };

// English strings of the webhooks catalogue that differ from their Russian ones: none may be left on
// a Russian page.
const i18n = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../../web/src/i18n');
const catalogue = (lang) => JSON.parse(fs.readFileSync(`${i18n}/${lang}/webhooks.json`));
const EN = catalogue('en'), RU = catalogue('ru');
const ENGLISH = Object.entries(EN)
  .filter(([k, v]) => RU[k] !== v && v.length >= 6 && !v.includes('{'))
  .map(([, v]) => v);

let server, browser, receiver;
let page, superToken, adminToken_, webhookId, secret;

// ---- the receiver -------------------------------------------------------------------------------
// Answers every POST with `receiver.status` and keeps what it got (headers and the raw body).
function startReceiver() {
  const r = { status: 200, got: [], server: null, url: '' };
  r.server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      r.got.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks), status: r.status });
      res.writeHead(r.status, { 'Content-Type': 'text/plain' });
      res.end(r.status === 200 ? 'ok' : 'receiver is down for maintenance');
    });
  });
  return new Promise((resolve) => r.server.listen(0, '127.0.0.1', () => {
    r.url = `http://127.0.0.1:${r.server.address().port}/hooks/videocontrol`;
    resolve(r);
  }));
}

// The signature the docs describe: "sha256=" + hex HMAC-SHA256(secret, timestamp + "." + body).
function signatureValid(key, got) {
  const ts = got.headers['x-videocontrol-timestamp'];
  const sig = Buffer.from(got.headers['x-videocontrol-signature'] || '');
  const mac = Buffer.from('sha256=' + crypto.createHmac('sha256', key).update(`${ts}.`).update(got.body).digest('hex'));
  return Boolean(ts) && sig.length === mac.length && crypto.timingSafeEqual(sig, mac) && Math.abs(Date.now() / 1000 - Number(ts)) <= 300;
}

async function waitFor(what, f, timeout = 20000) {
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    const v = await f();
    if (v) return v;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

before(async () => {
  receiver = await startReceiver();
  // The receiver is on loopback, which webhooks may reach only when allowed; 10.0.0.0/8 is not.
  // Quick retries: the first after 200 ms, two attempts per delivery, and one delivery failed for
  // good disables the webhook (so the view's "disabled by the server" shows).
  server = await startServer({
    WEBHOOK_ALLOW_HOSTS: '127.0.0.1',
    WEBHOOK_BACKOFF_MS: '200',
    WEBHOOK_BACKOFF_MAX_MS: '400',
    WEBHOOK_MAX_ATTEMPTS: '2',
    WEBHOOK_DISABLE_AFTER: '1',
  });
  browser = await launch();
  superToken = await adminToken(server);
  const org = await rest(server, 'POST', '/api/v1/organizations', { token: superToken, body: { ...ORG, plan: 'PRO' } });
  for (const [u, role] of [[ORGADMIN, 'admin'], [OPERATOR, 'operator'], [VIEWER, 'viewer']])
    await rest(server, 'POST', '/api/v1/users', { token: superToken, body: { username: u.username, password: u.password, role, organization_id: org.id } });
  adminToken_ = (await rest(server, 'POST', '/api/v1/auth/login', { body: { username: ORGADMIN.username, password: ORGADMIN.password } })).access_token;
});

after(async () => {
  await browser?.close();
  await server?.cleanup();
  receiver?.server.close();
});

// ---- helpers ------------------------------------------------------------------------------------
async function view(p, hash, heading) {
  await p.evaluate((h) => (location.hash = h), hash);
  await waitForText(p, 'main h1', heading);
  await p.waitForFunction(() => !/Loading…|Загрузка…/.test(document.querySelector('main')?.textContent ?? ''));
}

async function fill(p, selector, value) {
  await p.waitForSelector(selector);
  await p.$eval(selector, (e) => {
    e.focus();
    e.select?.();
  });
  await p.keyboard.press('Backspace');
  await p.type(selector, value);
}

async function confirmDialog(p) {
  await p.waitForSelector('dialog[open] .actions button.danger');
  await p.click('dialog[open] .actions button.danger');
  await p.waitForFunction(() => !document.querySelector('dialog[open]'));
}

async function expectAxeClean(p, what) {
  const violations = await axe(p);
  assert.deepEqual(violations, [], `${what}: axe found ${JSON.stringify(violations, null, 1)}`);
}

function clean(p, what) {
  // The refusals the flow provokes on purpose (a private address) are logged by Chromium.
  const problems = p.problems.filter((x) => !/Failed to load resource: the server responded with a status of (400|403|422)/.test(x));
  assert.deepEqual(problems, [], `${what}: the page reported problems`);
}

async function shot(p, name) {
  await p.evaluate(() => window.scrollTo(0, 0));
  return screenshot(p, name);
}

// Nothing wider than the window (a long URL must wrap, not push the page sideways).
async function noSideScroll(p, what) {
  const [scroll, width] = await p.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  assert.ok(scroll <= width, `${what}: the page is ${scroll}px wide in a ${width}px window`);
}

const row0 = '[data-testid="hook-row-0"]';
const text = (p, sel) => p.$eval(sel, (e) => e.textContent);
const deliveryStatus = (p, i = 0) => p.$eval(`[data-testid="delivery-row-${i}"]`, (e) => e.dataset.status).catch(() => '');

// ---- the flow -----------------------------------------------------------------------------------
test('the organisation admin sees Webhooks in the navigation, empty at first', async () => {
  page = await newPage(browser);
  await signIn(page, server, ORGADMIN.username, ORGADMIN.password);
  const nav = await page.$$eval('header nav a', (as) => as.map((a) => a.textContent));
  assert.ok(nav.includes('Webhooks'), `nav: ${nav}`);
  await view(page, '#/webhooks', 'Webhooks');
  await waitForText(page, 'main .empty', 'No webhooks yet.');
  await expectAxeClean(page, 'empty webhooks');
});

test('a private address is refused with a readable reason next to the form', async () => {
  await page.click('[data-testid="hook-create"]');
  await page.waitForSelector('dialog[open] #hook-url');
  await page.type('#hook-url', 'http://10.0.0.1/hook');
  await page.click('#hook-event-device-created');
  await page.click('dialog[open] [data-testid="hook-save"]');
  await page.waitForSelector('dialog[open] [data-testid="form-error"]');
  const error = await text(page, 'dialog[open] [data-testid="form-error"]');
  assert.match(error, /10\.0\.0\.1 is an address inside the network \(10\.0\.0\.1, private network\)/);
  assert.match(error, /WEBHOOK_ALLOW_HOSTS/);
  await expectAxeClean(page, 'create webhook dialog with an error');
  await shot(page, 'admin-webhooks-private-refused');
  // Nothing was registered.
  assert.deepEqual((await rest(server, 'GET', '/api/v1/webhooks', { token: adminToken_ })).items, []);
});

test('a webhook is created and its secret shown once', async () => {
  await fill(page, '#hook-url', receiver.url);
  for (const id of ['#hook-event-device-online', '#hook-event-device-offline', '#hook-event-media-ready']) await page.click(id);
  await page.click('dialog[open] [data-testid="hook-save"]');
  await page.waitForSelector('[data-testid="hook-secret"]');
  secret = await page.$eval('[data-testid="hook-secret"]', (e) => e.value);
  assert.match(secret, /^whsec_/);
  assert.match(await text(page, '[data-testid="hook-secret-view"]'), /You will not see this secret again/);
  await page.click('[data-testid="hook-copy"]');
  await page.waitForFunction(() => /Copied|selected/.test(document.querySelector('[data-testid="hook-secret-view"]').textContent));
  await expectAxeClean(page, 'webhook secret dialog');
  await shot(page, 'admin-webhooks-secret');
  await page.click('[data-testid="hook-done"]');
  await page.waitForFunction(() => !document.querySelector('dialog[open]'));
  assert.ok(!(await page.content()).includes(secret), 'the secret is gone from the page');

  const hooks = (await rest(server, 'GET', '/api/v1/webhooks', { token: adminToken_ })).items;
  assert.equal(hooks.length, 1);
  webhookId = hooks[0].id;
  assert.equal(hooks[0].url, receiver.url);
  assert.deepEqual(hooks[0].events, ['device.created', 'device.online', 'device.offline', 'media.ready']);
  assert.equal(hooks[0].secret, undefined, 'the API does not show it again');
  const row = await text(page, row0);
  assert.ok(row.includes(receiver.url));
  assert.match(row, /Device created.*Device online.*Device offline.*\+1 more/);
  assert.match(row, /Enabled/);
});

test('a test event is delivered, signed with the secret, and shown as delivered', async () => {
  await page.click(`${row0} [data-testid="hook-test"]`);
  await waitForToast(page, 'Test event queued; it is delivered in a moment.');
  const got = await waitFor('the test delivery', () => receiver.got.find((g) => g.headers['x-videocontrol-event'] === 'ping'));
  assert.equal(got.method, 'POST');
  assert.ok(signatureValid(secret, got), `signature ${got.headers['x-videocontrol-signature']} is valid for the shown secret`);
  assert.ok(!signatureValid(secret + 'x', got));
  const body = JSON.parse(got.body);
  assert.equal(body.event, 'ping');
  assert.equal(body.id, got.headers['x-videocontrol-delivery']);

  // The list's "last delivery" follows.
  await page.waitForFunction((s) => document.querySelector(s)?.querySelector('[data-status="succeeded"]'), { timeout: 20000 }, row0);

  await page.click(`${row0} [data-testid="hook-deliveries"]`);
  await waitForText(page, 'main h1', 'Webhook deliveries');
  await page.waitForSelector('[data-testid="delivery-row-0"][data-status="succeeded"]');
  assert.equal(await page.$eval('[data-testid="delivery-row-0"]', (e) => e.dataset.deliveryId), body.id);
  const r = await text(page, '[data-testid="delivery-row-0"]');
  assert.match(r, /Test \(ping\)/);
  assert.match(r, /Delivered/);
  assert.equal(await text(page, '[data-testid="delivery-row-0"] [data-testid="delivery-code"]'), '200ok');
  assert.equal(await text(page, '[data-testid="delivery-row-0"] [data-testid="delivery-attempts"]'), '1');
  assert.match(await text(page, '[data-testid="deliveries-url"]'), new RegExp(receiver.url.replace(/[.]/g, '\\.')));
  await expectAxeClean(page, 'deliveries');
});

test('a receiver answering 500: failed attempts with the code, the webhook disabled by the server; redelivery succeeds', async () => {
  receiver.status = 500;
  const before = receiver.got.length;
  await page.click('[data-testid="deliveries-test"]');
  await waitForToast(page, 'Test event queued; it is delivered in a moment.');
  // A new row on top, pending, then failed after its two attempts (the view polls while pending).
  await page.waitForSelector('[data-testid="delivery-row-1"]');
  await page.waitForSelector('[data-testid="delivery-row-0"][data-status="failed"]', { timeout: 30000 });
  const r = await text(page, '[data-testid="delivery-row-0"]');
  assert.match(r, /Failed/);
  assert.match(await text(page, '[data-testid="delivery-row-0"] [data-testid="delivery-code"]'), /^500/);
  assert.match(await text(page, '[data-testid="delivery-row-0"] [data-testid="delivery-error"]'), /the receiver answered 500/);
  assert.equal(await text(page, '[data-testid="delivery-row-0"] [data-testid="delivery-attempts"]'), '2');
  assert.equal(receiver.got.length - before, 2, 'two attempts reached the receiver');
  const failedId = await page.$eval('[data-testid="delivery-row-0"]', (e) => e.dataset.deliveryId);
  await expectAxeClean(page, 'deliveries with a failure');
  await shot(page, 'admin-webhooks-deliveries');

  receiver.status = 200;
  await page.click('[data-testid="delivery-row-0"] [data-testid="delivery-redeliver"]');
  await waitForToast(page, 'Delivery queued again.');
  await page.waitForSelector('[data-testid="delivery-row-0"][data-status="succeeded"]', { timeout: 30000 });
  assert.equal(await page.$eval('[data-testid="delivery-row-0"]', (e) => e.dataset.deliveryId), failedId, 'the same delivery, in place');
  const again = receiver.got.at(-1);
  assert.equal(again.headers['x-videocontrol-delivery'], failedId);
  assert.equal(again.status, 200);
  assert.ok(signatureValid(secret, again));
  assert.equal(await text(page, '[data-testid="delivery-row-0"] [data-testid="delivery-attempts"]'), '3');
});

test('disabled by the server with its reason; enable and disable from the list', async () => {
  await page.click('[data-testid="hook-back"]');
  await waitForText(page, 'main h1', 'Webhooks');
  await page.waitForSelector(`${row0} [data-testid="hook-disabled-reason"]`);
  assert.match(await text(page, `${row0} [data-testid="hook-state"]`), /Disabled.*Disabled by the server: 1 deliveries in a row failed; the last: the receiver answered 500/);
  await shot(page, 'admin-webhooks-list-disabled');

  await page.click(`${row0} [data-testid="hook-toggle"]`);
  await waitForToast(page, 'Webhook enabled.');
  assert.match(await text(page, `${row0} [data-testid="hook-state"]`), /^Enabled$/);
  let h = await rest(server, 'GET', `/api/v1/webhooks/${webhookId}`, { token: adminToken_ });
  assert.equal(h.enabled, true);
  assert.equal(h.disabled_reason, null);

  await page.click(`${row0} [data-testid="hook-toggle"]`);
  await confirmDialog(page);
  await waitForToast(page, 'Webhook disabled.');
  assert.equal((await rest(server, 'GET', `/api/v1/webhooks/${webhookId}`, { token: adminToken_ })).enabled, false);
  assert.match(await text(page, `${row0} [data-testid="hook-state"]`), /^Disabled$/);
  assert.equal(await text(page, `${row0} [data-testid="hook-toggle"]`), 'Enable');

  await page.click(`${row0} [data-testid="hook-toggle"]`);
  await waitForToast(page, 'Webhook enabled.');
  h = await rest(server, 'GET', `/api/v1/webhooks/${webhookId}`, { token: adminToken_ });
  assert.equal(h.enabled, true);
});

test('edit URL and events; a private address is refused there too', async () => {
  await page.click(`${row0} [data-testid="hook-edit"]`);
  await page.waitForSelector('dialog[open] #hook-url');
  assert.equal(await page.$eval('#hook-url', (e) => e.value), receiver.url);
  assert.equal(await page.$eval('#hook-event-media-ready', (e) => e.checked), true);
  await fill(page, '#hook-url', 'http://10.1.2.3:8080/x');
  await page.click('dialog[open] [data-testid="hook-save"]');
  await page.waitForSelector('dialog[open] [data-testid="form-error"]');
  assert.match(await text(page, 'dialog[open] [data-testid="form-error"]'), /10\.1\.2\.3 is an address inside the network/);

  const longUrl = `${receiver.url}?tenant=acme-signage-production-eu-west&channel=lobby-screens-and-meeting-rooms&token=${'x'.repeat(40)}`;
  await fill(page, '#hook-url', longUrl);
  await page.click('#hook-event-media-ready'); // off
  await page.click('#hook-event-schedule-changed'); // on
  await page.click('dialog[open] [data-testid="hook-save"]');
  await waitForToast(page, 'Webhook saved.');
  await page.waitForFunction(() => !document.querySelector('dialog[open]'));
  const h = await rest(server, 'GET', `/api/v1/webhooks/${webhookId}`, { token: adminToken_ });
  assert.equal(h.url, longUrl);
  assert.deepEqual(h.events, ['device.created', 'device.online', 'device.offline', 'schedule.changed']);
  assert.ok((await text(page, row0)).includes(longUrl));
});

test('rotating the secret shows the new one once; deliveries are signed with it', async () => {
  await page.click(`${row0} [data-testid="hook-rotate"]`);
  await page.waitForSelector('dialog[open] .actions button.danger');
  assert.match(await text(page, 'dialog[open]'), /current secret stops working at once/);
  await page.click('dialog[open] .actions button.danger');
  await page.waitForSelector('dialog[open] [data-testid="hook-secret"]');
  const fresh = await page.$eval('[data-testid="hook-secret"]', (e) => e.value);
  assert.match(fresh, /^whsec_/);
  assert.notEqual(fresh, secret);
  assert.match(await text(page, '[data-testid="hook-secret-view"]'), /The previous secret no longer works/);
  await page.click('[data-testid="hook-done"]');
  await page.waitForFunction(() => !document.querySelector('dialog[open]'));
  assert.ok(!(await page.content()).includes(fresh));
  secret = fresh;

  const before = receiver.got.length;
  await page.click(`${row0} [data-testid="hook-test"]`);
  await waitForToast(page, 'Test event queued; it is delivered in a moment.');
  const got = await waitFor('the delivery after the rotation', () => receiver.got[before]);
  assert.ok(signatureValid(secret, got), 'signed with the new secret');
});

test('desktop and tablet (800 px): long URLs wrap, nothing scrolls sideways', async () => {
  // The row's last delivery settles by itself (it is looked at again while pending).
  await page.waitForSelector(`${row0} [data-testid="hook-last-delivery"] [data-status="succeeded"]`, { timeout: 20000 });
  await noSideScroll(page, 'list, desktop');
  await expectAxeClean(page, 'webhooks list');
  await shot(page, 'admin-webhooks-list');

  const tabletContext = await browser.createBrowserContext();
  const tablet = await newPage(tabletContext, { viewport: TABLET });
  await signIn(tablet, server, ORGADMIN.username, ORGADMIN.password);
  await view(tablet, '#/webhooks', 'Webhooks');
  await tablet.waitForSelector(`${row0} [data-testid="hook-last-delivery"]`);
  await noSideScroll(tablet, 'list, tablet');
  await shot(tablet, 'admin-webhooks-list-tablet');
  await tablet.click(`${row0} [data-testid="hook-deliveries"]`);
  await waitForText(tablet, 'main h1', 'Webhook deliveries');
  await tablet.waitForSelector('[data-testid="delivery-row-2"]');
  await noSideScroll(tablet, 'deliveries, tablet');
  await shot(tablet, 'admin-webhooks-deliveries-tablet');
  await view(tablet, '#/webhooks', 'Webhooks');
  await tablet.click(`${row0} [data-testid="hook-edit"]`);
  await tablet.waitForSelector('dialog[open] #hook-url');
  await noSideScroll(tablet, 'edit dialog, tablet');
  await shot(tablet, 'admin-webhooks-edit-tablet');
  clean(tablet, 'tablet');
  await tabletContext.close();
});

test('deliveries load in pages, newest first', async () => {
  // 25 more test events through the API: the first page holds 20, "Load more" the rest.
  for (let i = 0; i < 25; i++) await rest(server, 'POST', `/api/v1/webhooks/${webhookId}/test`, { token: adminToken_ });
  await view(page, `#/webhooks/${webhookId}`, 'Webhook deliveries');
  await page.waitForSelector('[data-testid="delivery-row-19"]');
  assert.equal(await page.$('[data-testid="delivery-row-20"]'), null);
  const all = [];
  let cursor = '';
  do {
    const p = await rest(server, 'GET', `/api/v1/webhooks/${webhookId}/deliveries?limit=200${cursor ? `&cursor=${cursor}` : ''}`, { token: adminToken_ });
    all.push(...p.items);
    cursor = p.next_cursor ?? '';
  } while (cursor);
  await page.click('[data-testid="deliveries-more"]');
  await page.waitForSelector(`[data-testid="delivery-row-${all.length - 1}"]`);
  const shown = await page.$$eval('[data-testid^="delivery-row-"]', (rs) => rs.map((r) => r.dataset.deliveryId));
  assert.deepEqual(shown, all.map((d) => d.id), 'the same deliveries in the same order (newest first) as the API');
  assert.equal(await page.$('[data-testid="deliveries-more"]'), null);
  // Every delivery ends up delivered.
  await waitFor('every delivery done', async () => (await page.$$('[data-status="pending"]')).length === 0, 30000);
  clean(page, 'organisation admin');
});

test('Russian: the view and its refusal read in Russian, without raw keys', async () => {
  const ctx = await browser.createBrowserContext();
  const ru = await newPage(ctx, { lang: 'ru-RU' });
  await signIn(ru, server, ORGADMIN.username, ORGADMIN.password);
  const nav = await ru.$$eval('header nav a', (as) => as.map((a) => a.textContent));
  assert.ok(nav.includes('Вебхуки'), `nav: ${nav}`);
  const readable = async (what) => {
    const t = await ru.evaluate(() => {
      const c = document.body.cloneNode(true);
      c.querySelectorAll('code, input').forEach((e) => e.remove());
      return c.textContent;
    });
    assert.deepEqual(t.match(/\b(webhooks|nav|org|keys|common|action|error)\.[a-z_.-]+\b/g) ?? [], [], `${what}: raw catalogue keys`);
    const english = ENGLISH.filter((s) => t.includes(s));
    assert.deepEqual(english, [], `${what}: English strings on the Russian page`);
  };
  await view(ru, '#/webhooks', 'Вебхуки');
  await ru.waitForSelector(`${row0} [data-testid="hook-last-delivery"]`);
  assert.match(await text(ru, row0), /Включён/);
  await readable('list');
  await expectAxeClean(ru, 'webhooks in Russian');
  await shot(ru, 'admin-webhooks-list-ru');

  await ru.click('[data-testid="hook-create"]');
  await ru.waitForSelector('dialog[open] #hook-url');
  await ru.type('#hook-url', 'http://10.0.0.1/');
  await ru.click('#hook-event-device-created');
  await ru.click('dialog[open] [data-testid="hook-save"]');
  await ru.waitForSelector('dialog[open] [data-testid="form-error"]');
  assert.match(await text(ru, 'dialog[open] [data-testid="form-error"]'), /10\.0\.0\.1 — адрес внутри сети \(10\.0\.0\.1, частная сеть\)/);
  await readable('create dialog');
  await shot(ru, 'admin-webhooks-private-refused-ru');
  await ru.keyboard.press('Escape');
  await ru.waitForFunction(() => !document.querySelector('dialog[open]'));

  await ru.click(`${row0} [data-testid="hook-deliveries"]`);
  await waitForText(ru, 'main h1', 'Доставки вебхука');
  await ru.waitForSelector('[data-testid="delivery-row-0"]');
  await readable('deliveries');
  assert.match(await text(ru, 'main'), /Доставлено/);
  await ru.setViewport(TABLET);
  await shot(ru, 'admin-webhooks-deliveries-ru-tablet');
  clean(ru, 'Russian');
  await ctx.close();
});

test('viewers and operators do not see Webhooks, and the API refuses them', async () => {
  for (const u of [VIEWER, OPERATOR]) {
    const ctx = await browser.createBrowserContext();
    const p = await newPage(ctx);
    await signIn(p, server, u.username, u.password);
    const nav = await p.$$eval('header nav a', (as) => as.map((a) => a.getAttribute('href')));
    assert.ok(!nav.includes('#/webhooks'), `${u.username} nav: ${nav}`);
    // Typing the address shows the first view it may see instead.
    await p.evaluate(() => (location.hash = '#/webhooks'));
    await waitForText(p, 'main h1', 'Devices');
    assert.equal(await p.$('[data-testid="hooks-table"]'), null);
    const token = (await rest(server, 'POST', '/api/v1/auth/login', { body: { username: u.username, password: u.password } })).access_token;
    await assert.rejects(rest(server, 'GET', '/api/v1/webhooks', { token }), (e) => e.status === 403);
    clean(p, u.username);
    await ctx.close();
  }
});

test('deleting asks first, then the webhook is gone', async () => {
  await view(page, '#/webhooks', 'Webhooks');
  await page.click(`${row0} [data-testid="hook-delete"]`);
  await page.waitForSelector('dialog[open]');
  assert.match(await text(page, 'dialog[open]'), /Delete the webhook http:\/\/127\.0\.0\.1/);
  // Cancel keeps it.
  await page.click('dialog[open] .actions button:not(.danger)');
  await page.waitForFunction(() => !document.querySelector('dialog[open]'));
  assert.equal((await rest(server, 'GET', '/api/v1/webhooks', { token: adminToken_ })).items.length, 1);
  await page.click(`${row0} [data-testid="hook-delete"]`);
  await confirmDialog(page);
  await waitForToast(page, 'Webhook deleted.');
  await waitForText(page, 'main .empty', 'No webhooks yet.');
  assert.deepEqual((await rest(server, 'GET', '/api/v1/webhooks', { token: adminToken_ })).items, []);
  await assert.rejects(rest(server, 'GET', `/api/v1/webhooks/${webhookId}`, { token: adminToken_ }), (e) => e.status === 404);
  clean(page, 'organisation admin');
  // Sign-in as the superadmin still works (nothing above touched it).
  assert.ok(await rest(server, 'POST', '/api/v1/auth/login', { body: { username: 'admin', password: ADMIN_PASSWORD } }));
});

test('the audit log names what was done to the webhook', async () => {
  await view(page, '#/audit', 'Audit log');
  await page.waitForSelector('main table');
  const t = await text(page, 'main');
  for (const label of ['Webhook created', 'Webhook changed', 'Webhook secret renewed', 'Webhook delivery resent', 'Webhook disabled by the server', 'Webhook deleted'])
    assert.ok(t.includes(label), `the audit log shows "${label}"`);
  clean(page, 'audit');
});
