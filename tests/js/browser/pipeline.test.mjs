// The content pipeline in the admin panel, as a person meets it: upload a real 3-page PDF (printed by
// Chromium) and a real MP4 (FFmpeg); the rows show the processing progress live, then a thumbnail
// that loads, "3 pages" / the video's resolution and duration (also in Russian, and in the dark
// theme); the preview turns the PDF's pages; "Process again" and "Optimise now" from the row menu
// (the video's progress moves without the list being fetched again, then it is "Optimised"); the
// browser player shows page 2 of the PDF after play + next; a folder of three PNGs uploaded with the
// folder picker becomes one image folder of 3 images whose pages the preview shows; a damaged PDF
// shows an error badge with the reason, an MPEG-4 Part 2 video a "limited playback" warning until
// it is optimised. A folder dropped onto the list is read recursively and uploaded the same way.
// Screenshots: build/tests/screenshots/pipeline-*.png.
//
//   VC_SERVER_BINARY=build/apps/server/videocontrol-server node --test tests/js/browser/pipeline.test.mjs
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { FIXTURES, printedPdf, solidPng, videoMp4 } from './fixtures.mjs';
import { ADMIN_PASSWORD, adminToken, axe, createDevice, launch, newPage, rest, screenshot, signIn, startServer, waitForText } from './harness.mjs';

let server, token, browser, screenBrowser, admin;
const files = {};

const row = (name) => `.files-table tr[data-file="${name}"]`;

// The row's text once the file is processed, with a thumbnail that has loaded.
async function readyRow(page, name, timeout = 60000) {
  await page
    .waitForFunction(
      (sel) => {
        const r = document.querySelector(sel);
        const img = r?.querySelector('img.thumb');
        return r?.dataset.status === 'ready' && img && img.complete && img.naturalWidth > 0;
      },
      { timeout },
      row(name),
    )
    .catch(async (e) => {
      await screenshot(page, `debug-pipeline-${name}`);
      const html = await page.$eval(row(name), (r) => r.outerHTML).catch(() => 'no row');
      throw new Error(`${name} is not ready with a thumbnail: ${html}\n${e.message}`);
    });
  return page.$eval(`${row(name)} [data-testid=file-meta]`, (c) => c.textContent);
}

// The row once it matches `state` (a selector relative to the row, e.g. '[data-status=error]'); its
// HTML in the error otherwise.
async function rowIs(page, name, state, inside = '', timeout = 60000) {
  await page.waitForSelector(`${row(name)}${state}${inside ? ` ${inside}` : ''}`, { timeout }).catch(async (e) => {
    await screenshot(page, `debug-pipeline-${name}`);
    const html = await page.$eval(row(name), (r) => r.outerHTML).catch(() => 'no row');
    throw new Error(`${name} is not ${state} ${inside}: ${html}\n${e.message}`);
  });
}

async function menuItem(page, name, label) {
  await page.click(`${row(name)} summary`);
  const labels = await page.$$eval(`${row(name)} .menu-list button`, (b) => b.map((x) => x.textContent));
  assert.ok(labels.includes(label), `"${label}" in the menu of ${name}: ${labels.join(' | ')}`);
  await page.$$eval(`${row(name)} .menu-list button`, (b, l) => b.find((x) => x.textContent === l).click(), label);
}

// Every status each row goes through, recorded in the page (a job may be quick).
async function watchStatuses(page) {
  await page.evaluate(() => {
    window.seenStatus = {};
    const note = () => {
      for (const r of document.querySelectorAll('.files-table tbody tr')) {
        const s = (window.seenStatus[r.dataset.file] ??= []);
        if (s.at(-1) !== r.dataset.status) s.push(r.dataset.status);
      }
    };
    note();
    new MutationObserver(note).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-status'] });
  });
}

// A screenshot once the page has painted; `at` is scrolled to the top of the view first (the file
// list sits below the tiles).
async function shot(page, name, at) {
  if (at) await page.$eval(at, (e) => e.scrollIntoView({ block: 'start' }));
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  await screenshot(page, name);
}

