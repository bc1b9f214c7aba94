// The admin panel's devices and files views as each kind of person meets them, in a real Chromium
// against a real server: an admin drags a file onto another device's tile (moved; with Ctrl:
// copied) and does the same from the row's menu by keyboard; a viewer sees everything and can change
// nothing; a speaker lands on the speaker panel; an operator manages content but not users; a second
// organisation's admin sees only its own screens; signed-out visits go to sign-in and come back to
// where they were; Russian renders without raw keys; the Add-device dialog works by keyboard; axe
// finds nothing serious.
//
//   node web/build.mjs --out /tmp/wr
//   VC_WEB_DIR=/tmp/wr VC_SERVER_BINARY=build/apps/server/videocontrol-server \
//     node --test --test-reporter=spec tests/js/browser/admin_roles.test.mjs
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import {
  ADMIN_PASSWORD,
  adminToken,
  axe,
  createDevice,
  createUser,
  launch,
  newPage,
  rest,
  screenshot,
  signIn,
  startServer,
  uploadFile,
  waitForText,
  waitForToast,
} from './harness.mjs';
import { solidPng } from './fixtures.mjs';

const VIEWER = { username: 'vera.viewer', password: 'Vera-viewer-pass-42' };
const SPEAKER = { username: 'sam.speaker', password: 'Sam-speaker-pass-42' };
const OPERATOR = { username: 'otto.ops', password: 'Otto-operator-pass-42' };
const FAR = { org: { name: 'Faraway Cinemas', slug: 'faraway' }, username: 'far-admin', password: 'Far-admin-pass-42', device: 'far-screen', deviceName: 'Faraway foyer' };
const DEVICES = [
  ['lobby', 'Lobby screen'],
  ['hall', 'Hall screen'],
  ['annex', 'Annex screen'],
];
const FILE_NAMES = ['red.png', 'green.png', 'blue.png', 'yellow.png'];

// English strings of the devices view that differ in Russian: none may be left on a Russian page.
const i18n = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../../web/src/i18n');
const catalogue = (lang) => ({ ...JSON.parse(fs.readFileSync(`${i18n}/${lang}/common.json`)), ...JSON.parse(fs.readFileSync(`${i18n}/${lang}/devices.json`)) });
const EN = catalogue('en'), RU = catalogue('ru');
const ENGLISH = Object.entries(EN)
  .filter(([k, v]) => RU[k] !== v && v.length >= 6 && !v.includes('{'))
  .map(([, v]) => v);

let server, browser, token, admin;
const contexts = [];

before(async () => {
  const colours = { 'red.png': 'red', 'green.png': 'green', 'blue.png': 'blue', 'yellow.png': 'yellow' };
  const files = Object.fromEntries(Object.entries(colours).map(([name, c]) => [name, solidPng(name, c, '320x180')]));
  server = await startServer();
  token = await adminToken(server);
  for (const [id, name] of DEVICES) await createDevice(server, token, id, name);
  for (const name of FILE_NAMES) await uploadFile(server, token, 'lobby', files[name]);
  await createUser(server, token, VIEWER.username, 'viewer', VIEWER.password);
  await createUser(server, token, SPEAKER.username, 'speaker', SPEAKER.password);
  await createUser(server, token, OPERATOR.username, 'operator', OPERATOR.password);
  // A second organisation with its own admin and screen.
  const org = await rest(server, 'POST', '/api/v1/organizations', { token, body: FAR.org });
  await rest(server, 'POST', '/api/v1/users', { token, body: { username: FAR.username, password: FAR.password, role: 'admin', organization_id: org.id } });
  await rest(server, 'POST', '/api/v1/devices', { token, body: { device_id: FAR.device, name: FAR.deviceName }, headers: { 'X-Organization-Id': org.id } });
  browser = await launch();
});

after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  await server?.cleanup();
});

// ---- helpers ------------------------------------------------------------------------------------
// A page in a browser context of its own (its own cookies: another person at another computer).
async function freshPage(opts) {
  const ctx = await browser.createBrowserContext();
  contexts.push(ctx);
  return newPage(ctx, opts);
}

