// The browser player (web/src/player) in Chromium, as a screen shows it: at the original
// VideoControl's address and at /player, playing what the REST API commands (pixel checks on
// screenshots, a video's currentTime), reporting player/status to a control socket, keeping its
// content through a server outage (and a reload during it, from the service worker), preview mode,
// the sound unlock, and axe-core. Media is made at test time with ffmpeg (fixtures.mjs) and the PDF by
// Chromium. Screenshots: build/tests/screenshots/kiosk-*.png.
//
//   node --test tests/js/browser/player.test.mjs   (VC_SERVER_BINARY=build/apps/server/videocontrol-server)
import path from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { io } from 'socket.io-client';
import { FIXTURES, near, pixel, printedPdf, solidMp4, solidPng, toneMp3 } from './fixtures.mjs';
import { adminToken, axe, createDevice, launch, newPage, rest, screenshot, startServer, uploadFile } from './harness.mjs';

const RED = [255, 0, 0];
const BLUE = [0, 0, 255];
const YELLOW = [255, 255, 0]; // the placeholder

let server, token, browser, media;

// ---- fixtures --------------------------------------------------------------------------------------
async function makeMedia() {
  solidPng('red.png', 'red', '320x240');
  solidPng('poster.png', 'yellow', '320x240');
  solidMp4('blue.mp4', 'blue', 30);
  solidMp4('short.mp4', 'green', 1.5);
  toneMp3('tone.mp3', 3);
  await printedPdf(browser, 'deck.pdf');  // a real PDF: Chromium prints one
  return (n) => path.join(FIXTURES, n);
}

// ---- helpers ---------------------------------------------------------------------------------------
async function until(what, cond, timeout = 15000, every = 100) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await cond();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${last})`);
    await new Promise((r) => setTimeout(r, every));
  }
}

const command = (device, body) => rest(server, 'POST', `/api/v1/devices/${device}/commands`, { token, body });
const status = async (device) => (await rest(server, 'GET', `/api/v1/devices/${device}`, { token })).status;

// #stage's data-* (view.js) once it says `want` (a subset), e.g. {role:'content', file:'red.png', phase:'shown'}.
async function shown(page, want, timeout = 15000) {
  return until(
    `#stage ${JSON.stringify(want)}`,
    async () => {
      const d = await page.$eval('#stage', (s) => ({ ...s.dataset }));
      return Object.entries(want).every(([k, v]) => d[k] === v) ? d : false;
    },
    timeout,
  );
}

// The centre of the screen, where the content is (the status line and the sound button are at the edges).
const centre = (page) => pixel(page, 640, 400);

async function colourIs(page, rgb, what) {
  await until(`${what}: the centre of the screen is ${rgb}`, async () => {
    const c = await centre(page);
    return near(c, rgb) || JSON.stringify(c);
  });
}

const videoTime = (page) => page.$eval('#stage .layer.visible video', (v) => v.currentTime);

async function advancing(page, what) {
  const t0 = await videoTime(page);
  await until(`${what}: currentTime advances from ${t0}`, async () => (await videoTime(page)) > t0 + 0.4);
}

// A screenshot once the page has painted two more frames (on a busy machine a text changed just
// before could otherwise be captured before it is drawn).
async function shot(page, name) {
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  await screenshot(page, name);
}

// What a person would call a broken page: an uncaught error or a CSP refusal (network errors while
// the server is down are expected and not counted).
const brokenBits = (page) => page.problems.filter((p) => p.startsWith('pageerror') || /Content Security Policy|Refused to/.test(p));

before(async () => {
  // This server converts nothing (PROCESSING_WORKERS=0): the PDF stays unconverted, so the player's
  // "not converted yet" card and its player/status report are seen. Converted pages in the player
  // are pipeline.test.mjs's.
  server = await startServer({ PROCESSING_WORKERS: '0' });
  token = await adminToken(server);
  browser = await launch();
  media = await makeMedia();
  for (const d of ['lobby', 'hall']) await createDevice(server, token, d);
  for (const n of ['red.png', 'poster.png', 'blue.mp4', 'short.mp4', 'tone.mp3', 'deck.pdf']) await uploadFile(server, token, 'lobby', media(n));
  await uploadFile(server, token, 'hall', media('red.png'));
  const files = await rest(server, 'GET', '/api/v1/devices/lobby/media', { token });
  const poster = files.items.find((f) => f.name === 'poster.png');
  await rest(server, 'PUT', '/api/v1/devices/lobby/placeholder', { token, body: { media_id: poster.id } });
});

after(async () => {
  await browser?.close();
  await server?.cleanup();
});

// ---- the tests -----------------------------------------------------------------------------------
let kiosk; // the lobby's screen, shared by the tests below (they run in order)