before(async () => {
  // Videos are not optimised by themselves here, so one some players cannot decode shows the warning
  // until "Optimise now" (which works either way).
  server = await startServer({ PROCESSING_WORKERS: '2', OPTIMIZE_VIDEOS: 'false' });
  token = await adminToken(server);
  browser = await launch();
  files.pdf = await printedPdf(browser, 'deck.pdf', 3);
  files.clip = videoMp4('clip.mp4', 20); // long enough that optimising it shows progress
  const dir = path.join(FIXTURES, 'holiday');
  fs.mkdirSync(dir, { recursive: true });
  for (const [n, c] of [['beach.png', 'orange'], ['sea.png', 'teal'], ['sunset.png', 'purple']]) solidPng(path.join('holiday', n), c, '640x360');
  fs.writeFileSync(path.join(dir, 'notes.txt'), 'not an image\n'); // skipped by the server
  files.folder = dir;
  files.damaged = path.join(FIXTURES, 'damaged.pdf');
  fs.writeFileSync(files.damaged, '%PDF-1.4\n' + 'this is not a PDF body\n'.repeat(40)); // a PDF header, nothing else
  files.mpeg4 = videoMp4('old.mp4', 2, { codec: 'mpeg4' }); // plays, but not on every player
  admin = await newPage(browser);
});

after(async () => {
  await browser?.close();
  await screenBrowser?.close();
  await server?.cleanup();
});

test('sign in, create a device, upload a 3-page PDF and an MP4: thumbnails, page count, resolution and duration', async () => {
  await signIn(admin, server, 'admin', ADMIN_PASSWORD);
  await createDevice(server, token, 'lobby', 'Lobby screen');
  await admin.goto(`${server.url}/admin#/devices/lobby`, { waitUntil: 'networkidle0' });
  await admin.waitForSelector('[data-testid=upload-input]');
  assert.ok(await admin.$('[data-testid=upload-folder-input][webkitdirectory]'), 'a folder picker');

  await watchStatuses(admin);
  const input = await admin.$('[data-testid=upload-input]');
  await input.uploadFile(files.pdf, files.clip);

  const pdfMeta = await readyRow(admin, 'deck.pdf');
  assert.equal(pdfMeta, '3 pages');
  const clipMeta = await readyRow(admin, 'clip.mp4');
  assert.equal(clipMeta, 'SD · 640×360 · 00:20');
  assert.equal(await admin.$eval(`${row('deck.pdf')} img.thumb`, (i) => new URL(i.src).pathname), '/api/v1/devices/lobby/media/deck.pdf/thumbnail');
  assert.equal(await admin.$eval(`${row('deck.pdf')} img.thumb`, (i) => i.loading), 'lazy');
  assert.match(await admin.$eval(row('deck.pdf'), (r) => r.textContent), /PDF.*Ready/);
  const seen = await admin.evaluate(() => window.seenStatus);
  console.log('statuses seen:', JSON.stringify(seen));
  assert.deepEqual(seen['deck.pdf'].at(-1), 'ready');
  await shot(admin, 'pipeline-files-light', '.files');
  assert.deepEqual(await axe(admin), []);

  // The dark theme.
  await admin.evaluate(() => (document.documentElement.dataset.theme = 'dark'));
  await shot(admin, 'pipeline-files-dark', '.files');
  await admin.evaluate(() => delete document.documentElement.dataset.theme);
});

test('in Russian: page count with the right plural, the kind and the status', async () => {
  await admin.evaluate(() => localStorage.setItem('vc.lang', 'ru'));
  await admin.reload({ waitUntil: 'networkidle0' });
  await admin.waitForSelector(`${row('deck.pdf')} [data-testid=file-meta]`);
  await waitForText(admin, `${row('deck.pdf')} [data-testid=file-meta]`, '3 страницы');
  assert.match(await admin.$eval(row('deck.pdf'), (r) => r.textContent), /Готов/);
  assert.ok(await admin.$$eval('button', (b) => b.some((x) => x.textContent === 'Загрузить папку')), 'the folder button in Russian');
  await shot(admin, 'pipeline-files-ru', '.files');
  await admin.evaluate(() => localStorage.setItem('vc.lang', 'en'));
  await admin.reload({ waitUntil: 'networkidle0' });
  await readyRow(admin, 'deck.pdf');
});

