// What every browser test shares: a real videocontrol-server on a free 127.0.0.1 port with its own
// temporary DATA_DIR, Debian's Chromium driven by puppeteer-core (headless, loopback only), REST
// helpers, screenshots saved under the build folder, and axe-core checks.
//
//   node tests/js/browser/<name>.test.mjs --binary PATH/videocontrol-server [--screenshots DIR]
//
// Screenshots go to --screenshots, else $VC_SCREENSHOT_DIR, else <binary dir>/../../tests/screenshots.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import puppeteer from 'puppeteer-core';

const require = createRequire(import.meta.url);

export const ADMIN_PASSWORD = 'Browser-admin-pass-1';

function argValue(name) {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
}

export const BINARY = path.resolve(
  argValue('--binary') || process.env.VC_SERVER_BINARY || 'build/apps/server/videocontrol-server',
);
if (!fs.existsSync(BINARY)) {
  console.error(`server binary not found: ${BINARY} (use --binary PATH)`);
  process.exit(2);
}
export const SCREENSHOTS = path.resolve(
  argValue('--screenshots') || process.env.VC_SCREENSHOT_DIR || path.join(path.dirname(BINARY), '../../tests/screenshots'),
);
fs.mkdirSync(SCREENSHOTS, { recursive: true });

export const CHROMIUM = process.env.CHROMIUM || ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => fs.existsSync(p));

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// A server of its own. stop() ends it; start() again serves the same DATA_DIR on the same port.
export async function startServer(extraEnv = {}) {
  const server = { proc: null, log: [], port: await freePort(), dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'vc-browser-')) };
  server.url = `http://127.0.0.1:${server.port}`;
  server.env = {
    PATH: process.env.PATH || '/usr/bin:/bin',
    HOME: server.dataDir,
    HOST: '127.0.0.1',
    PORT: String(server.port),
    DATA_DIR: server.dataDir,
    LOG_LEVEL: 'warn',
    ADMIN_PASSWORD,
    RATE_LIMIT_PER_MINUTE: '1000000',
    // The pages' players connect by device id (2.x-style), all from 127.0.0.1; a test that needs
    // the default device credentials passes DEVICE_CREDENTIALS: undefined.
    DEVICE_CREDENTIALS: 'off',
    PLAYER_REQUESTS_PER_MINUTE: '0',
    DEVICE_AUTH_FAILURES: '0',
    ...extraEnv,
  };
  for (const [k, v] of Object.entries(server.env)) if (v === undefined) delete server.env[k];
  // VC_WEB_DIR: while working on the pages, serve them from a web/build.mjs output (see routes_web.cpp).
  for (const k of ['ASAN_OPTIONS', 'UBSAN_OPTIONS', 'LSAN_OPTIONS', 'TMPDIR', 'LANG', 'VC_WEB_DIR', 'PASSWORD_HASH_OPS', 'PASSWORD_HASH_MEMORY_KIB']) if (process.env[k]) server.env[k] = process.env[k];

  server.start = async () => {
    server.proc = spawn(BINARY, [], { env: server.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (d) => {
      server.log.push(String(d));
      if (server.log.length > 400) server.log.splice(0, 200);
    };
    server.proc.stdout.on('data', keep);
    server.proc.stderr.on('data', keep);
    const deadline = Date.now() + 30000;
    while (Date.now() < deadline) {
      if (server.proc.exitCode !== null) throw new Error(`server exited: ${server.log.join('')}`);
      try {
        const r = await fetch(`${server.url}/healthz`);
        if (r.ok) return;
      } catch {}
      await sleep(100);
    }
    throw new Error(`server did not start: ${server.log.join('')}`);
  };
  server.stop = async () => {
    const p = server.proc;
    if (!p || p.exitCode !== null) return;
    const done = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    const t = setTimeout(() => p.kill('SIGKILL'), 10000);
    await done;
    clearTimeout(t);
  };
  server.cleanup = async () => {
    await server.stop();
    fs.rmSync(server.dataDir, { recursive: true, force: true });
  };
  await server.start();
  return server;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- REST ---------------------------------------------------------------------------------------
export async function rest(server, method, p, { token, body, headers = {} } = {}) {
  const h = { ...headers };
  if (token) h.Authorization = `Bearer ${token}`;
  if (body !== undefined && !(body instanceof FormData)) h['Content-Type'] = 'application/json';
  const r = await fetch(server.url + p, {
    method,
    headers: h,
    body: body === undefined ? undefined : body instanceof FormData ? body : JSON.stringify(body),
  });
  const text = await r.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {}
  if (!r.ok) {
    const e = new Error(`${method} ${p} → ${r.status} ${text}`);
    e.status = r.status;
    throw e;
  }
  return json;
}

export async function adminToken(server) {
  const r = await rest(server, 'POST', '/api/v1/auth/login', { body: { username: 'admin', password: ADMIN_PASSWORD } });
  return r.access_token;
}

export async function createUser(server, token, username, role, password = `Pass-${username}-1234`) {
  await rest(server, 'POST', '/api/v1/users', { token, body: { username, password, role } });
  return password;
}

export async function createDevice(server, token, device_id, name = device_id) {
  return rest(server, 'POST', '/api/v1/devices', { token, body: { device_id, name } });
}

export async function uploadFile(server, token, deviceId, filePath, name = path.basename(filePath)) {
  const form = new FormData();
  form.append('files', new Blob([fs.readFileSync(filePath)]), name);
  return rest(server, 'POST', `/api/v1/devices/${encodeURIComponent(deviceId)}/media`, { token, body: form });
}

// ---- browser ------------------------------------------------------------------------------------
export async function launch() {
  if (!CHROMIUM) throw new Error('Chromium not found: install Debian\'s chromium (./scripts/setup.sh does)');
  return puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox', // CI runs as root
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--autoplay-policy=no-user-gesture-required',
      '--no-first-run',
      '--no-default-browser-check',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--lang=en-US',
    ],
    defaultViewport: { width: 1280, height: 800 },
  });
}