// The devices view, with `device` selected when given, once its tiles (and files) have loaded.
async function devicesView(page, device) {
  await page.evaluate((h) => (location.hash = h), device ? `#/devices/${device}` : '#/devices');
  await page.waitForSelector('ul.tiles li[data-device]');
  if (device) {
    await page.waitForFunction((id) => document.querySelector(`li[data-device="${id}"]`)?.classList.contains('selected'), {}, device);
    await page.waitForSelector('#device-title');
    await page.waitForFunction(() => document.querySelector('.files-table tbody tr') || document.querySelector('.files .empty'));
  }
}

const tileIds = (page) => page.$$eval('li[data-device]', (ls) => ls.map((l) => l.dataset.device).sort());
const rowNames = (page) => page.$$eval('.files-table tbody tr', (rs) => rs.map((r) => r.dataset.file).sort());
const texts = (page, selector) => page.$$eval(selector, (es) => es.map((e) => e.textContent.trim()));

// A device's files as the REST API lists them.
async function deviceFiles(id, as = token, headers = {}) {
  const r = await rest(server, 'GET', `/api/v1/devices/${encodeURIComponent(id)}/media?limit=200`, { token: as, headers });
  return r.items.map((f) => f.name).sort();
}

async function tokenOf(username, password) {
  return (await rest(server, 'POST', '/api/v1/auth/login', { body: { username, password } })).access_token;
}

async function waitForRows(page, predicate, what) {
  await page.waitForFunction(predicate, { timeout: 10000 }).catch(async (e) => {
    throw new Error(`${what}: rows are ${JSON.stringify(await rowNames(page))} (${e.message})`);
  });
}

// Drags a file's row onto a device tile the way the browser does it: dragstart on the row, dragover
// on the tile (the tile lights up), drop. Puppeteer's native drag is unreliable for HTML5 drag
// events, so the events are synthesised in the page; the page's own handlers do the work.
async function dragFile(page, name, to, { ctrl = false } = {}) {
  const over = await page.evaluate(
    (name, to, ctrl) => {
      const row = document.querySelector(`tr[data-file="${CSS.escape(name)}"]`);
      const tile = document.querySelector(`li[data-device="${CSS.escape(to)}"]`);
      const target = tile.querySelector('.tile-preview') ?? tile;
      const dt = new DataTransfer();
      // A DataTransfer made by script ignores dropEffect/effectAllowed (they belong to a real drag):
      // keep what the page's handlers set, as the browser would to pick the pointer.
      const effects = { dropEffect: 'none', effectAllowed: 'uninitialized' };
      for (const k of Object.keys(effects))
        Object.defineProperty(dt, k, { get: () => effects[k], set: (v) => (effects[k] = v), configurable: true });
      window.__drag = { dt, row, target, ctrl };
      row.dispatchEvent(new DragEvent('dragstart', { dataTransfer: dt, bubbles: true, cancelable: true }));
      const ev = new DragEvent('dragover', { dataTransfer: dt, ctrlKey: ctrl, bubbles: true, cancelable: true });
      target.dispatchEvent(ev);
      return { draggable: row.draggable, types: [...dt.types], allowed: effects.effectAllowed, accepted: ev.defaultPrevented, effect: effects.dropEffect };
    },
    name,
    to,
    ctrl,
  );
  return {
    over,
    drop: async () => {
      await page.evaluate(() => {
        const { dt, row, target, ctrl } = window.__drag;
        target.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, ctrlKey: ctrl, bubbles: true, cancelable: true }));
        row.dispatchEvent(new DragEvent('dragend', { dataTransfer: dt, bubbles: true }));
        delete window.__drag;
      });
    },
  };
}

// Opens a row's "⋯" menu and picks `label`, by keyboard only.
async function rowMenu(page, file, label) {
  const summary = `tr[data-file="${file}"] details.row-menu summary`;
  await page.$eval(summary, (s) => s.focus());
  await page.keyboard.press('Enter');
  await page.waitForFunction((f) => document.querySelector(`tr[data-file="${f}"] details.row-menu`)?.open, {}, file);
  for (let i = 0; i < 10; i++) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => document.activeElement?.textContent);
    if (focused === label) return page.keyboard.press('Enter');
  }
  throw new Error(`no "${label}" in the menu of ${file}: ${await texts(page, `tr[data-file="${file}"] .menu-list button`)}`);
}