test("the preview turns the PDF's pages: next shows page 2, previous page 1", async () => {
  await menuItem(admin, 'deck.pdf', 'Preview');
  const page = 'dialog [data-testid=preview-page]';
  const loaded = (n) =>
    admin.waitForFunction(
      (sel, n) => {
        const i = document.querySelector(sel);
        return i && i.dataset.page === String(n) && i.complete && i.naturalWidth > 0 && new URL(i.src).pathname.endsWith(`/pages/${n}`);
      },
      {},
      page,
      n,
    );
  await loaded(1);
  assert.equal(await admin.$eval('dialog [data-testid=preview-prev]', (b) => b.disabled), true, 'no page before the first');
  assert.equal(await admin.$eval('dialog [data-testid=preview-page-label]', (e) => e.textContent), 'Page 1 of 3');
  await admin.click('dialog [data-testid=preview-next]');
  await loaded(2);
  assert.equal(await admin.$eval('dialog [data-testid=preview-page-label]', (e) => e.textContent), 'Page 2 of 3');
  await shot(admin, 'pipeline-preview-page2');
  await admin.click('dialog [data-testid=preview-prev]');
  await loaded(1);
  await admin.click('dialog [data-testid=preview-next]');
  await admin.click('dialog [data-testid=preview-next]');
  await loaded(3);
  assert.equal(await admin.$eval('dialog [data-testid=preview-next]', (b) => b.disabled), true, 'no page after the last');
  await admin.$$eval('dialog .actions button', (b) => b.find((x) => x.textContent === 'Close').click());
  await admin.waitForFunction(() => !document.querySelector('dialog[open]'));
});

test('"Process again" from the row menu: a toast, and the file is ready again', async () => {
  await watchStatuses(admin);
  await menuItem(admin, 'deck.pdf', 'Process again');
  await waitForText(admin, '.toast', 'deck.pdf is being processed again.');
  await admin.waitForFunction(() => window.seenStatus['deck.pdf'].join() === 'ready,processing,ready', { timeout: 60000 }).catch(async (e) => {
    throw new Error(`statuses of deck.pdf: ${await admin.evaluate(() => window.seenStatus['deck.pdf'].join())}: ${e.message}`);
  });
  assert.equal(await readyRow(admin, 'deck.pdf'), '3 pages');
  await admin.waitForNetworkIdle({ idleTime: 500 }); // the list reloads after the job
});

test('"Optimise now" on the video: the progress bar moves live without refetching the list, then "Optimised"', async () => {
  let listFetches = 0;
  const count = (r) => {
    if (r.method() === 'GET' && /\/api\/v1\/devices\/lobby\/media\?/.test(r.url())) listFetches++;
  };
  // Every value the row's progress bar shows, recorded in the page.
  await admin.evaluate((sel) => {
    window.progressSeen = [];
    window.fetchesAtProgress = null;
    const note = () => {
      const bar = document.querySelector(`${sel} [role=progressbar]`);
      if (bar) {
        const v = Number(bar.getAttribute('aria-valuenow'));
        if (window.progressSeen.at(-1) !== v) window.progressSeen.push(v);
      }
    };
    new MutationObserver(note).observe(document.body, { subtree: true, childList: true, attributes: true });
  }, row('clip.mp4'));
  await admin.waitForNetworkIdle({ idleTime: 500 });
  admin.on('request', count);
  await menuItem(admin, 'clip.mp4', 'Optimise now');
  await waitForText(admin, '.toast', 'Optimising clip.mp4');
  await admin.waitForSelector(`${row('clip.mp4')}[data-status=processing] [data-testid=file-progress]`, { timeout: 20000 }).catch(() => {});
  const fetchesBefore = listFetches;
  // Wait until the bar shows a value strictly between 0 and 100, then take a picture of it.
  const midway = await admin
    .waitForFunction(() => window.progressSeen.some((v) => v > 0 && v < 100), { timeout: 30000 })
    .then(() => true, () => false);
  if (midway) await shot(admin, 'pipeline-processing', '.files');
  const fetchesDuring = listFetches - fetchesBefore;
  await readyRow(admin, 'clip.mp4', 120000);
  await rowIs(admin, 'clip.mp4', '[data-status=ready]', '[data-testid=optimised]');
  admin.off('request', count);
  const progress = await admin.evaluate(() => window.progressSeen);
  console.log('progress seen:', progress.join(','), 'list fetches while processing:', fetchesDuring);
  assert.ok(midway, `the bar moved through a value between 0 and 100: ${progress.join(',')}`);
  assert.equal(fetchesDuring, 0, 'progress came from the socket, not from fetching the list');
  const nonDecreasing = progress.filter((v) => v > 0).every((v, i, a) => i === 0 || v >= a[i - 1]);
  assert.ok(nonDecreasing, `progress only grows: ${progress.join(',')}`);
  assert.equal(await admin.$eval(`${row('clip.mp4')} [data-testid=optimised]`, (b) => b.textContent), 'Optimised');
  assert.match(await admin.$eval(`${row('clip.mp4')} [data-testid=optimised]`, (b) => b.title), /H\.264/);
  const list = await rest(server, 'GET', '/api/v1/devices/lobby/media', { token });
  assert.ok(list.items.find((f) => f.name === 'clip.mp4').metadata.rendition, 'the API says there is a rendition');
  await shot(admin, 'pipeline-optimised', '.files');
});

