// Admin panel page weight and time to interactive (issue 11): the first load of /admin with 500
// devices and 5,000 device files in the organisation, in Debian's Chromium, cold cache.
//
//   node bench/web_admin.mjs [--binary build/apps/server/videocontrol-server] [--runs 5]
//        [--devices 500] [--files 5000] [--media 50] [--heavy 250] [--web before=DIR,after=DIR]
//
// --web compares builds of the pages on one server and one seeded organisation: each DIR is the
// --out folder of `node web/build.mjs`, served through VC_WEB_DIR (a symlink the bench points at
// one DIR, then the next, between loads; the server reads the files on every request, uncompressed).
// The runs alternate between them, each round in the other order, so machine noise falls on all
// alike. Without --web the server's compiled-in pages are measured (or VC_WEB_DIR when it is set).
//
// Run it from the repository root (the binary's default path is relative to it). puppeteer-core is
// imported by tests/js/browser/harness.mjs, which resolves it from tests/js/node_modules (install with
// `npm ci --prefix tests/js` when missing); nothing else here needs a package.
//
// What it does:
//   1. starts a server through the browser tests' harness (free 127.0.0.1 port, its own DATA_DIR);
//   2. seeds through the REST API as the superadmin in its home organisation (Default, ENTERPRISE):
//      --devices devices; --media real PNGs made by ffmpeg (testsrc2 pattern, each its own size and
//      hue) uploaded once each to the "heavy" device, then offered on devices with
//      POST /api/v1/media/{id}/devices {device_id, name} until the organisation has --files device
//      files: --heavy of them on the heavy device (each media under several names), the rest spread
//      round-robin over the other devices. No bytes are copied for a link; then it waits until the
//      content pipeline has processed the uploads (no file `processing`), so no job runs meanwhile;
//   3. per run (--runs, default 5), for /admin and for the reference /signin, a new incognito browser
//      context (cold cache, no cookies). For /admin it first signs in from inside the origin
//      (fetch POST /api/v1/auth/login {"session":"cookie"} from /healthz, so no page asset is cached),
//      clears the browser cache, then navigates to /admin#/devices/<heavy device> and records, in the
//      page, performance.now() (0 = navigation start) when
//        - first contentful paint happened (paint timing),
//        - the tile grid is drawn: every device tile is in the DOM (.tiles .tile count = devices)
//          or, for the windowed grid (tilegrid.js), a tile says it is one of all of them
//          (aria-setsize = devices) — its rows in view are drawn;
//        - the heavy device's file list shows its first page (50 rows),
//        - interactive = both of the above, and the next frame after it;
//      and, from CDP Network, the bytes transferred (Network.loadingFinished encodedDataLength: body as
//      sent, compressed, plus response headers) split into page assets (document, /assets/*, favicon),
//      API calls, socket.io and media thumbnails. The file list sits below the 500 tiles, so its lazy
//      thumbnails load only when it is scrolled into view; after the timed part the bench scrolls it
//      into view and counts what they cost, separately.
//      also the page's element count and drawn tiles at that moment, and CDP's DOM node count at the
//      next frame;
//   4. prints medians (min–max) and the ratios: admin interactive time / the time Chromium takes to
//      show the /signin form (same server, same browser, the reference), and admin page-asset bytes /
//      the 200 KB (200,000 bytes) budget. No timed assertion: it exits 0 unless something fails.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BINARY, adminToken, launch, rest, startServer } from '../tests/js/browser/harness.mjs';

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  if (i >= 0 && process.argv[i + 1] !== undefined) return process.argv[i + 1];
  const eq = process.argv.find((a) => a.startsWith(`--${name}=`));
  return eq ? eq.slice(name.length + 3) : fallback;
}