// Tabs forward until the focused element satisfies `match` (a function of its description).
async function tabTo(page, match, limit = 40) {
  const seen = [];
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press('Tab');
    const d = await page.evaluate(() => {
      const e = document.activeElement;
      return { tag: e?.tagName, text: e?.textContent?.trim().slice(0, 40), testid: e?.dataset?.testid ?? '', id: e?.id ?? '' };
    });
    seen.push(`${d.tag}:${d.testid || d.id || d.text}`);
    if (match(d)) return seen;
  }
  throw new Error(`Tab never reached it; focus went ${seen.join(' → ')}`);
}

async function expectAxeClean(page, what) {
  const violations = await axe(page);
  assert.deepEqual(violations, [], `${what}: axe found ${JSON.stringify(violations, null, 1)}`);
}

function clean(page, what) {
  // A signed-out page asks once whether the refresh cookie still works (401).
  const problems = page.problems.filter((p) => !/Failed to load resource: the server responded with a status of 401/.test(p));
  assert.deepEqual(problems, [], `${what}: the page reported problems`);
}

async function shot(page, name) {
  await page.evaluate(() => window.scrollTo(0, 0));
  return screenshot(page, name);
}

// ---- the admin moves and copies files ---------------------------------------------------------------
test('the admin sees every device and a device\'s files; axe finds nothing serious', async () => {
  admin = await newPage(browser);
  await signIn(admin, server, 'admin', ADMIN_PASSWORD);
  assert.equal(new URL(admin.url()).pathname, '/admin');
  await waitForText(admin, 'main h1', 'Devices');
  await devicesView(admin, 'lobby');
  assert.deepEqual(await tileIds(admin), ['annex', 'hall', 'lobby']);
  assert.equal(await admin.$eval('#device-title', (e) => e.textContent), 'Lobby screen');
  await admin.waitForFunction((n) => document.querySelectorAll('.files-table tbody tr').length === n, {}, FILE_NAMES.length);
  assert.deepEqual(await rowNames(admin), [...FILE_NAMES].sort());
  assert.ok(await admin.$$eval('.files-table tbody tr', (rs) => rs.every((r) => r.draggable)), 'an admin can drag every row');
  await expectAxeClean(admin, 'devices view with a device selected');
});