test('the browser player shows page 2 of the PDF after play and next', async () => {
  // The screen is another machine: its own browser, as in the player test.
  screenBrowser = await launch();
  const player = await newPage(screenBrowser, { viewport: { width: 960, height: 540 } });
  await player.goto(`${server.url}/player?device=lobby`, { waitUntil: 'domcontentloaded' });
  await admin.waitForFunction(() => document.querySelector('[data-device=lobby] [data-testid=online-badge]')?.textContent === 'Online');
  const stage = (want) =>
    player.waitForFunction((w) => Object.entries(w).every(([k, v]) => document.querySelector('#stage')?.dataset[k] === v), { timeout: 20000 }, want);
  const command = (body) => rest(server, 'POST', '/api/v1/devices/lobby/commands', { token, body });
  await command({ action: 'play', file: 'deck.pdf' });
  await stage({ file: 'deck.pdf', page: '1', phase: 'shown' });
  await command({ action: 'next' });
  await stage({ file: 'deck.pdf', page: '2', phase: 'shown' });
  const img = await player.waitForFunction(() => {
    const i = document.querySelector('#stage .layer.visible img');
    return i && i.complete && i.naturalWidth > 0 && { src: i.src, w: i.naturalWidth };
  });
  const { src, w } = await img.jsonValue();
  assert.match(new URL(src).pathname, /\/page\/2$/, `the page-2 image: ${src}`);
  assert.ok(w > 0);
  await shot(player, 'pipeline-player-page2');
  // The panel's tile shows the page the screen shows.
  await admin.waitForFunction(() => document.querySelector('[data-testid=panel-now-playing]')?.textContent.includes('deck.pdf'));
  await admin.waitForFunction(() => {
    const i = document.querySelector('[data-device=lobby] .tile-preview img');
    return i && /\/pages\/2$/.test(new URL(i.src).pathname) && i.complete && i.naturalWidth > 0;
  });
  await command({ action: 'stop' });
  await player.close();
});

test('a folder of three PNGs uploaded with the folder picker becomes one image folder of 3 images', async () => {
  const input = await admin.$('[data-testid=upload-folder-input]');
  await input.uploadFile(files.folder);
  // The files came with their relative paths: the queue shows the folder as one upload.
  await waitForText(admin, '[data-testid=uploads] .upload-name', 'holiday/');
  // Four files go up (the server leaves out what is not an image).
  assert.match(await admin.$eval('[data-testid=uploads]', (e) => e.textContent), /holiday\/4 files/);
  const meta = await readyRow(admin, 'holiday');
  assert.equal(meta, '3 images');
  assert.match(await admin.$eval(row('holiday'), (r) => r.textContent), /Image folder/);
  for (const n of ['beach.png', 'sea.png', 'sunset.png']) assert.equal(await admin.$(row(n)), null, `${n} is not a file of its own`);
  await shot(admin, 'pipeline-folder', '.files');
  await menuItem(admin, 'holiday', 'Preview');
  await admin.waitForFunction(() => {
    const i = document.querySelector('dialog [data-testid=preview-page]');
    return i && i.complete && i.naturalWidth > 0;
  });
  assert.equal(await admin.$eval('dialog [data-testid=preview-page-label]', (e) => e.textContent), 'Image 1 of 3');
  await admin.click('dialog [data-testid=preview-next]');
  await waitForText(admin, 'dialog [data-testid=preview-page-label]', 'Image 2 of 3');
  await shot(admin, 'pipeline-folder-preview');
  await admin.$$eval('dialog .actions button', (b) => b.find((x) => x.textContent === 'Close').click());
  assert.deepEqual(admin.problems.filter((p) => /pageerror|Content Security Policy/.test(p)), []);
});

