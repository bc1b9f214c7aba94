// First run, as a new user meets it: open /, sign in as admin, create a device, upload three files
// with the progress bar moving, open the device's player in a second tab, play an image (pixel
// check) and a video (currentTime advances), pause, resume, stop → placeholder; the session stays
// out of page scripts' reach; sign out. Screenshots land in build/tests/screenshots.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ADMIN_PASSWORD, axe, launch, newPage, rest, adminToken, screenshot, signIn, startServer, waitForText } from './harness.mjs';
import { near, pixel, solidPng, videoMp4 } from './fixtures.mjs';

let server, browser, screenBrowser, admin, player;
let playerLink; // what the panel showed for the new device: its credential rides in it
const files = {};

before(async () => {
  files.red = solidPng('red.png', 'red');
  files.blue = solidPng('blue.png', 'blue');
  files.clip = videoMp4('clip.mp4', 4);
  files.big = videoMp4('big.mp4', 4, { noise: true }); // a few MB: the progress bar has time to move
  // The server's own device-credential defaults (required; the harness's 2.x-style 'off' removed).
  server = await startServer({ DEVICE_CREDENTIALS: undefined, PLAYER_REQUESTS_PER_MINUTE: undefined, DEVICE_AUTH_FAILURES: undefined });
  browser = await launch();
  admin = await newPage(browser);
});

after(async () => {
  await browser?.close();
  await screenBrowser?.close();
  await server?.cleanup();
});

test('/ sends a signed-out browser to sign-in, and the sign-in page is accessible', async () => {
  await admin.goto(`${server.url}/`, { waitUntil: 'networkidle0' });
  assert.match(admin.url(), /\/signin$/);
  await admin.waitForSelector('#username');
  await waitForText(admin, 'h1', 'Sign in');
  await screenshot(admin, 'signin');
  assert.deepEqual(await axe(admin), []);
});

test('a wrong password is refused with a clear message', async () => {
  await admin.type('#username', 'admin');
  await admin.type('#password', 'not-the-password');
  await admin.click('button[type=submit]');
  await admin.waitForSelector('[data-testid=signin-error]');
  assert.match(await admin.$eval('[data-testid=signin-error]', (e) => e.textContent), /Wrong username or password/);
  assert.match(admin.url(), /\/signin/);
});

test('admin signs in and lands on the admin panel; the refresh token is not readable by scripts', async () => {
  await admin.$eval('#username', (e) => (e.value = ''));
  await signIn(admin, server, 'admin', ADMIN_PASSWORD);
  assert.match(admin.url(), /\/admin/);
  await waitForText(admin, 'h1', 'Devices');
  const cookies = await admin.evaluate(() => document.cookie);
  assert.doesNotMatch(cookies, /vc_refresh|vc_access/);
  assert.match(cookies, /vc_session=1/);
  const all = await browser.defaultBrowserContext().cookies(server.url);
  const refresh = all.find((c) => c.name === 'vc_refresh');
  assert.ok(refresh, 'the refresh cookie is set');
  assert.equal(refresh.httpOnly, true);
  assert.equal(refresh.sameSite, 'Strict');
  assert.equal(refresh.path, '/api/v1/auth');
  // Silent refresh: a reload keeps the person signed in.
  await admin.reload({ waitUntil: 'networkidle0' });
  await waitForText(admin, 'h1', 'Devices');
  assert.match(admin.url(), /\/admin/);
});