test('the original address registers, shows the placeholder, plays an image and a video, pauses, resumes, stops', async () => {
  kiosk = await newPage(browser);
  const res = await kiosk.goto(`${server.url}/player-videojs.html?device_id=lobby&autoplay=1&muted=1`);
  assert.equal(res.status(), 200);
  assert.match(res.headers()['content-security-policy'], /script-src 'self'/);
  await until('lobby online', async () => (await status('lobby')) === 'online');
  assert.equal(await kiosk.title(), 'VideoControl player');

  await shown(kiosk, { role: 'placeholder', kind: 'image', file: 'poster.png', phase: 'shown' });
  await colourIs(kiosk, YELLOW, 'the placeholder');
  await shot(kiosk, 'kiosk-placeholder');

  await command('lobby', { action: 'play', file: 'red.png' });
  await shown(kiosk, { role: 'content', kind: 'image', file: 'red.png', phase: 'shown' });
  await colourIs(kiosk, RED, 'the image');
  await shot(kiosk, 'kiosk-image');

  await command('lobby', { action: 'play', file: 'blue.mp4' });
  await shown(kiosk, { role: 'content', kind: 'video', file: 'blue.mp4', phase: 'shown' });
  await advancing(kiosk, 'the video');
  await colourIs(kiosk, BLUE, 'the video');
  assert.equal(await kiosk.$eval('#stage .layer.visible video', (v) => v.muted), true, 'muted=1 wins over autoplay=1');
  assert.equal(await kiosk.$eval('#sound', (b) => b.hidden), true, 'muted=1: no sound button');
  await shot(kiosk, 'kiosk-video');

  await command('lobby', { action: 'pause' });
  await until('paused', () => kiosk.$eval('#stage .layer.visible video', (v) => v.paused));
  const t = await videoTime(kiosk);
  await new Promise((r) => setTimeout(r, 700));
  assert.equal(await videoTime(kiosk), t, 'a paused video stands still');
  await command('lobby', { action: 'resume' });
  await advancing(kiosk, 'the resumed video');
  assert.ok((await videoTime(kiosk)) > t, 'resumed where it was');

  await command('lobby', { action: 'stop' });
  await shown(kiosk, { role: 'placeholder', file: 'poster.png', phase: 'shown' });
  await colourIs(kiosk, YELLOW, 'the placeholder after stop');

  assert.deepEqual(await axe(kiosk), [], 'axe: no serious or critical violations');
  assert.deepEqual(brokenBits(kiosk), []);
});

test('reports player/status (playing, ended, stalled, not converted) to a control socket; a stuck video recovers', async () => {
  const control = io(server.url, { transports: ['websocket'], auth: { token }, reconnection: false });
  const got = [];
  control.on('player/status', (s) => got.push(s));
  await new Promise((resolve, reject) => {
    control.once('players/onlineSnapshot', resolve);
    control.once('connect_error', reject);
  });
  const report = (pred, what) => until(what, () => got.find(pred), 15000, 50);
  try {
    await command('lobby', { action: 'play', file: 'short.mp4' });
    const playing = await report((s) => s.file === 'short.mp4' && s.state === 'playing', 'player/status playing');
    assert.equal(playing.device_id, 'lobby');
    assert.equal(playing.type, 'video');
    const ended = await report((s) => s.file === 'short.mp4' && s.state === 'ended', 'player/status ended');
    assert.ok(ended.position > 1 && ended.position < 2.5, `ended at ${ended.position} s of a 1.5 s video`);
    assert.ok(Number.isInteger(ended.at));
    // After the end: the placeholder, looped.
    await shown(kiosk, { role: 'placeholder', file: 'poster.png', phase: 'shown' });

    // A video whose time stands still (as when a decoder or the network hangs) is reloaded at its
    // position by the watchdog, and the stall is reported.
    await command('lobby', { action: 'play', file: 'blue.mp4' });
    await shown(kiosk, { role: 'content', kind: 'video', file: 'blue.mp4', phase: 'shown' });
    await advancing(kiosk, 'the video');
    const stuckAt = await kiosk.$eval('#stage .layer.visible video', (v) => {
      v.playbackRate = 0;
      return v.currentTime;
    });
    const stalled = await report((s) => s.file === 'blue.mp4' && s.error === 'stalled', 'player/status error stalled');
    assert.ok(Math.abs(stalled.position - stuckAt) < 1, `stalled at ${stalled.position}, stuck at ${stuckAt}`);
    await advancing(kiosk, 'the video after the watchdog reloaded it');
    assert.ok((await videoTime(kiosk)) >= stuckAt, 'it goes on from where it stood');

    await command('lobby', { action: 'play', file: 'tone.mp3' });
    await shown(kiosk, { role: 'content', kind: 'audio', file: 'tone.mp3', phase: 'shown' });
    await report((s) => s.file === 'tone.mp3' && s.state === 'playing', 'player/status playing for audio');
    await shot(kiosk, 'kiosk-audio');

    await command('lobby', { action: 'play', file: 'deck.pdf' });
    await shown(kiosk, { role: 'content', kind: 'card', file: 'deck.pdf', page: '1', phase: 'shown' });
    const text = await kiosk.$eval('#stage .layer.visible', (l) => l.textContent);
    assert.match(text, /Page 1 of “deck\.pdf” is not converted yet/);
    assert.equal(await kiosk.$$eval('#stage img', (i) => i.length), 0, 'never a broken image');
    const error = await report((s) => s.file === 'deck.pdf' && s.state === 'error', 'player/status error');
    assert.deepEqual([error.error, error.type, error.page], ['not_converted', 'pdf', 1]);
    await shot(kiosk, 'kiosk-not-converted');
    assert.deepEqual(await axe(kiosk), [], 'axe on the card');
  } finally {
    control.close();
  }
});