test('a folder dropped onto the file list (with a subfolder) is read recursively and becomes one image folder', async () => {
  const trip = path.join(FIXTURES, 'trip');
  fs.mkdirSync(path.join(trip, 'day2'), { recursive: true });
  solidPng(path.join('trip', 'museum.png'), 'red');
  solidPng(path.join('trip', 'day2', 'park.png'), 'green');
  // A real drag of the folder from the desktop, as Chromium's input pipeline delivers it (the page
  // reads it with DataTransferItem.webkitGetAsEntry).
  const box = await (await admin.$('.files')).boundingBox();
  const at = { x: box.x + box.width / 2, y: box.y + 30 };
  const cdp = await admin.createCDPSession();
  const data = { items: [], files: [trip], dragOperationsMask: 1 };
  for (const type of ['dragEnter', 'dragOver', 'drop']) await cdp.send('Input.dispatchDragEvent', { type, ...at, data });
  await cdp.detach();
  await waitForText(admin, '[data-testid=uploads] .upload-name', 'trip/');
  assert.equal(await readyRow(admin, 'trip'), '2 images');
  for (const n of ['museum.png', 'park.png']) assert.equal(await admin.$(row(n)), null, `${n} is not a file of its own`);
});

test('a damaged PDF shows an error badge with the reason; an MPEG-4 Part 2 video warns that some players cannot play it until optimised', async () => {
  const input = await admin.$('[data-testid=upload-input]');
  await input.uploadFile(files.damaged, files.mpeg4);
  await rowIs(admin, 'damaged.pdf', '[data-status=error]', '[data-testid=file-error]');
  // Read in one evaluation (the list reloads when the other file settles).
  const badge = await admin.$eval(row('damaged.pdf'), (r) => ({
    text: r.querySelector('[data-testid=file-error]')?.textContent,
    title: r.querySelector('[data-testid=file-error]')?.title ?? '',
    reason: r.querySelector('[data-testid=file-meta]')?.textContent,
    icon: !!r.querySelector('.thumb-icon'),
  }));
  assert.equal(badge.text, 'Error');
  assert.ok(badge.title.length > 5, `the reason is the badge's tooltip: ${badge.title}`);
  assert.equal(badge.reason, badge.title, 'and shown beside it');
  assert.ok(badge.icon, 'the kind icon stands in for the thumbnail');

  await readyRow(admin, 'old.mp4');
  const warn = await admin.$eval(`${row('old.mp4')} [data-testid=file-warning]`, (b) => ({ text: b.textContent, title: b.title }));
  assert.equal(warn.text, 'Limited playback');
  assert.match(warn.title, /mpeg4/i);
  await shot(admin, 'pipeline-error', '.files');
  await admin.evaluate(() => (document.documentElement.dataset.theme = 'dark'));
  await shot(admin, 'pipeline-error-dark', '.files');
  await admin.evaluate(() => delete document.documentElement.dataset.theme);
  assert.deepEqual(await axe(admin), []);

  await menuItem(admin, 'old.mp4', 'Optimise now');
  await rowIs(admin, 'old.mp4', '[data-status=ready]', '[data-testid=optimised]', 120000);
  assert.equal(await admin.$(`${row('old.mp4')} [data-testid=file-warning]`), null, 'no warning once there is an H.264 copy');
  assert.match(await admin.$eval(`${row('old.mp4')} [data-testid=optimised]`, (b) => b.title), /H\.264[\s\S]*mpeg4/);
});
