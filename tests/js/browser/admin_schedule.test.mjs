// The admin panel's Scheduling section (issue 13) in a real Chromium against a real server: an admin
// makes a group of two devices (and renames and deletes groups), builds a playlist of two uploaded
// images, reorders it by drag and drop and by keyboard and checks the saved order through the API,
// sees the server's error for a bad duration, assigns the playlist weekly (two ranges) and by cron
// with the live preview (5 runs; the server's error for "61 * * * *"), sets a device's default
// playlist, compares the day strip with the API's timeline (today and the next day), starts an
// emergency override through its confirmation step and clears it; a viewer sees everything and no
// control that changes anything; the Russian page shows no English strings or raw keys; axe finds
// nothing serious.
//
//   node web/build.mjs --out /tmp/wsched
//   VC_WEB_DIR=/tmp/wsched VC_SERVER_BINARY=build/apps/server/videocontrol-server \
//     VC_SCREENSHOT_DIR=build/schedule-shots node --test tests/js/browser/admin_schedule.test.mjs
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { ADMIN_PASSWORD, adminToken, axe, createDevice, createUser, launch, newPage, rest, screenshot, signIn, startServer, uploadFile, waitForToast } from './harness.mjs';
import { solidPng } from './fixtures.mjs';

const VIEWER = { username: 'vic.viewer', password: 'Vic-viewer-pass-42' };
const DEVICES = [
  ['lobby', 'Lobby screen'],
  ['hall', 'Hall screen'],
  ['annex', 'Annex screen'],
];

const i18n = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../../web/src/i18n');
const catalogue = (lang) => ({ ...JSON.parse(fs.readFileSync(`${i18n}/${lang}/common.json`)), ...JSON.parse(fs.readFileSync(`${i18n}/${lang}/schedule.json`)) });
const EN = catalogue('en'), RU = catalogue('ru');
const ENGLISH = Object.entries(EN)
  .filter(([k, v]) => RU[k] !== v && v.length >= 6 && !v.includes('{'))
  .map(([, v]) => v);

let server, browser, token, admin;
const media = {}; // name → media id
let group, playlist;
const contexts = [];

before(async () => {
  const red = solidPng('red.png', 'red', '320x180');
  const blue = solidPng('blue.png', 'blue', '320x180');
  server = await startServer();
  token = await adminToken(server);
  for (const [id, name] of DEVICES) await createDevice(server, token, id, name);
  await uploadFile(server, token, 'lobby', red);
  await uploadFile(server, token, 'lobby', blue);
  const lib = await rest(server, 'GET', '/api/v1/media?limit=200', { token });
  for (const m of lib.items) media[m.name] = m.id;
  assert.ok(media['red.png'] && media['blue.png'], `both images are in the library: ${JSON.stringify(Object.keys(media))}`);
  await createUser(server, token, VIEWER.username, 'viewer', VIEWER.password);
  browser = await launch();
  admin = await newPage(browser);
  await signIn(admin, server, 'admin', ADMIN_PASSWORD);
});

after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  await server?.cleanup();
});

// ---- helpers ------------------------------------------------------------------------------------
async function freshPage(opts) {
  const ctx = await browser.createBrowserContext();
  contexts.push(ctx);
  return newPage(ctx, opts);
}
const api = (method, p, body) => rest(server, method, p, { token, body });
const texts = (page, selector) => page.$$eval(selector, (es) => es.map((e) => e.textContent.trim()));

async function go(page, hash) {
  // The section has drawn this address's tab (a hash change re-renders a moment later). The page may
  // still be finishing the previous step's own navigation (after a delete it reloads the list and
  // then goes back to the list's address), which can replace ours on a loaded machine: set it again.
  const tab = `#/schedule/${hash.split('/')[2]}`;
  for (let attempt = 1; ; attempt++) {
    await page.evaluate((h) => (location.hash = h), hash);
    try {
      await page.waitForFunction(
        (tab) => document.querySelector('.sched-tabs a[aria-current=page]')?.getAttribute('href') === tab && !document.querySelector('.schedule > .empty[aria-busy]'),
        { timeout: 7000 },
        tab,
      );
      if ((await page.evaluate(() => location.hash)) === hash) return;
    } catch (e) {
      if (attempt >= 3) throw e;
    }
    if (attempt >= 3) throw new Error(`the page did not stay at ${hash}`);
  }
}

async function clickText(page, selector, text) {
  const ok = await page.$$eval(
    selector,
    (es, t) => {
      const e = es.find((x) => x.textContent.trim() === t);
      if (e) e.click();
      return !!e;
    },
    text,
  );
  assert.ok(ok, `no ${selector} "${text}": ${JSON.stringify(await texts(page, selector))}`);
}

