// The speaker panel (/speaker) in a real Chromium against a real server: a speaker signs in and
// lands there, sees only its organisation's screens (online first, badges live), plays an image on a
// screen whose player is a socket.io-client here (which records what it is told), pauses / resumes /
// restarts / stops, turns PDF pages by button, swipe, arrow key and jump, sees refusals with the
// server's reason, follows changes made by another control panel, keeps its device per tab, renders
// in Russian, and passes axe on a tablet and a phone. A viewer gets the live view without controls.
//
//   VC_SERVER_BINARY=build/apps/server/videocontrol-server node --test tests/js/browser/speaker.test.mjs
//   (VC_WEB_DIR=DIR serves the pages from `node web/build.mjs --out DIR`; VC_SCREENSHOT_DIR=DIR)
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { io } from 'socket.io-client';
import {
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
} from './harness.mjs';
import { FIXTURES, printedPdf, solidMp4, solidPng } from './fixtures.mjs';

const TABLET = { width: 1024, height: 768, isMobile: true, hasTouch: true, deviceScaleFactor: 1 };
const PHONE = { width: 390, height: 844, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

// ---- fixtures -----------------------------------------------------------------------------------

// A fake player: registers as the device and records every event the server sends it.
function player(server, deviceId) {
  const socket = io(server.url, { transports: ['websocket'], forceNew: true, reconnection: false });
  const events = [];
  // Players ping (PROTOCOL.md: silent for 30 s = gone); old players every 15–20 s.
  const ping = setInterval(() => socket.connected && socket.emit('player/ping'), 10000);
  socket.onAny((event, ...args) => events.push({ event, payload: args[0] }));
  const ready = new Promise((resolve, reject) => {
    socket.on('connect', () => socket.emit('player/register', { device_id: deviceId }));
    socket.on('player/registered', resolve);
    socket.on('connect_error', reject);
  });
  return {
    socket,
    events,
    ready,
    close: () => {
      clearInterval(ping);
      socket.close();
    },
  };
}

// Waits until `f()` is truthy (polling), or fails with `what`.
async function until(f, what, timeout = 10000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
const received = (p, event, pred = () => true) => until(() => p.events.find((e) => e.event === event && pred(e.payload)), `the player to receive ${event}`);

// The ack line of a group once it is no longer "sending…": {status, text}.
async function ackOf(page, testid) {
  await page.waitForFunction((id) => {
    const e = document.querySelector(`[data-testid="${id}"]`);
    return e && (e.dataset.status === 'ok' || e.dataset.status === 'error');
  }, {}, testid);
  return page.$eval(`[data-testid="${testid}"]`, (e) => ({ status: e.dataset.status, text: e.textContent }));
}
// Clicks a button and returns its ack and how long after the click it showed.
async function press(page, button, ackId) {
  await page.$eval(`[data-testid="${ackId}"]`, (e) => {
    e.dataset.status = '';
  });
  const t0 = Date.now();
  await page.click(`[data-testid="${button}"]`);
  const ack = await ackOf(page, ackId);
  return { ...ack, ms: Date.now() - t0 };
}
const nowState = (page) => page.$eval('[data-testid="now-state"]', (e) => e.dataset.state);
const waitState = (page, s) => page.waitForFunction((s) => document.querySelector('[data-testid="now-state"]')?.dataset.state === s, {}, s);
const waitPage = (page, text) => waitForText(page, '[data-testid="now-page"]', text);

async function pickFile(page, name) {
  await page.waitForSelector(`[data-testid="file"][data-name="${name}"]`);
  await page.click(`[data-testid="file"][data-name="${name}"]`);
  await page.waitForSelector(`[data-testid="file"][data-name="${name}"][aria-pressed="true"]`);
}

async function swipe(page, dx) {
  const box = await (await page.$('[data-testid="preview"]')).boundingBox();
  const y = box.y + box.height / 2;
  const x0 = box.x + box.width / 2 - dx / 2;
  await page.mouse.move(x0, y);
  await page.mouse.down();
  for (let i = 1; i <= 5; i++) await page.mouse.move(x0 + (dx * i) / 5, y + i);
  await page.mouse.up();
}

// ---- the run ------------------------------------------------------------------------------------
let server, browser, token, lobby, speakerPass, media = {}, otherOrgDevice = 'far-away', page;
const shots = [];

before(async () => {
  server = await startServer();
  token = await adminToken(server);
  speakerPass = await createUser(server, token, 'sam', 'speaker');
  await createDevice(server, token, 'lobby', 'Lobby');
  await createDevice(server, token, 'hall', 'Hall');
  await createDevice(server, token, 'annex', 'Annex');
  browser = await launch();
  const up = async (f) => (await uploadFile(server, token, 'lobby', f)).items[0];
  media.red = await up(solidPng('red.png', '0xDC1E1E', '160x90'));
  media.green = await up(solidPng('green.png', '0x1EB43C', '160x90'));
  media.blue = await up(solidPng('blue-placeholder.png', '0x1E3CDC', '160x90'));
  media.pdf = await up(await printedPdf(browser, 'slides.pdf', 3));
  await rest(server, 'PUT', '/api/v1/devices/lobby/placeholder', { token, body: { media_id: media.blue.id } });
  // Another organisation's screen must never appear.
  const org = await rest(server, 'POST', '/api/v1/organizations', { token, body: { name: 'Elsewhere', slug: 'elsewhere' } });
  await rest(server, 'POST', '/api/v1/devices', { token, body: { device_id: otherOrgDevice, name: 'Far away' }, headers: { 'X-Organization-Id': org.id } });

  lobby = player(server, 'lobby');
  await lobby.ready;
});

after(async () => {
  lobby?.close();
  await browser?.close();
  await server?.cleanup();
  if (shots.length) console.log(`screenshots:\n  ${shots.join('\n  ')}`);
});

test('a speaker signs in and lands on the speaker panel with its organisation\'s screens, online first', async () => {
  page = await newPage(browser, { viewport: TABLET });
  await signIn(page, server, 'sam', speakerPass);
  assert.equal(new URL(page.url()).pathname, '/speaker');
  await page.waitForSelector('[data-testid="device"][data-device-id="lobby"]');
  const ids = await page.$$eval('[data-testid="device"]', (es) => es.map((e) => e.dataset.deviceId));
  assert.deepEqual(ids, ['lobby', 'annex', 'hall'], 'online first, then by name');
  assert.ok(!ids.includes(otherOrgDevice));
  assert.ok(!(await page.content()).includes('Far away'));
  const badge = (id) => page.$eval(`[data-testid="device"][data-device-id="${id}"] [data-testid="online-badge"]`, (e) => e.dataset.online);
  assert.equal(await badge('lobby'), 'yes');
  assert.equal(await badge('hall'), 'no');
  // The first screen is chosen; its files are listed without the placeholder.
  await page.waitForSelector('[data-testid="device"][data-device-id="lobby"][aria-pressed="true"]');
  await page.waitForSelector('[data-testid="file"][data-name="red.png"]');
  const files = await page.$$eval('[data-testid="file"]', (es) => es.map((e) => e.dataset.name));
  assert.deepEqual(files.sort(), ['green.png', 'red.png', 'slides.pdf']);
  // Nothing plays yet: the preview shows the placeholder.
  await page.waitForSelector('[data-testid="preview"][data-showing="placeholder"] [data-testid="preview-placeholder"]');
});

test('online badges follow players coming and going, and the order follows', async () => {
  const hall = player(server, 'hall');
  await hall.ready;
  const online = (id, v) => page.waitForSelector(`[data-testid="device"][data-device-id="${id}"] [data-testid="online-badge"][data-online="${v}"]`);
  await online('hall', 'yes');
  let ids = await page.$$eval('[data-testid="device"]', (es) => es.map((e) => e.dataset.deviceId));
  assert.deepEqual(ids, ['hall', 'lobby', 'annex']);
  hall.close();
  await online('hall', 'no');
  ids = await page.$$eval('[data-testid="device"]', (es) => es.map((e) => e.dataset.deviceId));
  assert.deepEqual(ids, ['lobby', 'annex', 'hall']);
});

test('play an image: the player is told, the ack says done within the second, the preview shows it', async () => {
  await pickFile(page, 'red.png');
  lobby.events.length = 0;
  const ack = await press(page, 'btn-play', 'ack-transport');
  assert.equal(ack.status, 'ok', ack.text);
  assert.match(ack.text, /done/);
  assert.ok(ack.ms < 1000, `ack after ${ack.ms} ms`);
  const play = await received(lobby, 'player/play');
  assert.equal(play.payload.file, 'red.png');
  assert.equal(play.payload.type, 'image');
  await waitState(page, 'playing');
  await page.waitForSelector(`[data-testid="preview-img"][data-media-id="${media.red.id}"]`);
  // The image really loaded (authenticated by the vc_access cookie) and is red.
  await page.waitForFunction(() => document.querySelector('[data-testid="preview-img"]').naturalWidth === 160);
  const rgb = await page.$eval('[data-testid="preview-img"]', (img) => {
    const c = document.createElement('canvas');
    c.width = img.naturalWidth;
    c.height = img.naturalHeight;
    const g = c.getContext('2d');
    g.drawImage(img, 0, 0);
    return [...g.getImageData(80, 45, 1, 1).data.slice(0, 3)];
  });
  assert.ok(rgb[0] > 180 && rgb[1] < 80 && rgb[2] < 80, `centre pixel ${rgb}`);
  await waitForText(page, '[data-testid="file"][data-name="red.png"]', 'On screen');
  shots.push(await screenshot(page, 'speaker-tablet-playing'));
});

test('pause, resume, restart and stop: each reaches the player and shows its ack', async () => {
  for (const [button, event, state] of [
    ['btn-pause', 'player/pause', 'paused'],
    ['btn-resume', 'player/resume', 'playing'],
    ['btn-restart', 'player/restart', 'playing'],
    ['btn-stop', 'player/stop', 'stopped'],
  ]) {
    lobby.events.length = 0;
    const ack = await press(page, button, 'ack-transport');
    assert.equal(ack.status, 'ok', `${button}: ${ack.text}`);
    assert.ok(ack.ms < 1000, `${button}: ack after ${ack.ms} ms`);
    await received(lobby, event);
    await waitState(page, state);
  }
  // Stopped: back to the placeholder.
  await page.waitForSelector('[data-testid="preview"][data-showing="placeholder"]');
  // Pausing when nothing plays is refused, with the server's reason beside the buttons.
  const ack = await press(page, 'btn-pause', 'ack-transport');
  assert.equal(ack.status, 'error');
  assert.match(ack.text, /refused — (conflicts with the screen.s state|not possible now) \(nothing is playing/);
  // "Resume schedule" gives the screen back to its schedule (control/resumeSchedule); acknowledged.
  const resumed = await press(page, 'btn-resume-schedule', 'ack-transport');
  assert.equal(resumed.status, 'ok', resumed.text);
  assert.match(resumed.text, /Resume schedule/);
});

test('a page command on an image is refused with the reason, by button and by swipe', async () => {
  await pickFile(page, 'green.png');
  assert.equal((await press(page, 'btn-play', 'ack-transport')).status, 'ok');
  await page.waitForSelector(`[data-testid="preview-img"][data-media-id="${media.green.id}"]`);
  const ack = await press(page, 'btn-next', 'ack-pages');
  assert.equal(ack.status, 'error');
  assert.match(ack.text, /not showing a PDF/);
  await page.$eval('[data-testid="ack-pages"]', (e) => (e.dataset.status = ''));
  await swipe(page, -200);
  const swiped = await ackOf(page, 'ack-pages');
  assert.equal(swiped.status, 'error');
  assert.match(swiped.text, /\(swipe\).*not showing a PDF/);
});

test('a PDF: next/previous page by button, swipe, arrow key, clicker key and jump', async () => {
  await pickFile(page, 'slides.pdf');
  lobby.events.length = 0;
  assert.equal((await press(page, 'btn-play', 'ack-transport')).status, 'ok');
  const play = await received(lobby, 'player/play');
  assert.deepEqual([play.payload.type, play.payload.file, play.payload.page], ['pdf', 'slides.pdf', 1]);
  await waitPage(page, 'Page 1');

  const pdfPage = (n) => received(lobby, 'player/pdfPage', (p) => p === n);
  lobby.events.length = 0;
  assert.equal((await press(page, 'btn-next', 'ack-pages')).status, 'ok');
  await pdfPage(2);
  await waitPage(page, 'Page 2');

  lobby.events.length = 0;
  await swipe(page, -200); // to the left: next
  await pdfPage(3);
  await waitPage(page, 'Page 3');
  assert.equal((await ackOf(page, 'ack-pages')).status, 'ok');

  lobby.events.length = 0;
  await swipe(page, 200); // to the right: previous
  await pdfPage(2);
  await waitPage(page, 'Page 2');

  lobby.events.length = 0;
  await page.focus('[data-testid="preview"]');
  await page.keyboard.press('ArrowLeft');
  await pdfPage(1);
  await waitPage(page, 'Page 1');

  lobby.events.length = 0;
  await page.keyboard.press('PageDown'); // a presenter's clicker
  await pdfPage(2);
  await waitPage(page, 'Page 2');

  lobby.events.length = 0;
  await page.click('[data-testid="page-input"]', { clickCount: 3 });
  await page.type('[data-testid="page-input"]', '3');
  await page.$eval('[data-testid="ack-pages"]', (e) => (e.dataset.status = ''));
  await page.click('[data-testid="btn-go"]');
  assert.equal((await ackOf(page, 'ack-pages')).status, 'ok');
  await pdfPage(3);
  await waitPage(page, 'Page 3');
});

test('a command from another control panel updates the preview', async () => {
  const admin = io(server.url, { transports: ['websocket'], auth: { token }, forceNew: true, reconnection: false });
  try {
    await new Promise((resolve, reject) => {
      admin.on('connect', resolve);
      admin.on('connect_error', reject);
    });
    const r = await admin.timeout(5000).emitWithAck('control/play', { device_id: 'lobby', file: 'red.png' });
    assert.equal(r.ok, true);
    await page.waitForSelector(`[data-testid="preview-img"][data-media-id="${media.red.id}"]`);
    await waitState(page, 'playing');
    await admin.timeout(5000).emitWithAck('control/pause', { device_id: 'lobby' });
    await waitState(page, 'paused');
    await waitForText(page, '[data-testid="file"][data-name="red.png"]', 'Paused');
    // And through REST (the same rules): resume.
    await rest(server, 'POST', '/api/v1/devices/lobby/commands', { token, body: { action: 'resume' } });
    await waitState(page, 'playing');
  } finally {
    admin.close();
  }
});

test('the row\'s own Play button plays the selected file and shows its ack in the row', async () => {
  await pickFile(page, 'green.png');
  lobby.events.length = 0;
  const ack = await press(page, 'row-play', 'ack-file');
  assert.equal(ack.status, 'ok', ack.text);
  assert.equal((await received(lobby, 'player/play')).payload.file, 'green.png');
  await page.waitForSelector(`[data-testid="preview-img"][data-media-id="${media.green.id}"]`);
});

test('a file deleted while it plays: it leaves the list and the preview says so', async () => {
  const doomed = (await uploadFile(server, token, 'lobby', path.join(FIXTURES, 'red.png'), 'doomed.png')).items[0];
  await pickFile(page, 'doomed.png');
  assert.equal((await press(page, 'btn-play', 'ack-transport')).status, 'ok');
  await page.waitForSelector(`[data-testid="preview-img"][data-media-id="${doomed.id}"]`);
  await rest(server, 'DELETE', '/api/v1/devices/lobby/media/doomed.png', { token });
  await page.waitForFunction(() => !document.querySelector('[data-testid="file"][data-name="doomed.png"]'));
  await waitForText(page, '[data-testid="preview-card"]', "no longer on this screen's list");
  await waitForText(page, '[data-testid="btn-play"]', 'Pick a file');
});

test('a file uploaded meanwhile appears; a video plays in the preview while the screen plays it', async () => {
  const clip = solidMp4('clip.mp4', '0x2050e0', 3, '160x90');
  media.clip = (await uploadFile(server, token, 'lobby', clip)).items[0];
  await pickFile(page, 'clip.mp4'); // the list reloaded on devices/updated
  lobby.events.length = 0;
  assert.equal((await press(page, 'btn-play', 'ack-transport')).status, 'ok');
  const play = await received(lobby, 'player/play');
  assert.deepEqual([play.payload.type, play.payload.file], ['video', 'clip.mp4']);
  await page.waitForSelector(`[data-testid="preview-video"][src*="${media.clip.id}"]`);
  const time = () => page.$eval('[data-testid="preview-video"]', (v) => v.currentTime);
  await page.waitForFunction(() => {
    const v = document.querySelector('[data-testid="preview-video"]');
    return v.readyState >= 2 && !v.paused;
  });
  const t0 = await time();
  await until(async () => (await time()) > t0 + 0.2, 'the preview video to advance');
  assert.equal((await press(page, 'btn-pause', 'ack-transport')).status, 'ok');
  await page.waitForFunction(() => document.querySelector('[data-testid="preview-video"]').paused);
});

test('the chosen screen is remembered in the tab', async () => {
  await page.click('[data-testid="device"][data-device-id="annex"]');
  await page.waitForSelector('[data-testid="device"][data-device-id="annex"][aria-pressed="true"]');
  await waitForText(page, '[data-testid="stage-device"]', 'Annex');
  await page.reload({ waitUntil: 'networkidle0' });
  await page.waitForSelector('[data-testid="device"][data-device-id="annex"][aria-pressed="true"]');
  await waitForText(page, '.sp-files', 'no files');
  await page.click('[data-testid="device"][data-device-id="lobby"]');
  await page.waitForSelector('[data-testid="file"][data-name="red.png"]');
});

test('keyboard: every control is reachable with Tab', async () => {
  await pickFile(page, 'red.png');
  await page.evaluate(() => document.activeElement?.blur());
  const wanted = new Set(['device', 'btn-play', 'btn-pause', 'btn-resume', 'btn-restart', 'btn-stop', 'btn-prev', 'btn-next', 'page-input', 'btn-go', 'preview', 'file', 'row-play', 'account-menu']);
  const seen = new Set();
  for (let i = 0; i < 60 && seen.size < wanted.size; i++) {
    await page.keyboard.press('Tab');
    const id = await page.evaluate(() => document.activeElement?.dataset?.testid ?? '');
    if (wanted.has(id)) seen.add(id);
  }
  assert.deepEqual([...wanted].filter((w) => !seen.has(w)), []);
});

test('tablet: axe finds nothing serious, the screenshot is taken', async () => {
  await page.evaluate(() => document.activeElement?.blur());
  await page.mouse.click(2, 760);
  const v = await axe(page);
  assert.deepEqual(v, [], JSON.stringify(v, null, 1));
  shots.push(await screenshot(page, 'speaker-tablet'));
  await page.click('[data-testid="account-menu"]');
  await page.waitForSelector('[data-testid="sign-out"]');
  assert.deepEqual(await axe(page), []);
  await page.click('[data-testid="account-menu"]');
});

test('phone: one column, the picker folds, axe finds nothing serious', async () => {
  await rest(server, 'POST', '/api/v1/devices/lobby/commands', { token, body: { action: 'play', file: 'red.png' } });
  const phone = await newPage(browser, { viewport: PHONE });
  await phone.goto(`${server.url}/speaker`, { waitUntil: 'networkidle0' });
  await phone.waitForSelector('[data-testid="device-toggle"][aria-expanded="false"]');
  await phone.waitForSelector('[data-testid="preview-img"]');
  // Nothing overflows sideways.
  const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `page is ${overflow}px wider than the phone`);
  // The transport buttons are on the first screen.
  const stop = await (await phone.$('[data-testid="btn-stop"]')).boundingBox();
  assert.ok(stop.y + stop.height <= 844, `stop button at ${stop.y}`);
  const v = await axe(phone);
  assert.deepEqual(v, [], JSON.stringify(v, null, 1));
  shots.push(await screenshot(phone, 'speaker-phone'));
  await phone.click('[data-testid="device-toggle"]');
  await phone.waitForSelector('[data-testid="device-toggle"][aria-expanded="true"]');
  await phone.waitForSelector('[data-testid="device"][data-device-id="hall"]', { visible: true });
  shots.push(await screenshot(phone, 'speaker-phone-devices'));
  await phone.click('[data-testid="device"][data-device-id="lobby"]');
  await phone.waitForSelector('[data-testid="device-toggle"][aria-expanded="false"]');
  // Tap a file far down, play it from its row.
  await pickFile(phone, 'slides.pdf');
  const ack = await press(phone, 'row-play', 'ack-file');
  assert.equal(ack.status, 'ok');
  await waitPage(phone, 'Page 1');
  await phone.evaluate(() => window.scrollTo(0, 0));
  const next = await press(phone, 'btn-next', 'ack-pages');
  assert.equal(next.status, 'ok', next.text);
  await waitPage(phone, 'Page 2');
  await phone.evaluate(() => window.scrollTo(0, 0));
  shots.push(await screenshot(phone, 'speaker-phone-pdf'));
  assert.deepEqual(phone.problems, []);
  await phone.close();
});

test('Russian: the panel renders in Russian without raw keys, and axe passes', async () => {
  const ru = await newPage(browser, { viewport: PHONE, lang: 'ru-RU' });
  await ru.goto(`${server.url}/speaker`, { waitUntil: 'networkidle0' });
  await waitForText(ru, 'body', 'Экраны');
  await ru.waitForSelector('[data-testid="file"]');
  const text = await ru.evaluate(() => document.body.innerText);
  assert.doesNotMatch(text, /\bspeaker\.[a-z_.]+/, 'a raw catalogue key is shown');
  for (const s of ['Пауза', 'Продолжить', 'Сначала', 'Стоп', 'Следующая', 'в сети']) assert.ok(text.includes(s), `missing "${s}"`);
  // An ack in Russian.
  const ack = await press(ru, 'btn-pause', 'ack-transport');
  assert.match(ack.text, /Пауза: (выполнено|отказ)/);
  assert.deepEqual(await axe(ru), []);
  shots.push(await screenshot(ru, 'speaker-phone-ru'));
  // Dark theme, for a look.
  await ru.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'dark' }]);
  shots.push(await screenshot(ru, 'speaker-phone-ru-dark'));
  assert.deepEqual(await axe(ru), []);
  assert.deepEqual(ru.problems, []);
  await ru.close();
});