test('create a device from the panel: its player link with its credential and QR code are shown once', async () => {
  await admin.click('[data-testid=add-device]');
  await admin.waitForSelector('#dev-id');
  await admin.type('#dev-id', 'lobby');
  await admin.type('#dev-name', 'Lobby screen');
  assert.equal(await admin.$eval('[data-testid=legacy-player]', (e) => e.checked), false, 'not a legacy player by default');
  await screenshot(admin, 'admin-add-device');
  await admin.click('dialog button[type=submit]');
  await admin.waitForSelector('[data-testid=player-url]');
  const url = await admin.$eval('[data-testid=player-url]', (e) => e.value);
  assert.match(url, new RegExp(`^${server.url}/player\\?device=lobby&token=vcd_[A-Za-z0-9_-]+$`));
  playerLink = url;
  // The credential works for the player routes; the id alone does not.
  const token = new URL(url).searchParams.get('token');
  assert.equal((await fetch(`${server.url}/api/devices/lobby/files`)).status, 401);
  assert.equal((await fetch(`${server.url}/api/devices/lobby/files?token=${token}`)).status, 200);
  assert.ok(await admin.$('dialog svg.qr path'), 'a QR code is drawn');
  await waitForText(admin, 'dialog .alert.warn', 'shown only now');
  await screenshot(admin, 'admin-new-device');
  await admin.click('dialog .actions button');
  await waitForText(admin, '.tile', 'Lobby screen');
  assert.match(admin.url(), /#\/devices\/lobby$/);
});

test('upload three files: per-file and total progress move, then the files are listed', async () => {
  // Slow the upload down so progress is visible between 0 and 100.
  const cdp = await admin.createCDPSession();
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 5, downloadThroughput: -1, uploadThroughput: 3 * 1024 * 1024 });
  const input = await admin.$('[data-testid=upload-input]');
  await input.uploadFile(files.red, files.clip, files.big);
  await admin.waitForSelector('[data-testid=uploads] [role=progressbar]');
  const seen = new Set();
  const deadline = Date.now() + 60000;
  while (Date.now() < deadline) {
    const v = await admin.$eval('[data-testid=uploads] [role=progressbar]', (e) => Number(e.getAttribute('aria-valuenow')));
    seen.add(v);
    if (v === 100) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  await cdp.send('Network.disable');
  await cdp.detach();
  const between = [...seen].filter((v) => v > 0 && v < 100);
  assert.ok(between.length >= 2, `the total bar moved through intermediate values: ${[...seen].join(',')}`);
  await admin.waitForFunction(() => document.querySelectorAll('.files-table tbody tr').length === 3);
  const names = await admin.$$eval('.files-table tbody tr', (rows) => rows.map((r) => r.dataset.file).sort());
  assert.deepEqual(names, ['big.mp4', 'clip.mp4', 'red.png']);
  await screenshot(admin, 'admin-device-files');
  assert.deepEqual(await axe(admin), []);
});

test('an unsupported file is refused with a clear message and nothing is listed', async () => {
  const fs = await import('node:fs');
  const path = await import('node:path');
  const { FIXTURES } = await import('./fixtures.mjs');
  const notes = path.join(FIXTURES, 'notes.txt');
  fs.writeFileSync(notes, 'meeting notes\n'.repeat(100));
  const input = await admin.$('[data-testid=upload-input]');
  await input.uploadFile(notes);
  await waitForText(admin, '[data-testid=uploads] .upload.failed', 'This kind of file is not supported.');
  assert.equal(await admin.$('.files-table tr[data-file="notes.txt"]'), null);
  await screenshot(admin, 'admin-upload-refused');
});

test('the player tab shows what the panel plays: image pixels, video time, pause, resume, stop', async () => {
  // The screen is another machine: its own browser, so neither page is a background tab.
  screenBrowser = await launch();
  player = await newPage(screenBrowser, { viewport: { width: 640, height: 360 } });
  await player.goto(playerLink, { waitUntil: 'domcontentloaded' });
  // The tile turns online live.
  await admin.waitForFunction(() => document.querySelector('[data-device=lobby] [data-testid=online-badge]')?.textContent === 'Online').catch(async (e) => {
    console.log('badge:', await admin.$eval('[data-device=lobby]', (x) => x.outerHTML), server.log.join('').slice(-3000));
    throw e;
  });

  const row = (name) => `.files-table tr[data-file="${name}"]`;
  await admin.click(`${row('red.png')} .actions-cell button`);
  await player.waitForFunction(() => [...document.querySelectorAll('img')].some((i) => i.complete && i.naturalWidth > 0 && i.src.includes('red.png')));
  await new Promise((r) => setTimeout(r, 800)); // the fade-in
  const c = await pixel(player, 320, 180);
  assert.ok(near(c, [255, 0, 0]), `the screen shows red: ${JSON.stringify(c)}`);
  await screenshot(player, 'player-image');
  await admin.waitForFunction(() => document.querySelector('[data-testid=panel-now-playing]')?.textContent.includes('red.png'));

  await admin.click(`${row('clip.mp4')} .actions-cell button`);
  await player.waitForFunction(() => {
    const v = document.querySelector('video');
    return v && v.currentSrc.includes('clip.mp4') && v.currentTime > 0.5;
  }, { timeout: 20000 });
  await screenshot(player, 'player-video');

  const controls = '.device-controls button';
  const press = async (label) => {
    const buttons = await admin.$$(controls);
    for (const b of buttons) if ((await b.evaluate((e) => e.textContent)) === label) return b.click();
    throw new Error(`no button ${label}`);
  };
  await admin.waitForFunction(() => document.querySelector('[data-testid=panel-now-playing]')?.textContent.startsWith('Playing: clip.mp4'));
  await press('Pause');
  await player.waitForFunction(() => document.querySelector('video')?.paused === true);
  const t1 = await player.$eval('video', (v) => v.currentTime);
  await new Promise((r) => setTimeout(r, 600));
  assert.equal(await player.$eval('video', (v) => v.currentTime), t1, 'paused video does not advance');
  await admin.waitForFunction(() => document.querySelector('[data-testid=panel-now-playing]')?.textContent.startsWith('Paused'));
  await press('Resume');
  await player.waitForFunction((t) => document.querySelector('video')?.currentTime > t + 0.2, {}, t1);
  await press('Stop');
  await player.waitForFunction(() => !document.querySelector('video') || document.querySelector('video').paused || !document.querySelector('video').currentSrc.includes('clip.mp4'));
  await admin.waitForFunction(() => document.querySelector('[data-testid=panel-now-playing]')?.textContent === 'Showing the placeholder');
  await screenshot(admin, 'admin-devices');
});