// Sets an input's value as typing would (time and date inputs take no keystrokes reliably).
async function setValue(page, selector, value) {
  await page.$eval(
    selector,
    (e, v) => {
      Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set.call(e, v);
      e.dispatchEvent(new Event('input', { bubbles: true }));
      e.dispatchEvent(new Event('change', { bubbles: true }));
    },
    value,
  );
}

async function replaceText(page, selector, value) {
  await page.$eval(selector, (e) => e.select?.());
  await page.click(selector, { clickCount: 3 });
  await page.keyboard.press('Backspace');
  await page.type(selector, value);
}

// Confirms the open "Are you sure?" dialog with its danger button.
async function confirmDialog(page, label) {
  await page.waitForSelector('dialog[open] button.danger');
  assert.equal(await page.$eval('dialog[open] h2', (e) => e.textContent), 'Are you sure?');
  await clickText(page, 'dialog[open] button.danger', label);
  await page.waitForFunction(() => !document.querySelector('dialog[open]'));
}

const itemOrder = (page) => page.$$eval('[data-testid=playlist-items] li', (ls) => ls.map((l) => l.dataset.media));

// An HTML5 drag of playlist row `from` onto the upper or lower half of row `to`, synthesised in the
// page (puppeteer's native drag does not drive HTML5 drag events reliably); the page's handlers do
// the work.
async function dragRow(page, from, to, half) {
  return page.evaluate(
    (from, to, half) => {
      const rows = document.querySelectorAll('[data-testid=playlist-items] li');
      const src = rows[from], dst = rows[to];
      const r = dst.getBoundingClientRect();
      const y = half === 'upper' ? r.top + r.height * 0.25 : r.top + r.height * 0.75;
      const at = { clientX: r.left + r.width / 2, clientY: y, bubbles: true, cancelable: true };
      const dt = new DataTransfer();
      src.dispatchEvent(new DragEvent('dragstart', { dataTransfer: dt, bubbles: true, cancelable: true }));
      const over = new DragEvent('dragover', { dataTransfer: dt, ...at });
      dst.dispatchEvent(over);
      dst.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, ...at }));
      src.dispatchEvent(new DragEvent('dragend', { dataTransfer: dt, bubbles: true }));
      return { draggable: src.draggable, accepted: over.defaultPrevented, types: [...dt.types] };
    },
    from,
    to,
    half,
  );
}

async function expectAxeClean(page, what) {
  const violations = await axe(page);
  assert.deepEqual(violations, [], `${what}: axe found ${JSON.stringify(violations, null, 1)}`);
}

function clean(page, what) {
  const problems = page.problems.filter((p) => !/Failed to load resource: the server responded with a status of (401|400)/.test(p));
  assert.deepEqual(problems, [], `${what}: the page reported problems`);
}

async function shot(page, name, full = false) {
  if (!full) return screenshot(page, `schedule-${name}`);
  const dir = path.dirname(await screenshot(page, `schedule-${name}`));
  await page.screenshot({ path: path.join(dir, `schedule-${name}.png`), fullPage: true });
}