const RUNS = Number(arg('runs', 5));
const DEVICES = Number(arg('devices', 500));
const FILES = Number(arg('files', 5000));
const MEDIA = Number(arg('media', 50));
const HEAVY_FILES = Number(arg('heavy', 250));
const BUDGET = 200_000; // bytes, compressed, the issue's "200 KB"
const PAGE_ROWS = 50; // files.jsx shows pages of 50
const CONCURRENCY = 8;
// --web label=DIR,label=DIR (a DIR alone is labelled by its name)
const WEB = arg('web', '');
const VARIANTS = WEB
  ? WEB.split(',').map((s) => {
      const eq = s.indexOf('=');
      const dir = path.resolve(eq > 0 ? s.slice(eq + 1) : s);
      if (!fs.existsSync(path.join(dir, 'dist', 'admin.html'))) throw new Error(`--web: ${dir}/dist/admin.html not found (node web/build.mjs --out ${dir})`);
      return { label: eq > 0 ? s.slice(0, eq) : path.basename(dir), dir };
    })
  : [{ label: process.env.VC_WEB_DIR ? `VC_WEB_DIR ${path.basename(process.env.VC_WEB_DIR)}` : '/admin#/devices/…', dir: null }];

const t0 = Date.now();
const log = (...a) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1)} s]`, ...a);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const ms = (x) => (x == null ? '—' : `${Math.round(x)} ms`);
const kb = (x) => `${(x / 1000).toFixed(1)} KB`;
const spread = (xs, f) => `${f(median(xs))} (${f(Math.min(...xs))}–${f(Math.max(...xs))})`;

// The part the page's own work decides: from the last of the data it draws (the device pages, the
// opened device's first file page) being in, to interactive.
const rendering = (r) => {
  const ends = r.resources.filter((x) => /\/api\/v1\/devices(\?|\/[^/]+\/media\?)/.test(x.name)).map((x) => x.end);
  return ends.length ? r.marks.interactive - Math.max(...ends) : null;
};
// Runs `task(i)` for i in [0, n) with `limit` in flight.
async function pool(n, limit, task) {
  let next = 0;
  const worker = async () => {
    while (next < n) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(limit, n) }, worker));
}

// ---- fixtures: real PNGs from ffmpeg ------------------------------------------------------------
// One ffmpeg process, n outputs: the testsrc2 pattern, each scaled to its own size and hue-shifted.
function makePngs(dir, n) {
  const files = [], graph = [], maps = [];
  graph.push(`[0]split=${n}${Array.from({ length: n }, (_, i) => `[s${i}]`).join('')}`);
  for (let i = 0; i < n; i++) {
    const w = 320 + 16 * ((i * 7) % 61); // 320…1280, a different size for most of them
    const h = Math.round((w * 9) / 16 / 2) * 2;
    graph.push(`[s${i}]scale=${w}:${h},hue=h=${Math.round((i * 360) / n)}[o${i}]`);
    const out = path.join(dir, `pattern-${String(i).padStart(2, '0')}.png`);
    maps.push('-map', `[o${i}]`, '-frames:v', '1', out);
    files.push(out);
  }
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=s=1280x720:r=1',
    '-filter_complex', graph.join(';'), ...maps], { stdio: ['ignore', 'ignore', 'inherit'] });
  return files;
}

// ---- seeding ------------------------------------------------------------------------------------
const deviceId = (i) => `screen-${String(i).padStart(4, '0')}`;

async function seed(server, token) {
  log(`creating ${DEVICES} devices`);
  await pool(DEVICES, CONCURRENCY, (i) =>
    rest(server, 'POST', '/api/v1/devices', { token, body: { device_id: deviceId(i), name: `Screen ${String(i).padStart(4, '0')}` } }),
  );
  const heavy = deviceId(Math.floor(DEVICES / 2)); // somewhere in the middle of the sorted tiles
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vc-bench-web-'));
  try {
    log(`making ${MEDIA} PNGs with ffmpeg and uploading each once to ${heavy}`);
    const pngs = makePngs(dir, MEDIA);
    log(`uploading`);
    const media = [];
    let pngBytes = 0;
    await pool(pngs.length, 4, async (i) => {
      const bytes = fs.readFileSync(pngs[i]);
      pngBytes += bytes.length;
      const form = new FormData();
      form.append('files', new Blob([bytes], { type: 'image/png' }), path.basename(pngs[i]));
      const r = await rest(server, 'POST', `/api/v1/devices/${heavy}/media`, { token, body: form });
      media[i] = r.items[0];
    });
    // Links: the heavy device gets each media under more names until it has HEAVY_FILES files; the
    // other devices get the rest round-robin (media chosen round-robin too).
    const links = [];
    for (let k = 0; links.length < HEAVY_FILES - MEDIA; k++) {
      const m = media[k % MEDIA];
      links.push({ id: m.id, device_id: heavy, name: `copy-${Math.floor(k / MEDIA) + 1}-${m.name}` });
    }
    const others = [...Array(DEVICES).keys()].map(deviceId).filter((d) => d !== heavy);
    for (let k = 0; links.length < FILES - MEDIA; k++) {
      const m = media[k % MEDIA];
      links.push({ id: m.id, device_id: others[k % others.length], name: `f${String(k).padStart(4, '0')}-${m.name}` });
    }
    log(`linking ${links.length} device files (POST /api/v1/media/{id}/devices)`);
    const t = Date.now();
    await pool(links.length, CONCURRENCY, (i) =>
      rest(server, 'POST', `/api/v1/media/${encodeURIComponent(links[i].id)}/devices`, { token, body: { device_id: links[i].device_id, name: links[i].name } }),
    );
    log(`linked in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    // The content pipeline makes a thumbnail of each upload in the background (a file/ready event
    // and a device-list reload in every open panel when one is done): measure once it is idle.
    const t2 = Date.now();
    for (let busy = -1; busy !== 0; ) {
      const items = await deviceFiles(server, token, heavy);
      busy = items.filter((f) => f.status === 'processing').length;
      if (busy && Date.now() - t2 > 600_000) throw new Error(`${busy} files still processing after 10 min`);
      if (busy) await new Promise((r) => setTimeout(r, 1000));
    }
    log(`content pipeline idle after ${((Date.now() - t2) / 1000).toFixed(1)} s more`);
    return { heavy, pngBytes, pngCount: pngs.length };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function deviceFiles(server, token, device) {
  const all = [];
  let c = '';
  do {
    const r = await rest(server, 'GET', `/api/v1/devices/${device}/media?limit=200${c ? `&cursor=${encodeURIComponent(c)}` : ''}`, { token });
    all.push(...r.items);
    c = r.next_cursor ?? '';
  } while (c);
  return all;
}