// A new page whose console errors and failed requests are collected (page.problems), so a test can
// assert a page loaded cleanly.
export async function newPage(browser, { lang = 'en-US', viewport } = {}) {
  const page = await browser.newPage();
  page.problems = [];
  await page.setExtraHTTPHeaders({ 'Accept-Language': lang });
  await page.evaluateOnNewDocument((l) => {
    Object.defineProperty(navigator, 'languages', { get: () => [l] });
    Object.defineProperty(navigator, 'language', { get: () => l });
  }, lang);
  if (viewport) await page.setViewport(viewport);
  page.on('console', (m) => {
    if (m.type() === 'error') page.problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => page.problems.push(`pageerror: ${e.message}`));
  page.setDefaultTimeout(15000);
  return page;
}

export async function screenshot(page, name) {
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: false });
  return file;
}

export async function signIn(page, server, username, password) {
  await page.goto(`${server.url}/`, { waitUntil: 'networkidle0' });
  await page.waitForSelector('#username');
  await page.type('#username', username);
  await page.type('#password', password);
  await Promise.all([page.waitForNavigation({ waitUntil: 'networkidle0' }), page.click('button[type=submit]')]);
}

// Waits for a toast reading exactly `text` that no earlier call has matched, and marks it: two saves
// in a row that both say "Assignment created." need two toasts, not the first one still showing.
export async function waitForToast(page, text, timeout = 15000) {
  await page
    .waitForFunction(
      (t) => {
        const e = [...document.querySelectorAll('.toast')].find((x) => x.textContent === t && !x.dataset.seenByTest);
        if (e) e.dataset.seenByTest = '1';
        return Boolean(e);
      },
      { timeout },
      text,
    )
    .catch(async (e) => {
      const shown = await page.$$eval('.toast', (ts) => ts.map((x) => x.textContent)).catch(() => []);
      throw new Error(`no new toast "${text}"; toasts: ${JSON.stringify(shown)} (${e.message})`);
    });
}

// Text content of the first element matching `selector`, once it contains `text` (or fails).
export async function waitForText(page, selector, text, timeout = 15000) {
  await page.waitForFunction(
    (s, t) => [...document.querySelectorAll(s)].some((e) => e.textContent.includes(t)),
    { timeout },
    selector,
    text,
  );
}

// axe-core on the current page; returns the serious and critical violations.
export async function axe(page) {
  const source = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  // The pages' CSP forbids injected scripts; evaluate the source in the page's main world instead.
  await page.evaluate(source);
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
  });
  return result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}