// ---- groups -------------------------------------------------------------------------------------
test('groups: create one, choose its devices, rename it; delete another after a confirmation', async () => {
  await admin.goto(`${server.url}/admin#/devices`, { waitUntil: 'networkidle0' });
  const nav = await texts(admin, '.topbar nav a');
  assert.ok(nav.includes('Scheduling'), `the nav has Scheduling: ${nav}`);
  await clickText(admin, '.topbar nav a', 'Scheduling');
  await admin.waitForSelector('.sched-tabs');
  await go(admin, '#/schedule/groups');
  await admin.click('[data-testid=group-new]');
  await admin.waitForSelector('dialog[open] #group-name');
  await admin.type('#group-name', 'Front of house');
  await admin.click('dialog[open] button[type=submit]');
  await admin.waitForSelector('[data-testid=group-editor]');
  await admin.waitForFunction(() => document.querySelector('#group-title')?.textContent === 'Front of house');
  group = (await api('GET', '/api/v1/groups')).items.find((g) => g.name === 'Front of house');
  assert.ok(group);
  assert.deepEqual(group.device_ids, []);
  assert.match(await admin.evaluate(() => location.hash), new RegExp(`#/schedule/groups/${group.id}$`));

  // Members: a checkbox per device of the organisation.
  const boxes = await admin.$$eval('.check-list input[type=checkbox]', (bs) => bs.map((b) => b.dataset.device).sort());
  assert.deepEqual(boxes, ['annex', 'hall', 'lobby']);
  assert.ok(await admin.$eval('[data-testid=group-save]', (b) => b.disabled), 'nothing to save yet');
  await admin.click('input[data-device=lobby]');
  await admin.click('input[data-device=hall]');
  await admin.click('[data-testid=group-save]');
  await waitForToast(admin, 'Members of Front of house saved.');
  group = await api('GET', `/api/v1/groups/${group.id}`);
  assert.deepEqual(group.device_ids, ['hall', 'lobby']);
  await admin.waitForFunction(() => document.querySelector('[data-testid=group-list] a[aria-current=true]')?.textContent.includes('2 devices'));

  // Rename.
  await clickText(admin, '[data-testid=group-editor] button', 'Rename');
  await admin.waitForSelector('dialog[open] #rename-input');
  await admin.$eval('#rename-input', (e) => e.select());
  await admin.type('#rename-input', 'Front screens');
  await admin.click('dialog[open] button[type=submit]');
  await admin.waitForFunction(() => document.querySelector('#group-title')?.textContent === 'Front screens');
  assert.equal((await api('GET', `/api/v1/groups/${group.id}`)).name, 'Front screens');
  await expectAxeClean(admin, 'a group');
  await shot(admin, 'group');

  // Delete: asked first; Cancel keeps it, the second time it goes.
  const temp = await api('POST', '/api/v1/groups', { name: 'Temporary', device_ids: ['annex'] });
  await admin.waitForFunction(() => [...document.querySelectorAll('[data-testid=group-list] a')].some((a) => a.textContent.includes('Temporary')));
  await go(admin, `#/schedule/groups/${temp.id}`);
  await admin.waitForFunction(() => document.querySelector('#group-title')?.textContent === 'Temporary');
  await clickText(admin, '[data-testid=group-editor] button', 'Delete');
  await admin.waitForSelector('dialog[open]');
  assert.match(await admin.$eval('dialog[open] p', (e) => e.textContent), /Delete the group Temporary\?/);
  await clickText(admin, 'dialog[open] button', 'Cancel');
  await admin.waitForFunction(() => !document.querySelector('dialog[open]'));
  assert.equal((await api('GET', '/api/v1/groups')).items.length, 2, 'Cancel deletes nothing');
  await clickText(admin, '[data-testid=group-editor] button', 'Delete');
  await confirmDialog(admin, 'Delete');
  await waitForToast(admin, 'Group Temporary deleted.');
  assert.deepEqual((await api('GET', '/api/v1/groups')).items.map((g) => g.name), ['Front screens']);
  clean(admin, 'groups');
});