// Counts what the API says the organisation holds, so the table states what was measured.
async function census(server, token, heavy) {
  let devices = 0, cursor = '';
  do {
    const r = await rest(server, 'GET', `/api/v1/devices?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { token });
    devices += r.items.length;
    cursor = r.next_cursor ?? '';
  } while (cursor);
  const count = async (d) => {
    let n = 0, c = '';
    do {
      const r = await rest(server, 'GET', `/api/v1/devices/${d}/media?limit=200${c ? `&cursor=${encodeURIComponent(c)}` : ''}`, { token });
      n += r.items.length;
      c = r.next_cursor ?? '';
    } while (c);
    return n;
  };
  let files = 0;
  const perDevice = [];
  await pool(DEVICES, CONCURRENCY, async (i) => {
    const n = await count(deviceId(i));
    perDevice[i] = n;
    files += n;
  });
  return { devices, files, heavyFiles: await count(heavy), otherMin: Math.min(...perDevice.filter((_, i) => deviceId(i) !== heavy)), otherMax: Math.max(...perDevice.filter((_, i) => deviceId(i) !== heavy)) };
}

// ---- one measured load --------------------------------------------------------------------------

// Injected before any page script: stamps performance.now() when the page reaches each state.
function pageProbe(want) {
  const marks = { longTasks: [] };
  window.__vcBench = marks;
  try {
    new PerformanceObserver((l) => {
      for (const e of l.getEntries()) marks.longTasks.push([Math.round(e.startTime), Math.round(e.duration)]);
    }).observe({ type: 'longtask', buffered: true });
  } catch {}
  const check = () => {
    const now = performance.now();
    if (want.tiles != null && marks.tiles == null) {
      const tiles = document.querySelectorAll('.tiles .tile');
      if (tiles.length >= want.tiles || (tiles.length && Number(tiles[0].getAttribute('aria-setsize')) >= want.tiles)) marks.tiles = now;
    }
    if (want.rows != null && marks.rows == null && document.querySelectorAll('.files-table tbody tr[data-file]').length >= want.rows) marks.rows = now;
    if (want.selector != null && marks.selector == null && document.querySelector(want.selector)) marks.selector = now;
    const done = (want.tiles == null || marks.tiles != null) && (want.rows == null || marks.rows != null) && (want.selector == null || marks.selector != null);
    if (done && marks.interactive == null) {
      marks.interactive = now;
      marks.elements = document.getElementsByTagName('*').length;
      marks.tilesDrawn = document.querySelectorAll('.tiles .tile').length;
      observer.disconnect();
      // The next frame: rAF runs before it is painted, a task queued from there after.
      requestAnimationFrame(() => setTimeout(() => (marks.frame = performance.now()), 0));
    }
  };
  const observer = new MutationObserver(check);
  observer.observe(document, { childList: true, subtree: true });
}

function classify(url, origin) {
  const u = new URL(url);
  if (u.host !== new URL(origin).host) return 'other'; // ws:// for the socket
  if (u.pathname.startsWith('/socket.io/')) return 'socket';
  // The file list's images: the original (/content) or, since the content pipeline, its thumbnail.
  if (/^\/api\/v1\/(devices\/[^/]+\/media\/[^/]+|media\/[^/]+)\/(content|thumbnail)$/.test(u.pathname)) return 'thumbs';
  if (u.pathname.startsWith('/api/')) return 'api';
  return 'page';
}

// Collects every request of the page's target from CDP Network.
async function watchNetwork(page, origin) {
  const cdp = await page.createCDPSession();
  await cdp.send('Network.enable');
  await cdp.send('Performance.enable');
  const reqs = new Map();
  const get = (id) => {
    if (!reqs.has(id)) reqs.set(id, { id });
    return reqs.get(id);
  };
  cdp.on('Network.requestWillBeSent', (e) => Object.assign(get(e.requestId), { url: e.request.url, type: e.type, started: e.timestamp }));
  cdp.on('Network.requestWillBeSentExtraInfo', (e) => {
    const h = Object.fromEntries(Object.entries(e.headers).map(([k, v]) => [k.toLowerCase(), v]));
    get(e.requestId).acceptEncoding = h['accept-encoding'];
  });
  cdp.on('Network.responseReceived', (e) => {
    const h = Object.fromEntries(Object.entries(e.response.headers).map(([k, v]) => [k.toLowerCase(), v]));
    Object.assign(get(e.requestId), { status: e.response.status, encoding: h['content-encoding'] ?? '', length: Number(h['content-length'] ?? NaN), cached: e.response.fromDiskCache || e.response.fromMemoryCache });
  });
  cdp.on('Network.loadingFinished', (e) => Object.assign(get(e.requestId), { bytes: e.encodedDataLength, finished: true }));
  cdp.on('Network.loadingFailed', (e) => Object.assign(get(e.requestId), { failed: e.errorText }));
  const ws = { frames: 0, bytes: 0, log: [] };
  cdp.on('Network.webSocketCreated', (e) => Object.assign(get(e.requestId), { url: e.url, type: 'WebSocket' }));
  cdp.on('Network.webSocketFrameReceived', (e) => {
    ws.frames++;
    ws.bytes += e.response.payloadData.length;
    ws.log.push({ at: e.timestamp, data: e.response.payloadData.slice(0, 60) });
  });
  return {
    cdp,
    ws,
    reqs,
    clear: () => {
      reqs.clear();
      ws.frames = 0;
      ws.bytes = 0;
      ws.log = [];
    },
    totals() {
      const out = Object.fromEntries(['page', 'api', 'socket', 'thumbs', 'other'].map((k) => [k, { n: 0, bytes: 0, body: 0 }]));
      const list = [];
      for (const r of reqs.values()) {
        if (!r.url || r.url.startsWith('data:')) continue;
        const k = classify(r.url, origin);
        out[k].n++;
        out[k].bytes += r.bytes ?? 0;
        out[k].body += Number.isFinite(r.length) ? r.length : 0; // Content-Length: the body as sent
        list.push({ ...r, kind: k });
      }
      return { ...out, list };
    },
    async metrics() {
      const { metrics } = await cdp.send('Performance.getMetrics');
      return Object.fromEntries(metrics.map((m) => [m.name, m.value]));
    },
  };
}

async function signInInContext(page, server) {
  await page.goto(`${server.url}/healthz`);
  const status = await page.evaluate(async (password) => {
    const r = await fetch('/api/v1/auth/login', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-Requested-With': 'VideoControl' },
      body: JSON.stringify({ username: 'admin', password, session: 'cookie' }),
    });
    return r.status;
  }, server.env.ADMIN_PASSWORD);
  if (status !== 200) throw new Error(`sign-in from the page: HTTP ${status}`);
}

async function measure(browser, server, { url, want, signIn, thumbs }) {
  const context = await browser.createBrowserContext(); // incognito: its own cache and cookies
  try {
    const page = await context.newPage();
    page.setDefaultTimeout(60000);
    const problems = [];
    page.on('pageerror', (e) => problems.push(e.message));
    const net = await watchNetwork(page, server.url);
    if (signIn) await signInInContext(page, server);
    await net.cdp.send('Network.clearBrowserCache');
    net.clear();
    await page.evaluateOnNewDocument(pageProbe, want);
    const before = await net.metrics();
    await page.goto(url, { waitUntil: 'domcontentloaded' });
    await page.waitForFunction(() => window.__vcBench?.frame != null, { polling: 100 });
    const after = await net.metrics();
    // Let the page settle (the socket's snapshot, anything else it asks for first).
    await page.waitForNetworkIdle({ idleTime: 400, timeout: 15000 }).catch(() => {});
    const result = await page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0];
      const fcp = performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null;
      const resources = performance.getEntriesByType('resource').map((r) => ({ name: r.name, start: r.startTime, end: r.responseEnd, ttfb: r.responseStart - r.requestStart }));
      const nt = { requestStart: nav.requestStart, responseStart: nav.responseStart, responseEnd: nav.responseEnd, dcl: nav.domContentLoadedEventEnd, load: nav.loadEventEnd };
      const panel = document.querySelector('.device-panel');
      const panelTop = panel ? Math.round(panel.getBoundingClientRect().top + scrollY) : null;
      return { marks: window.__vcBench, fcp, nav: nt, resources, panelTop, viewport: `${innerWidth}×${innerHeight}` };
    });
    result.net = net.totals();
    result.ws = { ...net.ws };
    // CDP timestamps are seconds on a monotonic clock; the document request's gives the offset.
    const docReq = result.net.list.find((r) => r.type === 'Document');
    result.ws.log = net.ws.log.map((f) => ({ at: (f.at - docReq.started) * 1000 + result.nav.requestStart, data: f.data }));
    result.cpu = Object.fromEntries(['TaskDuration', 'ScriptDuration', 'LayoutDuration', 'RecalcStyleDuration'].map((k) => [k, (after[k] - before[k]) * 1000]));
    result.domNodes = after.Nodes;
    result.problems = problems;
    if (thumbs) {
      // The file list is below the tiles: bring it into view so its lazy thumbnails load.
      const mark = net.reqs.size;
      await page.evaluate(() => document.querySelector('.files-table')?.scrollIntoView());
      await page.waitForNetworkIdle({ idleTime: 500, timeout: 20000 }).catch(() => {});
      const tt = net.totals().thumbs;
      result.thumbs = { n: tt.n, bytes: tt.bytes, afterScroll: net.reqs.size - mark };
    }
    return result;
  } finally {
    await context.close();
  }
}

// ---- main ---------------------------------------------------------------------------------------
// --web: VC_WEB_DIR is a symlink the bench points at one build of the pages at a time.
let webLink = null;
if (WEB) {
  webLink = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'vc-bench-web-dir-')), 'web');
  fs.symlinkSync(VARIANTS[0].dir, webLink);
  process.env.VC_WEB_DIR = webLink; // the harness hands VC_WEB_DIR to the server
}
function use(variant) {
  if (!webLink) return;
  const next = `${webLink}.next`;
  if (fs.existsSync(next)) fs.unlinkSync(next);
  fs.symlinkSync(variant.dir, next);
  fs.renameSync(next, webLink); // atomic: a request sees one build or the other
}

const load0 = os.loadavg();
const server = await startServer({ RATE_LIMIT_PER_MINUTE: '1000000' }); // the setting's maximum (the harness's default too)
let browser;
try {
  const token = await adminToken(server);
  const seeded = await seed(server, token);
  const c = await census(server, token, seeded.heavy);
  log(`organisation: ${c.devices} devices, ${c.files} device files (${seeded.heavy}: ${c.heavyFiles}; others ${c.otherMin}–${c.otherMax}), ${seeded.pngCount} media (PNG, ${kb(seeded.pngBytes)} in all)`);

  browser = await launch();
  const version = await browser.version();
  const adminUrl = `${server.url}/admin#/devices/${seeded.heavy}`;
  const adminOf = Object.fromEntries(VARIANTS.map((v) => [v.label, []]));
  const signin = [];
  const loadAdmin = (v, thumbs) => {
    use(v);
    return measure(browser, server, { url: adminUrl, want: { tiles: c.devices, rows: PAGE_ROWS }, signIn: true, thumbs });
  };
  // Warm-up (not counted): the server's caches and Chromium's own start-up work.
  for (const v of VARIANTS) await loadAdmin(v, false);
  const loads = [];
  for (let i = 0; i < RUNS; i++) {
    // Alternate the pages (and the builds, in the other order each round) so machine noise falls
    // on all alike.
    for (const v of i % 2 ? [...VARIANTS].reverse() : VARIANTS) adminOf[v.label].push(await loadAdmin(v, i === 0));
    signin.push(await measure(browser, server, { url: `${server.url}/signin`, want: { selector: '#username' }, signIn: false }));
    loads.push(os.loadavg()[0]);
    log(`run ${i + 1}/${RUNS}: ${VARIANTS.map((v) => `admin${VARIANTS.length > 1 ? ` ${v.label}` : ''} interactive ${ms(adminOf[v.label].at(-1).marks.interactive)} (data in → interactive ${ms(rendering(adminOf[v.label].at(-1)))}, ${adminOf[v.label].at(-1).marks.elements} elements)`).join(', ')}, /signin form ${ms(signin.at(-1).marks.interactive)}; load ${loads.at(-1).toFixed(2)}`);
  }
  const load1 = os.loadavg();
  const admins = VARIANTS.map((v) => adminOf[v.label]);
  const admin = admins[0];

  const problems = [...admins.flat(), ...signin].flatMap((r) => r.problems);
  const doc = admin[0].net.list.find((r) => r.type === 'Document');
  const pick = (rs, f) => rs.map(f).filter((x) => x != null);
  const encodings = (run, kind) => [...new Set(run.net.list.filter((r) => r.kind === kind && r.status).map((r) => r.encoding || 'identity'))].join(', ');

  console.log(`\nAdmin panel first load (issue 11), ${RUNS} cold runs each, median (min–max)`);
  console.log(`server ${BINARY}; ${version}; ${os.cpus().length} cores shared by the server, Chromium and this script; load average ${load0[0].toFixed(2)} before, ${load1[0].toFixed(2)} after (${Math.min(...loads).toFixed(2)}–${Math.max(...loads).toFixed(2)} after each round); ${new Date().toISOString()}`);
  if (WEB) console.log(`pages: ${VARIANTS.map((v) => `${v.label} = ${v.dir}`).join('; ')} (through VC_WEB_DIR)`);
  console.log(`organisation: ${c.devices} devices, ${c.files} device files; measured page ${adminUrl.replace(server.url, '')} (${c.heavyFiles} files, first page of ${PAGE_ROWS} shown)`);
  console.log(`Chromium sent Accept-Encoding: ${doc?.acceptEncoding ?? '?'}; the server answered the page assets with ${encodings(admin[0], 'page')}\n`);

  const lt = (r) => r.marks.longTasks.filter(([s]) => s < r.marks.interactive).reduce((a, [, d]) => a + d, 0);
  const cpu3 = (rs) => `${ms(median(pick(rs, (r) => r.cpu.ScriptDuration)))} / ${ms(median(pick(rs, (r) => r.cpu.RecalcStyleDuration)))} / ${ms(median(pick(rs, (r) => r.cpu.LayoutDuration)))}`;
  const adminCells = (f) => admins.map(f);
  const rows = [
    ['', ...VARIANTS.map((v) => (VARIANTS.length > 1 ? `/admin#/devices/… (${v.label})` : v.label)), '/signin (reference)'],
    ['first contentful paint', ...adminCells((rs) => spread(pick(rs, (r) => r.fcp), ms)), spread(pick(signin, (r) => r.fcp), ms)],
    [`tile grid of ${c.devices} devices in the DOM`, ...adminCells((rs) => spread(pick(rs, (r) => r.marks.tiles), ms)), '—'],
    [`file list (${PAGE_ROWS} rows) in the DOM`, ...adminCells((rs) => spread(pick(rs, (r) => r.marks.rows), ms)), '—'],
    ['interactive (both / sign-in form)', ...adminCells((rs) => spread(pick(rs, (r) => r.marks.interactive), ms)), spread(pick(signin, (r) => r.marks.interactive), ms)],
    ['  of it after the data was in (last device page or file page → interactive)', ...adminCells((rs) => spread(pick(rs, rendering), ms)), '—'],
    ['next frame after that', ...adminCells((rs) => spread(pick(rs, (r) => r.marks.frame), ms)), spread(pick(signin, (r) => r.marks.frame), ms)],
    ['load event end', ...adminCells((rs) => spread(pick(rs, (r) => r.nav.load), ms)), spread(pick(signin, (r) => r.nav.load), ms)],
    ['main thread busy, navigation → next frame (±0.1 s)', ...adminCells((rs) => spread(pick(rs, (r) => r.cpu.TaskDuration), ms)), spread(pick(signin, (r) => r.cpu.TaskDuration), ms)],
    ['  of it script / style / layout', ...adminCells(cpu3), cpu3(signin)],
    ['long tasks (> 50 ms) before interactive', ...adminCells((rs) => spread(pick(rs, lt), ms)), spread(pick(signin, lt), ms)],
    ['page assets (document, JS, CSS, icon)', ...adminCells((rs) => `${kb(median(pick(rs, (r) => r.net.page.bytes)))} in ${rs[0].net.page.n} requests (bodies ${kb(median(pick(rs, (r) => r.net.page.body)))})`), `${kb(median(pick(signin, (r) => r.net.page.bytes)))} in ${signin[0].net.page.n} requests (bodies ${kb(median(pick(signin, (r) => r.net.page.body)))})`],
    ['API calls (JSON)', ...adminCells((rs) => `${kb(median(pick(rs, (r) => r.net.api.bytes)))} in ${median(pick(rs, (r) => r.net.api.n))} requests (${encodings(rs[0], 'api')})`), `${kb(median(pick(signin, (r) => r.net.api.bytes)))} in ${median(pick(signin, (r) => r.net.api.n))} requests`],
    ['socket.io', ...adminCells((rs) => `${median(pick(rs, (r) => r.net.socket.n))} connection(s), ${median(pick(rs, (r) => r.ws.frames))} frames, ${kb(median(pick(rs, (r) => r.ws.bytes)))} received`), '—'],
    ['thumbnails, file list scrolled into view (run 1)', ...adminCells((rs) => (rs[0].thumbs ? `${kb(rs[0].thumbs.bytes)} in ${rs[0].thumbs.n} requests` : '—')), '—'],
    [`device panel's top (viewport ${admin[0].viewport})`, ...adminCells((rs) => (rs[0].panelTop == null ? '—' : `${rs[0].panelTop} px down the page`)), '—'],
    ['tiles drawn at interactive', ...adminCells((rs) => spread(pick(rs, (r) => r.marks.tilesDrawn), String)), '—'],
    ['elements in the page at interactive', ...adminCells((rs) => spread(pick(rs, (r) => r.marks.elements), String)), spread(pick(signin, (r) => r.marks.elements), String)],
    ['DOM nodes at the next frame (CDP)', ...adminCells((rs) => spread(pick(rs, (r) => r.domNodes), String)), spread(pick(signin, (r) => r.domNodes), String)],
  ];
  const width = rows[0].map((_, j) => Math.max(...rows.map((r) => r[j].length)));
  for (const r of rows) console.log(r.map((cell, j) => cell.padEnd(width[j])).join('  '));

  const signinTti = median(pick(signin, (r) => r.marks.interactive));
  console.log('');
  for (const [k, v] of VARIANTS.entries()) {
    const name = VARIANTS.length > 1 ? ` (${v.label})` : '';
    const adminTti = median(pick(admins[k], (r) => r.marks.interactive));
    const adminBytes = median(pick(admins[k], (r) => r.net.page.bytes));
    console.log(`ratio admin${name} interactive / /signin form shown: ${(adminTti / signinTti).toFixed(1)}`);
    console.log(`ratio admin${name} page-asset bytes / 200 KB budget: ${(adminBytes / BUDGET).toFixed(2)} (${kb(adminBytes)} of ${kb(BUDGET)})`);
    console.log(`issue 11 targets${name} (informational, not asserted): under 200 KB ${adminBytes < BUDGET ? 'yes' : 'NO'}; interactive under 1 s ${adminTti < 1000 ? 'yes' : 'NO'}`);
  }

  for (const [k, v] of VARIANTS.entries()) {
    // Where the median admin run spent its time: its page assets and API calls, from navigation start.
    const rs = admins[k];
    const mid = [...rs].sort((a, b) => a.marks.interactive - b.marks.interactive)[Math.floor(rs.length / 2)];
    console.log(`\nmedian admin run${VARIANTS.length > 1 ? ` (${v.label})` : ''}, requests from navigation start (resource timing; bytes from CDP):`);
    const byUrl = new Map(mid.net.list.map((r) => [r.url, r]));
    const docReq = mid.net.list.find((r) => r.type === 'Document');
    console.log(`  ${ms(mid.nav.requestStart).padStart(7)} → ${ms(mid.nav.responseEnd).padStart(7)}  ${kb(docReq?.bytes ?? 0).padStart(9)} ${(docReq?.encoding ?? '').padEnd(3)} document (first byte ${ms(mid.nav.responseStart)}; DOMContentLoaded ${ms(mid.nav.dcl)})`);
    for (const r of mid.resources.filter((x) => classify(x.name, server.url) !== 'thumbs').sort((a, b) => a.start - b.start)) {
      const n = byUrl.get(r.name);
      console.log(`  ${ms(r.start).padStart(7)} → ${ms(r.end).padStart(7)}  ${(n?.bytes != null ? kb(n.bytes) : '').padStart(9)} ${(n?.encoding ?? '').padEnd(3)} ${r.name.replace(server.url, '')}`);
    }
    for (const f of mid.ws.log) console.log(`  ${ms(f.at).padStart(7)}  socket.io frame received (≈): ${f.data}`);
    console.log(`  tiles ${ms(mid.marks.tiles)}, rows ${ms(mid.marks.rows)}, long tasks [start, ms]: ${JSON.stringify(mid.marks.longTasks)}`);
  }
  if (problems.length) console.log(`\npage errors: ${[...new Set(problems)].join('; ')}`);
} finally {
  if (browser) await browser.close();
  await server.cleanup();
  if (webLink) {
    fs.unlinkSync(webLink); // the link, not the build it points at
    fs.rmdirSync(path.dirname(webLink));
  }
}
log('done');