test('a viewer gets the live view without any control', async () => {
  const viewerPass = await createUser(server, token, 'vera', 'viewer');
  const ctx = await browser.createBrowserContext();
  try {
    const v = await newPage(ctx, { viewport: TABLET });
    await signIn(v, server, 'vera', viewerPass);
    assert.equal(new URL(v.url()).pathname, '/admin', 'a viewer lands on the read-only admin view');
    await v.goto(`${server.url}/speaker`, { waitUntil: 'networkidle0' });
    await v.waitForSelector('[data-testid="read-only"]');
    await v.waitForSelector('[data-testid="preview"]');
    for (const b of ['btn-play', 'btn-pause', 'btn-stop', 'btn-next', 'row-play']) assert.equal(await v.$(`[data-testid="${b}"]`), null, b);
    // Files are listed, not selectable.
    await v.waitForSelector('[data-testid="file"][data-name="red.png"]');
    assert.equal(await v.$('button[data-testid="file"]'), null);
    assert.deepEqual(await axe(v), []);
    shots.push(await screenshot(v, 'speaker-tablet-viewer'));
  } finally {
    await ctx.close();
  }
});

test('sign-out ends the session; /speaker then asks to sign in', async () => {
  await page.bringToFront(); // a background tab gets no animation frames, which clicks wait for
  await page.click('[data-testid="account-menu"]');
  await Promise.all([page.waitForNavigation(), page.click('[data-testid="sign-out"]')]);
  assert.equal(new URL(page.url()).pathname, '/signin');
  await page.goto(`${server.url}/speaker`);
  await page.waitForFunction(() => location.pathname === '/signin');
  assert.deepEqual(page.problems.filter((p) => !/401/.test(p)), []);
});