test('keeps showing its content while the server is stopped, even after a reload, then reconnects by itself and obeys', async () => {
  await command('lobby', { action: 'play', file: 'blue.mp4' });
  await shown(kiosk, { role: 'content', kind: 'video', file: 'blue.mp4', phase: 'shown' });
  await advancing(kiosk, 'the video');
  // The service worker controls the page and has the whole video (downloaded in the background).
  await until('the service worker in control', () => kiosk.evaluate(() => !!navigator.serviceWorker.controller));
  await until('the video in the offline cache', () =>
    kiosk.evaluate(async () => !!(await (await caches.open('vc-player-content')).match('/api/files/resolve/lobby/blue.mp4'))),
  );

  await server.stop();
  await until('the status line says offline', () => kiosk.$eval('#status', (s) => !s.classList.contains('hidden') && /No connection/.test(s.textContent)));
  await advancing(kiosk, 'the video without a server');
  await colourIs(kiosk, BLUE, 'the video without a server');
  await shot(kiosk, 'kiosk-offline');

  // A screen rebooted during the outage: the page, its assets, the state and the video come from
  // the service worker and localStorage.
  await kiosk.reload();
  await shown(kiosk, { role: 'content', kind: 'video', file: 'blue.mp4', phase: 'shown' });
  await advancing(kiosk, 'the video after a reload without a server');
  await colourIs(kiosk, BLUE, 'the video after a reload without a server');
  await shot(kiosk, 'kiosk-offline-reloaded');

  await server.start();
  await until('lobby online again, by itself', async () => (await status('lobby')) === 'online', 40000, 250);
  await command('lobby', { action: 'play', file: 'red.png' });
  await shown(kiosk, { role: 'content', kind: 'image', file: 'red.png', phase: 'shown' });
  await colourIs(kiosk, RED, 'the next command after the outage');
  assert.deepEqual(brokenBits(kiosk), []);
});

test('preview mode shows the given file without registering; /player?device= still works', async () => {
  const preview = await newPage(browser);
  await preview.goto(`${server.url}/player-videojs.html?device_id=hall&preview=1&file=red.png&type=image`);
  await shown(preview, { role: 'content', kind: 'image', file: 'red.png', phase: 'shown' });
  await colourIs(preview, RED, 'the preview');
  await shot(preview, 'kiosk-preview');
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(await status('hall'), 'offline', 'a preview does not register as the device');
  await preview.close();

  const hall = await newPage(browser, { lang: 'ru-RU' });
  await hall.goto(`${server.url}/player?device=hall`);
  await until('hall online', async () => (await status('hall')) === 'online');
  await shown(hall, { role: 'idle', kind: 'card', phase: 'shown' });
  assert.match(await hall.$eval('#stage', (s) => s.textContent), /не задана заставка/);
  assert.equal(await hall.evaluate(() => document.documentElement.lang), 'ru');
  await shot(hall, 'kiosk-idle-ru');
  assert.deepEqual(await axe(hall), [], 'axe on the idle card');
  await command('hall', { action: 'play', file: 'red.png' });
  await shown(hall, { role: 'content', kind: 'image', file: 'red.png', phase: 'shown' });
  await colourIs(hall, RED, '/player?device=hall');
  await hall.close();
});