test('the placeholder: set from the file menu, pinned first, and shown by the player after stop', async () => {
  const input = await admin.$('[data-testid=upload-input]');
  await input.uploadFile(files.blue);
  await admin.waitForSelector('.files-table tr[data-file="blue.png"]');
  await admin.click('.files-table tr[data-file="blue.png"] summary');
  const labels = await admin.$$eval('.files-table tr[data-file="blue.png"] .menu-list button', (b) => b.map((x) => x.textContent));
  assert.ok(labels.includes('Make placeholder'), labels.join('|'));
  await admin.$$eval('.files-table tr[data-file="blue.png"] .menu-list button', (b) => b.find((x) => x.textContent === 'Make placeholder').click());
  await waitForText(admin, '.toast', 'blue.png is now the placeholder.');
  await admin.waitForFunction(() => document.querySelector('.files-table tbody tr')?.dataset.file === 'blue.png').catch(async (e) => {
    await screenshot(admin, 'debug-placeholder');
    console.log(await admin.$$eval('.files-table tbody tr', (r) => r.map((x) => x.dataset.file + ':' + x.className)));
    throw e;
  });
  assert.ok(await admin.$('.files-table tbody tr.placeholder-row'));
  await player.waitForFunction(() => [...document.querySelectorAll('img')].some((i) => i.src.includes('blue.png') && i.complete && i.naturalWidth > 0));
  await new Promise((r) => setTimeout(r, 800));
  assert.ok(near(await pixel(player, 320, 180), [0, 0, 255]), 'the screen shows the blue placeholder');
});

test('search narrows the file list on the server', async () => {
  await admin.type('[data-testid=file-search]', 'clip');
  await admin.waitForFunction(() => [...document.querySelectorAll('.files-table tbody tr')].every((r) => r.dataset.file.includes('clip')) && document.querySelectorAll('.files-table tbody tr').length >= 1);
  const names = await admin.$$eval('.files-table tbody tr', (rows) => rows.map((r) => r.dataset.file));
  // The placeholder stays pinned only when it matches; clip.mp4 is the one match.
  assert.deepEqual(names, ['clip.mp4']);
  await admin.$eval('[data-testid=file-search]', (e) => (e.value = ''));
});

test('sign out ends the session: the panel then sends to sign-in', async () => {
  await admin.click('[data-testid=account-menu]');
  await Promise.all([admin.waitForNavigation(), admin.click('[data-testid=sign-out]')]);
  assert.match(admin.url(), /\/signin/);
  await admin.goto(`${server.url}/admin`, { waitUntil: 'networkidle0' });
  await admin.waitForSelector('#username');
  assert.match(admin.url(), /\/signin\?next=/);
  // The token the page held is revoked too.
  const token = await adminToken(server);
  assert.ok(token);
  const me = await rest(server, 'GET', '/api/v1/auth/me', { token });
  assert.equal(me.username, 'admin');
});

test('change own password from the account menu: the page stays signed in, the new password works', async () => {
  const token = await adminToken(server);
  await rest(server, 'POST', '/api/v1/users', { token, body: { username: 'olga', password: 'Olga-first-pass-1', role: 'operator' } });
  await signIn(admin, server, 'olga', 'Olga-first-pass-1');
  await admin.click('[data-testid=account-menu]');
  const items = await admin.$$eval('.menu-list button', (b) => b.map((x) => x.textContent));
  assert.ok(items.includes('Change password'), items.join('|'));
  await admin.$$eval('.menu-list button', (b) => b.find((x) => x.textContent === 'Change password').click());
  await admin.waitForSelector('#pw-current');
  await admin.type('#pw-current', 'Olga-first-pass-1');
  await admin.type('#pw-next', 'Olga-second-pass-2');
  await admin.type('#pw-again', 'Olga-second-pass-2');
  await admin.click('dialog button[type=submit]');
  await waitForText(admin, '.toast', 'Password changed');
  await admin.reload({ waitUntil: 'networkidle0' });
  await waitForText(admin, 'h1', 'Devices');
  const ok = await rest(server, 'POST', '/api/v1/auth/login', { body: { username: 'olga', password: 'Olga-second-pass-2' } });
  assert.equal(ok.user.username, 'olga');
  await assert.rejects(rest(server, 'POST', '/api/v1/auth/login', { body: { username: 'olga', password: 'Olga-first-pass-1' } }), /401/);
});