test('a file dragged onto another device\'s tile moves there', async () => {
  const drag = await dragFile(admin, 'red.png', 'hall');
  assert.deepEqual(drag.over.types.sort(), ['application/x-videocontrol-file', 'text/plain']);
  assert.equal(drag.over.allowed, 'copyMove');
  assert.equal(drag.over.accepted, true, 'the tile accepts the drop');
  assert.equal(drag.over.effect, 'move');
  await admin.waitForSelector('li[data-device="hall"].drop'); // the tile lights up under the pointer
  await drag.drop();
  await waitForToast(admin, 'red.png moved to Hall screen.');
  assert.equal(await admin.$('li[data-device="hall"].drop'), null, 'the highlight goes when dropped');
  await waitForRows(admin, () => !document.querySelector('tr[data-file="red.png"]') && document.querySelectorAll('.files-table tbody tr').length === 3, 'red.png leaves the lobby list');
  assert.deepEqual(await rowNames(admin), ['blue.png', 'green.png', 'yellow.png']);
  assert.deepEqual(await deviceFiles('hall'), ['red.png']);
  assert.ok(!(await deviceFiles('lobby')).includes('red.png'));
  // The panel still shows the lobby.
  assert.match(admin.url(), /#\/devices\/lobby$/);
});

test('with Ctrl held the file is copied: it stays here and appears on the target', async () => {
  const drag = await dragFile(admin, 'green.png', 'hall', { ctrl: true });
  assert.equal(drag.over.accepted, true);
  assert.equal(drag.over.effect, 'copy', 'the pointer says copy');
  await drag.drop();
  await waitForToast(admin, 'green.png copied to Hall screen.');
  assert.deepEqual(await deviceFiles('hall'), ['green.png', 'red.png']);
  assert.ok((await deviceFiles('lobby')).includes('green.png'), 'the lobby keeps it');
  // Still listed here after the list reloads.
  await admin.waitForFunction(() => document.querySelectorAll('.files-table tbody tr').length === 3);
  assert.deepEqual(await rowNames(admin), ['blue.png', 'green.png', 'yellow.png']);
  await shot(admin, 'roles-drag-copied');
  // Dropping on its own device does nothing.
  const same = await dragFile(admin, 'green.png', 'lobby');
  await same.drop();
  assert.deepEqual(await deviceFiles('lobby'), ['blue.png', 'green.png', 'yellow.png']);
});

test('by keyboard: the row menu\'s "Move to device…" and "Copy to device…" open a dialog with the target', async () => {
  await rowMenu(admin, 'blue.png', 'Move to device…');
  await admin.waitForSelector('dialog[open] #transfer-to');
  assert.equal(await admin.$eval('dialog[open] h2', (e) => e.textContent), 'Move to device…');
  assert.match(await admin.$eval('dialog[open] form', (e) => e.textContent), /blue\.png/);
  // Every device but this one, by name.
  const options = await admin.$$eval('#transfer-to option', (os) => os.map((o) => [o.value, o.textContent]));
  assert.deepEqual(options.map(([v]) => v).sort(), ['annex', 'hall']);
  assert.ok(options.some(([, text]) => text === 'Annex screen (annex)'), JSON.stringify(options));
  await expectAxeClean(admin, 'the open "Move to device…" dialog');
  await shot(admin, 'roles-move-dialog');
  // The arrow keys choose the target (the first one is preselected); then Tab to Move, Enter.
  assert.equal(await admin.evaluate(() => document.activeElement?.id), 'transfer-to', 'the select has focus');
  const value = () => admin.$eval('#transfer-to', (s) => s.value);
  assert.equal(await value(), options[0][0]);
  await admin.keyboard.press('ArrowDown');
  assert.equal(await value(), options[1][0]);
  if (options[1][0] !== 'annex') {
    await admin.keyboard.press('ArrowUp');
    assert.equal(await value(), 'annex');
  }
  await tabTo(admin, (d) => d.tag === 'BUTTON' && d.text === 'Move', 5);
  await admin.keyboard.press('Enter');
  await admin.waitForFunction(() => !document.querySelector('dialog[open]'));
  await waitForToast(admin, 'blue.png moved to Annex screen.');
  await waitForRows(admin, () => !document.querySelector('tr[data-file="blue.png"]'), 'blue.png leaves the lobby list');
  assert.deepEqual(await deviceFiles('annex'), ['blue.png']);
  assert.deepEqual(await deviceFiles('lobby'), ['green.png', 'yellow.png']);

  await rowMenu(admin, 'yellow.png', 'Copy to device…');
  await admin.waitForSelector('dialog[open] #transfer-to');
  assert.equal(await admin.$eval('dialog[open] h2', (e) => e.textContent), 'Copy to device…');
  await admin.select('#transfer-to', 'hall');
  await admin.focus('#transfer-to');
  await tabTo(admin, (d) => d.tag === 'BUTTON' && d.text === 'Copy', 5);
  await admin.keyboard.press('Enter');
  await admin.waitForFunction(() => !document.querySelector('dialog[open]'));
  await waitForToast(admin, 'yellow.png copied to Hall screen.');
  assert.deepEqual(await deviceFiles('hall'), ['green.png', 'red.png', 'yellow.png']);
  assert.deepEqual(await deviceFiles('lobby'), ['green.png', 'yellow.png']);
  await admin.waitForFunction(() => document.querySelectorAll('.files-table tbody tr').length === 2);
  assert.deepEqual(await rowNames(admin), ['green.png', 'yellow.png']);
  clean(admin, 'admin');
});

test('keyboard: Tab reaches "Add device", Enter opens its dialog with focus inside, Escape closes it and focus returns', async () => {
  await admin.goto(`${server.url}/admin#/devices`, { waitUntil: 'networkidle0' });
  await admin.waitForSelector('[data-testid=add-device]');
  await tabTo(admin, (d) => d.testid === 'add-device');
  assert.equal(await admin.evaluate(() => document.activeElement.textContent), 'Add device');
  await admin.keyboard.press('Enter');
  await admin.waitForSelector('dialog[open] #dev-id');
  assert.equal(await admin.$eval('dialog[open] h2', (e) => e.textContent), 'Add device');
  assert.equal(await admin.evaluate(() => document.activeElement?.id), 'dev-id', 'the first field has focus');
  // Typing goes into the dialog, not the page behind it.
  await admin.keyboard.type('typed');
  assert.equal(await admin.$eval('#dev-id', (e) => e.value), 'typed');
  await admin.keyboard.press('Escape');
  await admin.waitForFunction(() => !document.querySelector('dialog[open]'));
  await admin.waitForFunction(() => document.activeElement?.dataset?.testid === 'add-device').catch(async (e) => {
    throw new Error(`focus is on ${await admin.evaluate(() => document.activeElement?.outerHTML.slice(0, 120))} (${e.message})`);
  });
  assert.deepEqual(await tileIds(admin), ['annex', 'hall', 'lobby'], 'nothing was created');
});

// ---- roles ------------------------------------------------------------------------------------------
test('a viewer lands on the admin panel and sees the devices and files, with nothing that changes them', async () => {
  const page = await freshPage();
  await signIn(page, server, VIEWER.username, VIEWER.password);
  assert.equal(new URL(page.url()).pathname, '/admin');
  await waitForText(page, 'main h1', 'Devices');
  await devicesView(page, 'lobby');
  assert.deepEqual(await tileIds(page), ['annex', 'hall', 'lobby']);
  await page.waitForFunction(() => document.querySelectorAll('.files-table tbody tr').length === 2);
  assert.deepEqual(await rowNames(page), ['green.png', 'yellow.png']);

  // The read-only badge, and a nav without the admin's sections.
  assert.ok((await texts(page, '.topbar .badge')).includes('Read only'));
  const nav = await texts(page, '.topbar nav a');
  for (const hidden of ['Users', 'API keys', 'Webhooks', 'Audit log', 'Organisations']) assert.ok(!nav.includes(hidden), `nav lacks ${hidden}: ${nav}`);
  assert.ok(nav.includes('Devices'));

  assert.equal(await page.$('[data-testid=add-device]'), null, 'no Add device');
  assert.equal(await page.$('input[type=file]'), null, 'no upload input');
  assert.equal(await page.$('.device-controls'), null, 'no playback controls');
  assert.equal(await page.$('.drop-hint'), null, 'no drop hint');
  const buttons = await texts(page, 'button');
  for (const label of ['Add device', 'Upload files', 'Rename', 'Delete', 'Credential', 'Pause', 'Resume', 'Restart', 'Stop'])
    assert.ok(!buttons.includes(label), `no "${label}" button: ${buttons.join(' | ')}`);
  assert.ok(!buttons.some((b) => /Play\b/.test(b)), `no Play buttons: ${buttons.join(' | ')}`);
  // The rows cannot be dragged and their menu only previews.
  assert.ok(await page.$$eval('.files-table tbody tr', (rs) => rs.every((r) => !r.draggable)), 'rows are not draggable');
  assert.deepEqual(await texts(page, 'tr[data-file="green.png"] .menu-list button'), ['Preview']);
  // Even a drop forced onto a tile is refused, and nothing moves.
  const drag = await dragFile(page, 'green.png', 'annex');
  assert.equal(drag.over.accepted, false, 'the tile refuses the drop');
  await drag.drop();
  assert.deepEqual(await deviceFiles('annex'), ['blue.png']);
  assert.deepEqual(await deviceFiles('lobby'), ['green.png', 'yellow.png']);

  await expectAxeClean(page, 'viewer\'s devices view');
  await shot(page, 'roles-viewer');
  clean(page, 'viewer');
});

test('a speaker lands on the speaker panel, and /admin sends it there too', async () => {
  const page = await freshPage();
  await signIn(page, server, SPEAKER.username, SPEAKER.password);
  assert.equal(new URL(page.url()).pathname, '/speaker');
  await page.waitForSelector('[data-testid="device"][data-device-id="lobby"]');
  await page.goto(`${server.url}/admin`, { waitUntil: 'networkidle0' });
  await page.waitForFunction(() => location.pathname === '/speaker');
  clean(page, 'speaker');
});

test('an operator adds devices and uploads, but has no Users, API keys or Audit', async () => {
  const page = await freshPage();
  await signIn(page, server, OPERATOR.username, OPERATOR.password);
  assert.equal(new URL(page.url()).pathname, '/admin');
  await devicesView(page, 'hall');
  await page.waitForFunction(() => document.querySelectorAll('.files-table tbody tr').length === 3);
  assert.ok(await page.$('[data-testid=add-device]'), 'Add device');
  assert.ok(await page.$('[data-testid=upload-input]'), 'the upload input');
  const buttons = await texts(page, 'main button');
  for (const label of ['Add device', 'Upload files', 'Rename', 'Delete', 'Credential', 'Pause', 'Stop']) assert.ok(buttons.includes(label), `"${label}" is there: ${buttons.join(' | ')}`);
  assert.equal(await page.$$eval('.files-table .actions-cell button', (bs) => bs.filter((b) => b.textContent.includes('Play')).length), 3, 'a Play button per file');
  assert.ok(await page.$$eval('.files-table tbody tr', (rs) => rs.every((r) => r.draggable)));
  const nav = await texts(page, '.topbar nav a');
  for (const hidden of ['Users', 'API keys', 'Webhooks', 'Audit log', 'Organisations']) assert.ok(!nav.includes(hidden), `nav lacks ${hidden}: ${nav}`);
  assert.ok(!(await texts(page, '.topbar .badge')).includes('Read only'));
  await shot(page, 'roles-operator');
  clean(page, 'operator');
});

// ---- tenancy ----------------------------------------------------------------------------------------
test('another organisation\'s admin sees only its own screen; the Default organisation never sees it', async () => {
  const page = await freshPage();
  await signIn(page, server, FAR.username, FAR.password);
  assert.equal(new URL(page.url()).pathname, '/admin');
  await devicesView(page);
  assert.deepEqual(await tileIds(page), [FAR.device]);
  await waitForText(page, `li[data-device="${FAR.device}"]`, FAR.deviceName);
  const body = await page.$eval('body', (b) => b.textContent);
  for (const [, name] of DEVICES) assert.ok(!body.includes(name), `${name} is not shown`);
  // Typing another organisation's device into the address shows "not found", not the device.
  await page.evaluate(() => (location.hash = '#/devices/lobby'));
  await page.waitForSelector('main .alert.error');
  assert.equal(await page.$('#device-title'), null);
  assert.ok(!(await page.$eval('body', (b) => b.textContent)).includes('Lobby screen'));
  // And the API agrees.
  const farToken = await tokenOf(FAR.username, FAR.password);
  await assert.rejects(deviceFiles('lobby', farToken), (e) => e.status === 404);
  clean(page, 'other organisation\'s admin');

  // The Default organisation: the superadmin's panel and the viewer's never show the far screen.
  await admin.goto(`${server.url}/admin#/devices`, { waitUntil: 'networkidle0' });
  await devicesView(admin);
  assert.deepEqual(await tileIds(admin), ['annex', 'hall', 'lobby']);
  assert.ok(!(await admin.$eval('body', (b) => b.textContent)).includes(FAR.deviceName));
  await admin.evaluate((d) => (location.hash = `#/devices/${d}`), FAR.device);
  await admin.waitForSelector('main .alert.error');
  assert.equal(await admin.$('#device-title'), null);
  const viewer = await freshPage();
  await signIn(viewer, server, VIEWER.username, VIEWER.password);
  await devicesView(viewer);
  assert.deepEqual(await tileIds(viewer), ['annex', 'hall', 'lobby']);
  assert.ok(!(await viewer.$eval('body', (b) => b.textContent)).includes(FAR.deviceName));
});

// ---- signed out -------------------------------------------------------------------------------------
test('signed out, /admin and /speaker go to sign-in; signing in returns to the exact address', async () => {
  const page = await freshPage();
  for (const p of ['/admin', '/speaker']) {
    await page.goto(`${server.url}${p}`, { waitUntil: 'networkidle0' });
    await page.waitForSelector('#username');
    const u = new URL(page.url());
    assert.equal(u.pathname, '/signin');
    assert.equal(u.searchParams.get('next'), p);
  }
  await page.goto(`${server.url}/admin#/devices/hall`, { waitUntil: 'networkidle0' });
  await page.waitForSelector('#username');
  assert.equal(new URL(page.url()).searchParams.get('next'), '/admin#/devices/hall');
  await page.type('#username', 'admin');
  await page.type('#password', ADMIN_PASSWORD);
  await Promise.all([page.waitForNavigation({ waitUntil: 'networkidle0' }), page.click('button[type=submit]')]);
  const u = new URL(page.url());
  assert.equal(u.pathname + u.hash, '/admin#/devices/hall');
  await page.waitForFunction(() => document.querySelector('#device-title')?.textContent === 'Hall screen');
  assert.ok(await page.$('li[data-device="hall"].selected'));
  clean(page, 'signed out, then in');

  // A speaker sent to sign-in from /admin still lands on its own panel.
  const sp = await freshPage();
  await sp.goto(`${server.url}/admin#/devices/hall`, { waitUntil: 'networkidle0' });
  await sp.waitForSelector('#username');
  await sp.type('#username', SPEAKER.username);
  await sp.type('#password', SPEAKER.password);
  await Promise.all([sp.waitForNavigation({ waitUntil: 'networkidle0' }), sp.click('button[type=submit]')]);
  assert.equal(new URL(sp.url()).pathname, '/speaker');
});

// ---- Russian ----------------------------------------------------------------------------------------
test('Russian: the devices view and a device\'s files read in Russian, without raw keys', async () => {
  const page = await freshPage({ lang: 'ru-RU' });
  await signIn(page, server, 'admin', ADMIN_PASSWORD);
  await waitForText(page, 'main h1', 'Устройства');
  await devicesView(page, 'hall');
  await page.waitForFunction(() => document.querySelectorAll('.files-table tbody tr').length === 3);
  assert.equal(await page.$eval('main h1', (e) => e.textContent), 'Устройства');
  assert.equal(await page.$eval('[data-testid=add-device]', (e) => e.textContent), 'Добавить устройство');
  const buttons = await texts(page, 'main button');
  assert.ok(buttons.includes('Загрузить файлы'), buttons.join(' | '));
  assert.ok(buttons.includes('Пауза'), buttons.join(' | '));
  const text = await page.$eval('body', (b) => b.innerText);
  const keys = text.match(/\b(devices|files|upload|nav|control|kind|status|state|role|action|common|error|live|account)\.[a-z_]+\b/g) ?? [];
  assert.deepEqual(keys, [], 'raw catalogue keys on the page');
  const english = ENGLISH.filter((s) => new RegExp(`(^|[^\\p{L}])${s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^\\p{L}])`, 'u').test(text));
  assert.deepEqual(english, [], 'English strings in the Russian page');
  // The row menu and the move dialog too.
  await page.click('tr[data-file="red.png"] details.row-menu summary');
  const menu = await texts(page, 'tr[data-file="red.png"] .menu-list button');
  assert.ok(menu.includes('Переместить на устройство…'), menu.join(' | '));
  await page.$$eval('tr[data-file="red.png"] .menu-list button', (bs) => bs.find((b) => b.textContent === 'Копировать на устройство…').click());
  await page.waitForSelector('dialog[open] #transfer-to');
  assert.equal(await page.$eval('dialog[open] h2', (e) => e.textContent), 'Копировать на устройство…');
  assert.equal(await page.$eval('label[for=transfer-to]', (e) => e.textContent), 'Устройство');
  await page.keyboard.press('Escape');
  await page.waitForFunction(() => !document.querySelector('dialog[open]'));
  await shot(page, 'roles-ru');
  clean(page, 'Russian');
});