test('sound: muted with a "tap for sound" button until tapped, then remembered', async () => {
  await command('lobby', { action: 'play', file: 'blue.mp4' });
  const page = await newPage(browser);
  await page.goto(`${server.url}/player?device=lobby`);
  await shown(page, { role: 'content', kind: 'video', file: 'blue.mp4', phase: 'shown' });
  await until('the sound button', () => page.$eval('#sound', (b) => !b.hidden));
  assert.equal(await page.$eval('#stage .layer.visible video', (v) => v.muted), true);
  assert.match(await page.$eval('#sound', (b) => b.textContent), /Tap for sound/);
  await shot(page, 'kiosk-sound-button');
  await page.click('#sound');
  await until('sound on', () => page.$eval('#stage .layer.visible video', (v) => !v.muted));
  assert.equal(await page.$eval('#sound', (b) => b.hidden), true);
  await page.reload();
  await shown(page, { role: 'content', kind: 'video', file: 'blue.mp4', phase: 'shown' });
  await advancing(page, 'the video after the reload');
  assert.equal(await page.$eval('#stage .layer.visible video', (v) => v.muted), false, 'the unlock is remembered');
  assert.equal(await page.$eval('#sound', (b) => b.hidden), true);
  await page.close();
});

test('a schedule drives the screen: playlist items at their boundaries (transition none), an override message over everything until cleared', async () => {
  const files = await rest(server, 'GET', '/api/v1/devices/lobby/media', { token });
  const id = (n) => files.items.find((f) => f.name === n).id;
  const playlist = await rest(server, 'POST', '/api/v1/playlists', {
    token,
    body: { name: 'hall loop', transition: 'none', items: [{ media_id: id('red.png'), duration_ms: 3000 }, { media_id: id('poster.png'), duration_ms: 3000 }] },
  });
  await rest(server, 'POST', '/api/v1/assignments', { token, body: { playlist_id: playlist.id, device_id: 'hall' } });
  const screen = await newPage(browser);
  await screen.goto(`${server.url}/player?device=hall&muted=1`);
  // Whichever item is current first, the other one follows at the next boundary (3 s).
  const first = await until('a scheduled item', async () => {
    const d = await screen.$eval('#stage', (s) => ({ ...s.dataset }));
    return d.role === 'content' && d.phase === 'shown' && (d.file === 'red.png' || d.file === 'poster.png') ? d.file : false;
  });
  const second = first === 'red.png' ? 'poster.png' : 'red.png';
  await shown(screen, { role: 'content', file: second, phase: 'shown' }, 8000);
  await colourIs(screen, second === 'red.png' ? RED : YELLOW, 'the next scheduled item');
  // poster.png was not on hall: the engine linked it there.
  const hallFiles = await rest(server, 'GET', '/api/v1/devices/hall/media', { token });
  assert.ok(hallFiles.items.some((f) => f.name === 'poster.png'), 'the playlist item was linked to the device');

  const override = await rest(server, 'POST', '/api/v1/overrides', { token, body: { message: 'Fire drill: please leave by the east stairs' } });
  await until('the message', () => screen.$eval('#message', (m) => m.textContent).catch(() => false));
  assert.equal(await screen.$eval('#message', (m) => m.textContent), 'Fire drill: please leave by the east stairs');
  assert.equal(await screen.$eval('#message', (m) => m.getAttribute('role')), 'alert');
  assert.ok(near(await pixel(screen, 30, 30), [176, 0, 32]), 'the message covers the screen');
  await shot(screen, 'kiosk-override-message');
  await rest(server, 'DELETE', `/api/v1/overrides/${override.id}`, { token });
  await until('the message gone', async () => (await screen.$('#message')) === null);
  await shown(screen, { role: 'content', phase: 'shown' }, 8000);
  assert.deepEqual(brokenBits(screen), []);
  await screen.close();
});

test('a scheduled video that ends before its item does: the player reports the end and the next item comes at once', async () => {
  // short.mp4 lasts 1.5 s; its playlist item 10 s. The player's player/status "ended" moves the
  // schedule on to red.png long before the item's boundary.
  await createDevice(server, token, 'foyer');
  const files = await rest(server, 'GET', '/api/v1/devices/lobby/media', { token });
  const id = (n) => files.items.find((f) => f.name === n).id;
  const playlist = await rest(server, 'POST', '/api/v1/playlists', {
    token,
    body: { name: 'foyer loop', transition: 'none', items: [{ media_id: id('short.mp4'), duration_ms: 10000 }, { media_id: id('red.png'), duration_ms: 20000 }] },
  });
  await rest(server, 'POST', '/api/v1/assignments', { token, body: { playlist_id: playlist.id, device_id: 'foyer' } });
  const assigned = Date.now();
  const screen = await newPage(browser);
  await screen.goto(`${server.url}/player?device=foyer&muted=1`);
  await shown(screen, { role: 'content', kind: 'video', file: 'short.mp4', phase: 'shown' });
  await shown(screen, { role: 'content', file: 'red.png', phase: 'shown' }, 7000);
  const took = Date.now() - assigned;
  assert.ok(took < 8000, `red.png came ${took} ms after the assignment; its boundary is at 10 s`);
  await colourIs(screen, RED, 'the item after the video');
  const state = await rest(server, 'GET', '/api/v1/devices/foyer', { token });
  assert.equal(state.now_playing.file, 'red.png');
  await screen.close();
});