// ---- playlists ----------------------------------------------------------------------------------
test('playlists: build one of two uploaded images, reorder by drag and drop and by keyboard; the API has the saved order', async () => {
  await go(admin, '#/schedule/playlists');
  await admin.click('[data-testid=playlist-new]');
  await admin.waitForSelector('dialog[open] #playlist-new-name');
  await admin.type('#playlist-new-name', 'Morning loop');
  await admin.click('dialog[open] button[type=submit]');
  await admin.waitForFunction(() => document.querySelector('#playlist-title')?.textContent === 'Morning loop');
  playlist = (await api('GET', '/api/v1/playlists')).items.find((p) => p.name === 'Morning loop');
  assert.ok(playlist);

  // The library lists the uploads; + adds them at the end.
  const library = await admin.$$eval('[data-testid=media-library] button[data-media]', (bs) => bs.map((b) => b.dataset.media).sort());
  assert.deepEqual(library, [media['blue.png'], media['red.png']].sort());
  await admin.click(`[data-testid=media-library] button[data-media="${media['red.png']}"]`);
  await admin.click(`[data-testid=media-library] button[data-media="${media['blue.png']}"]`);
  assert.deepEqual(await itemOrder(admin), [media['red.png'], media['blue.png']]);
  await setValue(admin, '[data-testid=playlist-items] li:nth-child(1) [data-testid=item-duration]', '10');
  await admin.click('[data-testid=playlist-save]');
  await waitForToast(admin, 'Playlist Morning loop saved.');
  let saved = await api('GET', `/api/v1/playlists/${playlist.id}`);
  assert.deepEqual(saved.items, [
    { media_id: media['red.png'], duration_ms: 10000 },
    { media_id: media['blue.png'], duration_ms: null },
  ]);

  // Drag and drop: blue onto the upper half of red goes before it.
  assert.ok(await admin.$eval('[data-testid=playlist-save]', (b) => b.disabled), 'saved: nothing to save');
  const drag = await dragRow(admin, 1, 0, 'upper');
  assert.equal(drag.draggable, true);
  assert.equal(drag.accepted, true, 'the row accepts the drop');
  assert.deepEqual(await itemOrder(admin), [media['blue.png'], media['red.png']]);
  assert.ok(await admin.$('.pl-item .pl-name'), 'rows drawn');
  await shot(admin, 'playlist-reordered');
  await admin.click('[data-testid=playlist-save]');
  await waitForToast(admin, 'Playlist Morning loop saved.');
  saved = await api('GET', `/api/v1/playlists/${playlist.id}`);
  assert.deepEqual(saved.items, [
    { media_id: media['blue.png'], duration_ms: null },
    { media_id: media['red.png'], duration_ms: 10000 },
  ], 'the saved order is the dragged one, durations kept');

  // A drop on the lower half of the last row puts it last.
  await dragRow(admin, 0, 1, 'lower');
  assert.deepEqual(await itemOrder(admin), [media['red.png'], media['blue.png']]);

  // By keyboard: Tab to blue's "Move up", Enter; the focus stays with the moved item.
  await admin.focus('[data-testid=playlist-items] li:nth-child(2) [data-testid=item-duration]');
  await admin.keyboard.press('Tab');
  assert.equal(await admin.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Move blue.png up');
  await admin.keyboard.press('Enter');
  assert.deepEqual(await itemOrder(admin), [media['blue.png'], media['red.png']]);
  await admin
    .waitForFunction(() => document.activeElement?.closest('li')?.dataset.index === '0' && document.activeElement?.getAttribute('aria-label') === 'Move blue.png down', { timeout: 5000 })
    .catch(async () => assert.equal(await admin.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Move blue.png down', 'at the top, focus moves to its Move down'));
  assert.equal(await admin.$eval('[data-testid=pl-announce]', (e) => e.textContent), 'blue.png moved to position 1 of 2.');
  await admin.keyboard.press('Enter');
  assert.deepEqual(await itemOrder(admin), [media['red.png'], media['blue.png']]);
  // At the bottom its Move down is disabled: the focus is on its Move up.
  await admin
    .waitForFunction(() => document.activeElement?.closest('li')?.dataset.index === '1' && document.activeElement?.getAttribute('aria-label') === 'Move blue.png up', { timeout: 5000 })
    .catch(async () => assert.equal(await admin.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Move blue.png up', 'at the bottom, focus moves to its Move up'));
  await admin.keyboard.press('Enter');
  assert.deepEqual(await itemOrder(admin), [media['blue.png'], media['red.png']]);

  // Settings: shuffle, fade; the name field renames.
  await admin.click('[data-testid=pl-shuffle]');
  await admin.select('[data-testid=pl-transition]', 'fade');
  await replaceText(admin, '#playlist-name', 'Morning loop');
  await admin.click('[data-testid=playlist-save]');
  await waitForToast(admin, 'Playlist Morning loop saved.');
  saved = await api('GET', `/api/v1/playlists/${playlist.id}`);
  assert.equal(saved.shuffle, true);
  assert.equal(saved.loop, true);
  assert.equal(saved.transition, 'fade');
  assert.deepEqual(saved.items.map((i) => i.media_id), [media['blue.png'], media['red.png']]);

  // The server's error is shown: half a second is below its 1 s minimum.
  await setValue(admin, '[data-testid=playlist-items] li:nth-child(1) [data-testid=item-duration]', '0.5');
  await admin.click('[data-testid=playlist-save]');
  await admin.waitForSelector('[data-testid=playlist-editor] [data-testid=form-error]');
  const err = await admin.$eval('[data-testid=playlist-editor] [data-testid=form-error]', (e) => e.textContent);
  assert.match(err, /^Check the input: .*duration/, err);
  await shot(admin, 'playlist-error');
  await clickText(admin, '[data-testid=playlist-editor] button', 'Undo changes');
  assert.equal((await api('GET', `/api/v1/playlists/${playlist.id}`)).items[0].duration_ms, null, 'nothing was saved');

  // Duplicate, then delete the copy after a confirmation.
  await clickText(admin, '[data-testid=playlist-editor] button', 'Duplicate');
  await admin.waitForFunction((id) => !location.hash.endsWith(id), {}, playlist.id);
  const lists = (await api('GET', '/api/v1/playlists')).items;
  assert.equal(lists.length, 2);
  const copy = lists.find((p) => p.id !== playlist.id);
  assert.deepEqual(copy.items.map((i) => i.media_id), [media['blue.png'], media['red.png']]);
  await admin.waitForFunction((n) => document.querySelector('#playlist-title')?.textContent === n, {}, copy.name);
  await clickText(admin, '[data-testid=playlist-editor] button', 'Delete');
  await confirmDialog(admin, 'Delete');
  await admin.waitForFunction(() => location.hash === '#/schedule/playlists');
  assert.deepEqual((await api('GET', '/api/v1/playlists')).items.map((p) => p.id), [playlist.id]);
  await go(admin, `#/schedule/playlists/${playlist.id}`);
  await admin.waitForSelector('[data-testid=playlist-items]');
  await expectAxeClean(admin, 'the playlist editor');
  await shot(admin, 'playlist');
  clean(admin, 'playlists');
});

// ---- assignments --------------------------------------------------------------------------------
async function previewRuns(page) {
  await page.waitForFunction(() => {
    const p = document.querySelector('[data-testid=schedule-preview]');
    return p && !p.getAttribute('aria-busy') && (p.querySelector('[data-testid=preview-runs]') || p.querySelector('[data-testid=preview-error]'));
  });
  return page.$$eval('[data-testid=preview-runs] li', (ls) => ls.map((l) => l.textContent));
}

test('assignments: weekly with two ranges and cron, with the live preview and its error for a bad cron expression', async () => {
  await go(admin, '#/schedule/assignments');
  await admin.click('[data-testid=assignment-new]');
  await admin.waitForSelector('[data-testid=assignment-editor]');
  assert.equal(await admin.evaluate(() => document.activeElement?.id), 'as-playlist', 'the editor takes the focus');
  await admin.select('#as-playlist', playlist.id);
  await admin.select('#as-target', 'd:lobby');
  await replaceText(admin, '#as-priority', '10');
  await admin.click('input[data-kind=weekly]');
  await admin.waitForSelector('[data-testid=range]');
  // Range 1: Mon–Fri (the default days) 09:00–18:00; range 2: Saturday 10:00–14:00.
  await setValue(admin, '[data-testid=range]:nth-of-type(1) [data-testid=range-start]', '09:00');
  await admin.click('[data-testid=range-add]');
  await admin.waitForFunction(() => document.querySelectorAll('[data-testid=range]').length === 2);
  for (const d of ['mon', 'tue', 'wed', 'thu', 'fri', 'sun']) await admin.click(`[data-testid=range]:nth-of-type(2) input[data-day=${d}]`);
  await setValue(admin, '[data-testid=range]:nth-of-type(2) [data-testid=range-start]', '10:00');
  await setValue(admin, '[data-testid=range]:nth-of-type(2) [data-testid=range-end]', '14:00');
  await admin.waitForFunction(() => document.querySelector('[data-testid=preview-description]')?.textContent === 'Mon–Fri 09:00–18:00, Sat 10:00–14:00');
  const weekly = await previewRuns(admin);
  assert.equal(weekly.length, 5, JSON.stringify(weekly));
  // (A range running now counts from now.)
  assert.ok(weekly.every((r) => /^(Mon|Tue|Wed|Thu|Fri), .* \d\d:\d\d – 18:00$|^Sat, .* \d\d:\d\d – 14:00$/.test(r)), JSON.stringify(weekly));
  assert.ok(weekly.slice(1).every((r) => / (09|10):00 – /.test(r)), JSON.stringify(weekly));
  assert.match(await admin.$eval('[data-testid=schedule-preview]', (e) => e.textContent), /on the clock of UTC/);
  await expectAxeClean(admin, 'the assignment editor');
  await shot(admin, 'assignment-weekly', true);
  await admin.click('[data-testid=assignment-save]');
  await waitForToast(admin, 'Assignment created.');
  let list = (await api('GET', '/api/v1/assignments')).items;
  assert.equal(list.length, 1);
  assert.equal(list[0].device_id, 'lobby');
  assert.equal(list[0].priority, 10);
  assert.deepEqual(list[0].schedule, {
    kind: 'weekly',
    ranges: [
      { days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '18:00' },
      { days: ['sat'], start: '10:00', end: '14:00' },
    ],
  });

  // Cron on the group: the preview follows the typing; 61 is no minute.
  await admin.click('[data-testid=assignment-new]');
  await admin.waitForSelector('[data-testid=assignment-editor]');
  await admin.select('#as-target', `g:${group.id}`);
  await replaceText(admin, '#as-priority', '20');
  await admin.click('input[data-kind=cron]');
  await replaceText(admin, '#as-cron', '61 * * * *');
  await admin.waitForFunction(() => /61/.test(document.querySelector('[data-testid=preview-error]')?.textContent ?? ''));
  const error = await admin.$eval('[data-testid=preview-error]', (e) => e.textContent);
  assert.match(error, /^Check the input: .*minute.*61/, error);
  assert.equal(await admin.$('[data-testid=preview-runs]'), null, 'no runs for a bad expression');
  await shot(admin, 'assignment-cron-error', true);
  await replaceText(admin, '#as-cron', '0 12 * * *');
  await replaceText(admin, '#as-minutes', '30');
  await admin.waitForFunction(() => !document.querySelector('[data-testid=preview-error]') && /0 12 \* \* \*.*30 min/.test(document.querySelector('[data-testid=preview-description]')?.textContent ?? ''));
  const cron = await previewRuns(admin);
  assert.equal(cron.length, 5, JSON.stringify(cron));
  assert.ok(cron.slice(1).every((r) => / 12:00 – 12:30$/.test(r)) && / – 12:30$/.test(cron[0]), JSON.stringify(cron));
  await shot(admin, 'assignment-cron', true);
  await admin.click('[data-testid=assignment-save]');
  await waitForToast(admin, 'Assignment created.');
  list = (await api('GET', '/api/v1/assignments')).items;
  const c = list.find((a) => a.group_id === group.id);
  assert.ok(c, JSON.stringify(list));
  assert.equal(c.priority, 20);
  assert.deepEqual(c.schedule, { kind: 'cron', cron: '0 12 * * *', duration_minutes: 30 });
  await admin.waitForFunction(() => document.querySelectorAll('[data-testid=assignment-table] tbody tr').length === 2);
  const rows = await texts(admin, '[data-testid=assignment-table] tbody tr');
  assert.match(rows[0], /Morning loop.*Front screens.*20/, 'highest priority first');
  await expectAxeClean(admin, 'the assignments');
  await shot(admin, 'assignments');
  clean(admin, 'assignments');
});

// ---- timeline -----------------------------------------------------------------------------------
// The strip's segments against the API's timeline of the same window.
async function checkStrip(page, device) {
  // Found and read in one evaluation: a handle from page.$ could be re-rendered (the strip reloads
  // on change events) between the query and the read.
  const handle = await page.waitForFunction((device) => {
    const s = document.querySelector(`[data-testid=strip][data-device=${device}]`);
    if (!s?.querySelector('.strip .seg')) return null;
    const box = s.querySelector('.strip').getBoundingClientRect();
    return {
      from: s.dataset.windowFrom,
      to: s.dataset.windowTo,
      width: box.width,
      segs: [...s.querySelectorAll('.seg')].map((g) => ({ from: g.dataset.from, to: g.dataset.to, source: g.dataset.source, width: g.getBoundingClientRect().width, title: g.title })),
      legend: [...s.querySelectorAll('.legend li')].map((l) => l.textContent),
    };
  }, {}, device);
  const strip = await handle.jsonValue();
  const tl = await api('GET', `/api/v1/devices/${device}/timeline?from=${encodeURIComponent(strip.from)}&to=${encodeURIComponent(strip.to)}`);
  assert.deepEqual(
    strip.segs.map(({ from, to, source }) => ({ from, to, source })),
    tl.entries.map(({ from, to, source }) => ({ from, to, source })),
    'one segment per timeline entry',
  );
  const total = Date.parse(strip.to) - Date.parse(strip.from);
  for (const s of strip.segs) {
    const expected = ((Math.min(Date.parse(s.to), Date.parse(strip.to)) - Math.max(Date.parse(s.from), Date.parse(strip.from))) / total) * strip.width;
    assert.ok(Math.abs(s.width - expected) <= Math.max(3, expected * 0.02), `segment ${s.from}–${s.to} is ${s.width}px, expected ${expected}px`);
    assert.ok(s.title.length > 10, 'each segment says what and why');
  }
  return { strip, tl };
}

test('timeline: a device\'s default playlist, and its day strip matches the API\'s timeline, today and the next day', async () => {
  await go(admin, '#/schedule/timeline/d/lobby');
  await admin.waitForSelector('[data-testid=device-settings]');
  await admin.select('#ds-playlist', playlist.id);
  await admin.click('[data-testid=device-settings-save]');
  await waitForToast(admin, 'Settings of Lobby screen saved.');
  assert.deepEqual(await api('GET', '/api/v1/devices/lobby/schedule'), { default_playlist_id: playlist.id, timezone: null });
  // The strip reloads: the default playlist fills what no assignment covers.
  await admin.waitForSelector('[data-testid=strip][data-device=lobby] .seg[data-source=default_playlist]');
  const { strip, tl } = await checkStrip(admin, 'lobby');
  const sources = new Set(tl.entries.map((e) => e.source));
  assert.ok(sources.has('assignment'), 'the daily cron run at least');
  assert.ok(sources.has('default_playlist'));
  assert.ok(strip.legend.includes('Morning loop: assignment, priority 20 (through group Front screens)'), JSON.stringify(strip.legend));
  assert.ok(strip.legend.includes('Morning loop: the device\'s default playlist'), JSON.stringify(strip.legend));
  const noon = strip.segs.find((s) => s.source === 'assignment' && /12:00–12:30/.test(s.title));
  assert.ok(noon, `the 12:00 cron run: ${JSON.stringify(strip.segs.map((s) => s.title))}`);
  await expectAxeClean(admin, 'the timeline');
  await shot(admin, 'timeline-device', true);

  // The next day: a new window, and the strip again matches the API.
  const day = await admin.$eval('[data-testid=day-input]', (e) => e.value);
  await admin.click('[data-testid=day-next]');
  await admin.waitForFunction((d) => document.querySelector('[data-testid=day-input]').value !== d, {}, day);
  await admin.waitForFunction((f) => document.querySelector('[data-testid=strip][data-device=lobby]')?.dataset.windowFrom === f, {}, strip.to);
  await checkStrip(admin, 'lobby');

  // A group: one strip per member.
  await admin.select('[data-testid=timeline-target]', `g:${group.id}`);
  await admin.waitForFunction(() => document.querySelectorAll('[data-testid=strip] .strip').length === 2);
  assert.deepEqual(await admin.$$eval('[data-testid=strip]', (ss) => ss.map((s) => s.dataset.device)), ['hall', 'lobby']);
  await checkStrip(admin, 'hall');
  await shot(admin, 'timeline-group', true);
  clean(admin, 'timeline');
});

// ---- emergency override -------------------------------------------------------------------------
test('emergency override: started only after its confirmation step, shown in force, then cleared', async () => {
  await go(admin, '#/schedule/timeline/d/lobby');
  await admin.waitForSelector('[data-testid=strip][data-device=lobby] .seg');
  await admin.click('[data-testid=override-open]');
  await admin.waitForSelector('dialog[open] [data-testid=override-form]');
  // Neither message nor media: refused before anything is sent.
  await admin.click('[data-testid=override-next]');
  await admin.waitForSelector('dialog[open] [data-testid=form-error]');
  assert.equal(await admin.$eval('dialog[open] [data-testid=form-error]', (e) => e.textContent), 'Enter a message or choose a media item.');
  await admin.type('#ov-message', 'Fire drill: leave by the east stairs');
  await admin.select('#ov-media', media['red.png']);
  await admin.select('#ov-group', group.id);
  await admin.click('[data-testid=override-next]');
  await admin.waitForSelector('dialog[open] [data-testid=override-confirm]');
  assert.match(await admin.$eval('dialog[open] [data-testid=override-confirm] .alert', (e) => e.textContent), /Group Front screens \(2 screens\)/);
  assert.deepEqual((await api('GET', '/api/v1/overrides')).items, [], 'nothing started before the confirmation');
  await expectAxeClean(admin, 'the override confirmation');
  await shot(admin, 'override-confirm');
  await admin.click('[data-testid=override-start]');
  await waitForToast(admin, 'Emergency override started.');
  const active = (await api('GET', '/api/v1/overrides')).items;
  assert.equal(active.length, 1);
  assert.equal(active[0].message, 'Fire drill: leave by the east stairs');
  assert.equal(active[0].media_id, media['red.png']);
  assert.equal(active[0].group_id, group.id);
  assert.equal(active[0].ends_at, null);
  await admin.waitForSelector('[data-testid=overrides] li');
  assert.match(await admin.$eval('[data-testid=overrides]', (e) => e.textContent), /Fire drill.*red\.png/);
  // The timeline now shows the override from its start.
  await admin.waitForSelector('[data-testid=strip][data-device=lobby] .seg[data-source=override]');
  await checkStrip(admin, 'lobby');
  await shot(admin, 'override-active', true);

  await admin.click('[data-testid=override-clear]');
  await confirmDialog(admin, 'Clear');
  await waitForToast(admin, 'Emergency override cleared.');
  await admin.waitForFunction(() => !document.querySelector('[data-testid=overrides]'));
  assert.deepEqual((await api('GET', '/api/v1/overrides')).items, []);
  clean(admin, 'override');
});

// ---- a viewer -----------------------------------------------------------------------------------
test('a viewer sees the section and changes nothing: no edit, drag, override or save controls', async () => {
  const page = await freshPage();
  await signIn(page, server, VIEWER.username, VIEWER.password);
  await page.waitForSelector('.topbar nav');
  await go(page, `#/schedule/playlists/${playlist.id}`);
  await page.waitForSelector('[data-testid=playlist-items] li');
  assert.deepEqual(await itemOrder(page), [media['blue.png'], media['red.png']]);
  const none = async (what) => {
    for (const sel of [
      '[data-testid=playlist-new]',
      '[data-testid=group-new]',
      '[data-testid=assignment-new]',
      '[data-testid=override-open]',
      '[data-testid=override-clear]',
      '[data-testid=playlist-save]',
      '[data-testid=group-save]',
      '[data-testid=device-settings-save]',
      '[data-testid=media-library]',
      'button[data-move]',
      '.drag-handle',
    ])
      assert.equal(await page.$(sel), null, `${what}: no ${sel}`);
    const buttons = await texts(page, 'main button');
    for (const label of ['Delete', 'Rename', 'Duplicate', 'Edit', 'Save', 'Clear']) assert.ok(!buttons.includes(label), `${what}: no "${label}": ${buttons.join(' | ')}`);
  };
  await none('playlist');
  assert.ok(await page.$$eval('[data-testid=playlist-items] li', (ls) => ls.every((l) => !l.draggable)), 'rows are not draggable');
  const drag = await dragRow(page, 1, 0, 'upper');
  assert.equal(drag.accepted, false, 'a forced drop is refused');
  assert.deepEqual(await itemOrder(page), [media['blue.png'], media['red.png']]);
  assert.ok(await page.$eval('[data-testid=pl-shuffle]', (e) => e.disabled));
  await shot(page, 'viewer-playlist');

  await go(page, `#/schedule/groups/${group.id}`);
  await page.waitForSelector('[data-testid=group-editor]');
  assert.ok(await page.$$eval('.check-list input', (bs) => bs.length === 3 && bs.every((b) => b.disabled)), 'membership is read only');
  await none('group');

  await go(page, '#/schedule/assignments');
  await page.waitForSelector('[data-testid=assignment-table]');
  assert.equal(await page.$$eval('[data-testid=assignment-table] tbody tr', (rs) => rs.length), 2);
  await none('assignments');

  await go(page, '#/schedule/timeline/d/lobby');
  await page.waitForSelector('[data-testid=strip] .seg');
  await page.waitForSelector('[data-testid=device-settings]');
  assert.ok(await page.$eval('#ds-playlist', (e) => e.disabled) && (await page.$eval('#ds-zone', (e) => e.disabled)));
  await none('timeline');
  await expectAxeClean(page, 'the viewer\'s timeline');
  await shot(page, 'viewer-timeline');
  clean(page, 'viewer');
});

// ---- Russian ------------------------------------------------------------------------------------
test('Russian: every tab reads in Russian, without raw keys or English strings', async () => {
  const page = await freshPage({ lang: 'ru-RU' });
  await signIn(page, server, 'admin', ADMIN_PASSWORD);
  await page.waitForSelector('.topbar nav');
  assert.ok((await texts(page, '.topbar nav a')).includes('Расписание'));
  const check = async (what) => {
    const text = await page.$eval('body', (b) => b.innerText);
    const keys = text.match(/\b(sched|nav|kind|action|common|error)\.[a-z_.]+\b/g) ?? [];
    assert.deepEqual(keys, [], `${what}: raw catalogue keys`);
    const english = ENGLISH.filter((s) => new RegExp(`(^|[^\\p{L}])${s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^\\p{L}])`, 'u').test(text));
    assert.deepEqual(english, [], `${what}: English strings in the Russian page`);
  };
  await go(page, `#/schedule/playlists/${playlist.id}`);
  await page.waitForSelector('[data-testid=playlist-items] li');
  assert.equal(await page.$eval('main h1', (e) => e.textContent), 'Расписание');
  await check('playlists');
  await shot(page, 'ru-playlist');
  await go(page, `#/schedule/groups/${group.id}`);
  await page.waitForSelector('[data-testid=group-editor]');
  await check('groups');
  await go(page, '#/schedule/assignments');
  await page.waitForSelector('[data-testid=assignment-table]');
  const when = await texts(page, '[data-testid=assignment-when]');
  assert.deepEqual(when.sort(), ['cron 0 12 * * *, 30 мин', 'Пн–Пт 09:00–18:00; Сб 10:00–14:00'].sort());
  await page.click('[data-testid=assignment-new]');
  await page.waitForSelector('[data-testid=preview-runs]');
  await check('assignment editor');
  await shot(page, 'ru-assignment', true);
  await go(page, '#/schedule/timeline/d/lobby');
  await page.waitForSelector('[data-testid=strip] .seg');
  await page.waitForSelector('[data-testid=device-settings]');
  await check('timeline');
  await page.click('[data-testid=override-open]');
  await page.waitForSelector('dialog[open] [data-testid=override-form]');
  await page.type('#ov-message', 'Учебная тревога');
  await page.click('[data-testid=override-next]');
  await page.waitForSelector('dialog[open] [data-testid=override-confirm]');
  await check('override confirmation');
  await shot(page, 'ru-override');
  await page.keyboard.press('Escape');
  await page.waitForFunction(() => !document.querySelector('dialog[open]'));
  assert.deepEqual((await api('GET', '/api/v1/overrides')).items, []);
  await shot(page, 'ru-timeline', true);
  // A portrait tablet: the longer Russian labels still fit.
  await page.setViewport({ width: 800, height: 1100 });
  await go(page, `#/schedule/playlists/${playlist.id}`);
  await page.waitForSelector('[data-testid=playlist-items] li');
  const overflow = await page.evaluate(() => {
    const w = document.documentElement.clientWidth;
    const wide = [...document.querySelectorAll('main *')].filter((e) => e.getBoundingClientRect().right > w + 0.5).map((e) => `${e.tagName}.${e.className}`);
    return { by: document.documentElement.scrollWidth - w, wide: wide.slice(0, 8) };
  });
  assert.ok(overflow.by <= 0, `no horizontal scrolling at 800 px (${overflow.by} px too wide: ${overflow.wide.join(', ')})`);
  await shot(page, 'ru-playlist-narrow', true);
  await go(page, '#/schedule/timeline/d/lobby');
  await page.waitForSelector('[data-testid=strip] .seg');
  await shot(page, 'ru-timeline-narrow', true);
  clean(page, 'Russian');
});
