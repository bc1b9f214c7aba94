// The realtime channel with socket.io-client from npm (issue 5): a client nobody here wrote, over
// WebSocket only and over long-polling with the upgrade, as players and as a control panel; and the
// browser player's own Engine.IO/Socket.IO client and protocol logic (web/src/player) driven without
// a browser.
//
//   npm ci --prefix tests/js && node tests/js/realtime.test.mjs --binary PATH/videocontrol-server
//
// Starts the server itself (temporary DATA_DIR, a free 127.0.0.1 port) and creates the organisation,
// users, devices and media through the REST API. Runs on node's built-in test runner.
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";
import assert from "node:assert/strict";

const here = path.dirname(fileURLToPath(import.meta.url));

let io, WebSocketImpl;
try {
  ({ io } = await import("socket.io-client"));
  // As in a browser, closing a socket that is still connecting is quiet: the ws library would emit
  // an "error" with no listener left (the player's channel drops its handlers before close()), which
  // Node turns into an uncaught exception after the test has ended.
  const WS = (await import("ws")).default;
  WebSocketImpl = class extends WS {
    constructor(...args) {
      super(...args);
      this.on("error", () => {});
    }
  };
} catch (e) {
  console.error(`socket.io-client is not installed (${e.message}).\n` +
                `Install the test dependencies first: npm ci --prefix ${path.relative(process.cwd(), here) || "."}`);
  process.exit(1);
}

function argValue(name) {
  const i = process.argv.indexOf(name);
  if (i >= 0 && process.argv[i + 1]) return process.argv[i + 1];
  const eq = process.argv.find((a) => a.startsWith(name + "="));
  return eq ? eq.slice(name.length + 1) : undefined;
}

const BINARY = path.resolve(argValue("--binary") || process.env.VC_SERVER_BINARY ||
                            path.join(here, "..", "..", "build", "apps", "server", "videocontrol-server"));
if (!fs.existsSync(BINARY)) {
  console.error(`server binary not found: ${BINARY} (use --binary PATH)`);
  process.exit(1);
}

const ADMIN_PASSWORD = "Js-Test-Admin-Pw-1";
const USER_PASSWORD = "user-Password-42";
const WAIT = 5000;

// ---- the server ----------------------------------------------------------------------------------

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const server = { proc: null, dataDir: null, port: 0, log: [], url: "" };

async function startServer() {
  server.dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "vc-js-"));
  server.port = await freePort();
  server.url = `http://127.0.0.1:${server.port}`;
  const env = {
    PATH: process.env.PATH || "/usr/bin:/bin", HOME: server.dataDir, HOST: "127.0.0.1", PORT: String(server.port),
    DATA_DIR: server.dataDir, LOG_LEVEL: "warn", ADMIN_PASSWORD, RATE_LIMIT_PER_MINUTE: "1000000",
    LOGIN_ATTEMPTS: "1000000", SHUTDOWN_TIMEOUT_MS: "2000",
    // 2.x-style players (id only), all from 127.0.0.1.
    DEVICE_CREDENTIALS: "off", PLAYER_REQUESTS_PER_MINUTE: "0", DEVICE_AUTH_FAILURES: "0",
  };
  for (const k of ["ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "TMPDIR", "LANG", "PASSWORD_HASH_OPS", "PASSWORD_HASH_MEMORY_KIB"]) if (process.env[k]) env[k] = process.env[k];
  // With VC_TEST_POSTGRES_URL (…/postgres of a test server) the instance gets its own database.
  const pg = process.env.VC_TEST_POSTGRES_URL;
  if (pg) {
    const db = `vcjs_${process.pid}_${server.port}`;
    execFileSync("psql", [pg, "-qAtc", `CREATE DATABASE ${db}`], { stdio: "ignore", timeout: 60000 });
    env.DATABASE_URL = pg.slice(0, pg.lastIndexOf("/") + 1) + db;
  }
  server.proc = spawn(BINARY, [], { cwd: server.dataDir, env, stdio: ["ignore", "pipe", "pipe"] });
  for (const s of [server.proc.stdout, server.proc.stderr]) s.on("data", (d) => server.log.push(d.toString()));
  const deadline = Date.now() + 30000;
  while (Date.now() < deadline) {
    if (server.proc.exitCode !== null) throw new Error(`server exited early:\n${server.log.join("")}`);
    try {
      if ((await fetch(`${server.url}/healthz`)).ok) return;
    } catch { /* not yet */ }
    await sleep(100);
  }
  throw new Error(`server not ready:\n${server.log.join("")}`);
}

async function stopServer() {
  if (server.proc && server.proc.exitCode === null) {
    const exited = new Promise((r) => server.proc.once("exit", r));
    server.proc.kill("SIGTERM");
    const t = setTimeout(() => server.proc.kill("SIGKILL"), 15000);
    await exited;
    clearTimeout(t);
  }
  if (server.dataDir) fs.rmSync(server.dataDir, { recursive: true, force: true });
}

async function api(method, url, { token, body, headers } = {}) {
  const h = { ...(headers || {}) };
  if (token) h.Authorization = `Bearer ${token}`;
  let payload = body;
  if (body !== undefined && !(body instanceof FormData) && typeof body !== "string") {
    payload = JSON.stringify(body);
    h["Content-Type"] = "application/json";
  }
  const r = await fetch(server.url + url, { method, headers: h, body: payload });
  const text = await r.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: r.status, json, text, headers: r.headers };
}

async function expectStatus(promise, status) {
  const r = await promise;
  assert.equal(r.status, status, `${status} expected, got ${r.status}: ${r.text}`);
  return r.json;
}

async function login(username, password = USER_PASSWORD) {
  return (await expectStatus(api("POST", "/api/v1/auth/login", { body: { username, password } }), 200)).access_token;
}

// ---- the world -----------------------------------------------------------------------------------

const suffix = Math.random().toString(36).slice(2, 8);
const world = { org: null, speaker: "", viewer: "", operator: "", devices: [], files: {} };

const PNG = Buffer.concat([Buffer.from("\x89PNG\r\n\x1a\n", "latin1"), Buffer.alloc(600, 7)]);
const MP4 = Buffer.concat([Buffer.from("\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom", "latin1"), Buffer.alloc(4000, 9)]);

async function buildWorld() {
  const admin = await login("admin", ADMIN_PASSWORD);
  world.org = await expectStatus(api("POST", "/api/v1/organizations",
    { token: admin, body: { name: "JS", slug: `js-${suffix}`, plan: "PRO" } }), 201);
  for (const role of ["speaker", "viewer", "operator"]) {
    const username = `js-${role}-${suffix}`;
    await expectStatus(api("POST", "/api/v1/users", { token: admin, body: {
      username, password: USER_PASSWORD, role, organization_id: world.org.id } }), 201);
    world[role] = await login(username);
  }
  for (let i = 0; i < 4; i++) {
    const device_id = `js-${suffix}-${i}`;
    await expectStatus(api("POST", "/api/v1/devices", { token: world.operator, body: { device_id } }), 201);
    world.devices.push(device_id);
  }
  for (const device of world.devices.slice(0, 3)) {
    const form = new FormData();
    form.append("files", new Blob([PNG]), "poster.png");
    form.append("files", new Blob([MP4]), "intro.mp4");
    const up = await expectStatus(api("POST", `/api/v1/devices/${device}/media`, { token: world.operator, body: form }), 201);
    world.files[device] = up.items.map((f) => f.name).sort();
  }
}

// ---- clients -------------------------------------------------------------------------------------

const sockets = [];

// A socket.io-client socket whose events are recorded, so a test can wait for one after the fact.
function connect(opts = {}) {
  const socket = io(server.url, { reconnection: false, forceNew: true, timeout: WAIT, ...opts });
  socket.events = [];
  socket.waiters = [];
  socket.onAny((name, ...args) => {
    socket.events.push({ name, args });
    for (const w of [...socket.waiters]) w();
  });
  sockets.push(socket);
  return socket;
}

function waitFor(socket, name, pred = () => true, from = 0, timeout = WAIT) {
  return new Promise((resolve, reject) => {
    const check = () => {
      const hit = socket.events.slice(from).find((e) => e.name === name && pred(...e.args));
      if (!hit) return false;
      done();
      resolve(hit.args);
      return true;
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`no ${name} within ${timeout} ms; got ${JSON.stringify(socket.events.slice(from))}`));
    }, timeout);
    const done = () => {
      clearTimeout(timer);
      socket.waiters = socket.waiters.filter((w) => w !== check);
    };
    socket.waiters.push(check);
    check();
  });
}

function connected(socket) {
  if (socket.connected) return Promise.resolve();
  return new Promise((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("connect_error", (e) => reject(new Error(`connect_error: ${e.message}`)));
  });
}

async function player(deviceId, opts = {}) {
  const s = connect(opts);
  await connected(s);
  const mark = s.events.length;
  s.emit("player/register", { device_id: deviceId, device_type: "browser", platform: "node",
                              capabilities: { video: true, audio: true, images: true } });
  await waitFor(s, "player/registered", () => true, mark);
  return s;
}

async function control(token = world.speaker) {
  const s = connect({ auth: { token }, transports: ["websocket"] });
  await connected(s);
  await waitFor(s, "players/onlineSnapshot");
  return s;
}

before(async () => {
  await startServer();
  await buildWorld();
});

after(async () => {
  for (const s of sockets) s.disconnect();
  await stopServer();
});

// ---- tests ---------------------------------------------------------------------------------------

test("handshake over WebSocket only", async () => {
  const s = connect({ transports: ["websocket"] });
  await connected(s);
  assert.equal(s.io.engine.transport.name, "websocket");
  assert.ok(s.id, "a Socket.IO session id");
});

test("handshake over long-polling, then the upgrade to WebSocket", async () => {
  const s = connect();
  await connected(s);
  if (s.io.engine.transport.name !== "websocket") {
    await new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error("no upgrade")), WAIT);
      s.io.engine.once("upgrade", () => { clearTimeout(t); resolve(); });
    });
  }
  assert.equal(s.io.engine.transport.name, "websocket");
  // Still one working session after the switch.
  const mark = s.events.length;
  s.emit("player/ping");
  await waitFor(s, "player/pong", () => true, mark);
});

test("register sends player/state, then player/registered", async () => {
  const device = world.devices[0];
  const s = connect({ transports: ["websocket"] });
  await connected(s);
  s.emit("player/register", { device_id: device, deviceType: "tv", model: "M", manufacturer: "ACME" });
  const [reg] = await waitFor(s, "player/registered");
  assert.equal(reg.device_id, device);
  assert.equal(typeof reg.timestamp, "number");
  const names = s.events.map((e) => e.name);
  assert.ok(names.indexOf("player/state") >= 0 && names.indexOf("player/state") < names.indexOf("player/registered"),
            `state before registered: ${names}`);
  assert.deepEqual(s.events[names.indexOf("player/state")].args[0], reg.current);
  s.disconnect();
});

test("an unknown device is rejected", async () => {
  const s = connect({ transports: ["websocket"] });
  await connected(s);
  s.emit("player/register", { device_id: `nobody-${suffix}` });
  const [reject] = await waitFor(s, "player/reject");
  assert.ok(reject.reason);
  assert.ok(!s.events.some((e) => e.name === "player/registered"));
});

test("a bad token is refused with connect_error", async () => {
  const s = connect({ auth: { token: "garbage" }, transports: ["websocket"] });
  await assert.rejects(connected(s), /connect_error/);
});

test("control/play with an ack reaches players on WebSocket and on upgraded polling", async () => {
  const [d0, d1] = world.devices;
  const wsOnly = await player(d0, { transports: ["websocket"] });
  const upgraded = await player(d1);
  const c = await control();
  for (const [p, device, file, type] of [[wsOnly, d0, "intro.mp4", "video"], [upgraded, d1, "poster.png", "image"]]) {
    const mark = p.events.length;
    const ack = await c.timeout(WAIT).emitWithAck("control/play", { device_id: device, file });
    assert.deepEqual(ack, { ok: true, state: { type, file, state: "playing" } });
    const [play] = await waitFor(p, "player/play", () => true, mark);
    assert.deepEqual(play, { type, file, state: "playing" });
  }
  // pause/stop carry no payload; errors come back in the ack.
  let mark = wsOnly.events.length;
  assert.equal((await c.timeout(WAIT).emitWithAck("control/pause", { device_id: d0 })).state.state, "paused");
  assert.deepEqual(await waitFor(wsOnly, "player/pause", () => true, mark), []);
  mark = wsOnly.events.length;
  assert.equal((await c.timeout(WAIT).emitWithAck("control/play", { device_id: d0 })).state.state, "playing");
  await waitFor(wsOnly, "player/resume", () => true, mark);
  const bad = await c.timeout(WAIT).emitWithAck("control/play", { device_id: d0, file: "missing.mp4" });
  assert.equal(bad.ok, false);
  assert.equal(typeof bad.error, "string");
  // A viewer's control socket may not control.
  const v = await control(world.viewer);
  const refused = await v.timeout(WAIT).emitWithAck("control/stop", { device_id: d0 });
  assert.equal(refused.ok, false);
  for (const s of [wsOnly, upgraded, c, v]) s.disconnect();
});

test("onlineSnapshot, player/online and player/offline", async () => {
  const device = world.devices[2];
  const c = await control();
  const [snapshot] = await waitFor(c, "players/onlineSnapshot");
  assert.ok(Array.isArray(snapshot));
  assert.ok(!snapshot.includes(device));
  const mark = c.events.length;
  const p = await player(device, { transports: ["websocket"] });
  assert.deepEqual(await waitFor(c, "player/online", (a) => a.device_id === device, mark), [{ device_id: device }]);
  const late = await control();
  assert.ok((await waitFor(late, "players/onlineSnapshot"))[0].includes(device));
  p.disconnect();
  assert.deepEqual(await waitFor(c, "player/offline", (a) => a.device_id === device, mark), [{ device_id: device }]);
  // Players never see these control-plane events.
  assert.ok(!p.events.some((e) => ["player/online", "player/offline", "players/onlineSnapshot"].includes(e.name)));
  c.disconnect();
  late.disconnect();
});

// ---- the browser player's protocol side (web/src/player), without a browser -------------------

// The page's modules need no DOM: the player takes its view, WebSocket and fetch (the Chromium test,
// tests/js/browser/player.test.mjs, drives the page itself).
const { Player } = await import("../../web/src/player/player.js");
const { parsePacket } = await import("../../web/src/player/channel.js");

// Records what the player asks its view to show.
class FakeView {
  constructor() { this.shown = null; this.paused = false; this.restarts = 0; this.statusKey = ""; }
  on(cb) { this.cb = cb; }
  show(item) { this.shown = item; this.paused = !!item.paused; }
  idle(key) { this.shown = { role: "idle", key }; }
  pause() { this.paused = true; }
  resume() { this.paused = false; }
  restart() { this.restarts++; this.paused = false; }
  status(key) { this.statusKey = key; }
}

function kioskPlayer(deviceId, options = {}) {
  const view = new FakeView();
  const player = new Player({
    deviceId, view, fetch: (u, o) => fetch(new URL(u, server.url), o),
    wsUrl: `ws://127.0.0.1:${server.port}/socket.io/?EIO=4&transport=websocket`, WebSocket: WebSocketImpl,
    ...options,
  });
  return { player, view };
}

async function until(what, cond, timeout = WAIT) {
  const deadline = Date.now() + timeout;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

test("the browser player registers, plays, pauses, stops to the placeholder, reports and reconnects by itself", async () => {
  assert.deepEqual(parsePacket('2["player/pdfPage",3]').data, ["player/pdfPage", 3]);
  assert.equal(parsePacket('312["x"]').id, 12);

  const device = world.devices[1];
  // The placeholder is an image: shown while idle.
  const files = await expectStatus(api("GET", `/api/v1/devices/${device}/media`, { token: world.operator }), 200);
  const poster = files.items.find((f) => f.name === "poster.png");
  await expectStatus(api("PUT", `/api/v1/devices/${device}/placeholder`,
                         { token: world.operator, body: { media_id: poster.id } }), 200);

  const { player, view } = kioskPlayer(device, { channel: { baseMs: 400, maxMs: 400 } }); // a reconnect 0.2–0.4 s after a drop
  const c = await control();
  try {
    await c.timeout(WAIT).emitWithAck("control/stop", { device_id: device }); // whatever earlier tests left
    let mark = c.events.length;
    player.start();
    await until("registration", () => player.registered);
    await waitFor(c, "player/online", (a) => a.device_id === device, mark);
    await until("the placeholder", () => view.shown?.role === "placeholder" && view.shown.type === "image");
    assert.equal(view.shown.url, `/api/files/resolve/${device}/poster.png`);
    assert.ok(view.shown.loop, "the placeholder loops");
    assert.equal((await fetch(server.url + view.shown.url)).status, 200, "the placeholder URL serves the bytes");

    assert.ok((await c.timeout(WAIT).emitWithAck("control/play", { device_id: device, file: "intro.mp4" })).ok);
    await until("the video", () => view.shown?.role === "content" && view.shown.type === "video" && !view.paused);
    const video = view.shown;
    assert.match(video.url, /\/api\/files\/resolve\/.*\/intro\.mp4$/);
    assert.equal(video.loop, false, "content plays once, then the placeholder");
    assert.equal((await fetch(server.url + video.url, { headers: { Range: "bytes=0-3" } })).status, 206);

    assert.ok((await c.timeout(WAIT).emitWithAck("control/pause", { device_id: device })).ok);
    await until("pause", () => view.paused);
    assert.ok((await c.timeout(WAIT).emitWithAck("control/play", { device_id: device })).ok);
    await until("resume", () => !view.paused);
    assert.ok((await c.timeout(WAIT).emitWithAck("control/restart", { device_id: device })).ok);
    await until("restart", () => view.restarts === 1);

    // What the page's view reports goes to the panels as player/status {device_id, …}.
    mark = c.events.length;
    view.cb.playing(video);
    const [playing] = await waitFor(c, "player/status", (a) => a.device_id === device, mark);
    assert.equal(playing.state, "playing");
    assert.equal(playing.file, "intro.mp4");
    mark = c.events.length;
    view.cb.ended(video, 4.25);
    const [ended] = await waitFor(c, "player/status", (a) => a.state === "ended", mark);
    assert.deepEqual({ ...ended, at: 0 }, { device_id: device, state: "ended", file: "intro.mp4", type: "video", position: 4.25, at: 0 });
    await until("the placeholder after the end", () => view.shown?.role === "placeholder");

    assert.ok((await c.timeout(WAIT).emitWithAck("control/play", { device_id: device, file: "poster.png" })).ok);
    await until("the image", () => view.shown?.role === "content" && view.shown.type === "image");
    assert.ok((await c.timeout(WAIT).emitWithAck("control/stop", { device_id: device })).ok);
    await until("the placeholder again", () => player.current === null && view.shown?.role === "placeholder");

    // Playing a video, the connection drops: the page reconnects, registers and resumes the state.
    assert.ok((await c.timeout(WAIT).emitWithAck("control/play", { device_id: device, file: "intro.mp4" })).ok);
    await until("the video", () => view.shown?.type === "video");
    const shownBefore = view.shown;
    mark = c.events.length;
    player.channel.ws.terminate();
    await waitFor(c, "player/offline", (a) => a.device_id === device, mark);
    await waitFor(c, "player/online", (a) => a.device_id === device, mark);
    await until("registration after the reconnect", () => player.registered);
    assert.ok(player.events.some(([n, a]) => n === "player/state" && a.file === "intro.mp4"));
    assert.equal(view.shown, shownBefore, "the same video keeps playing: not reloaded by the reconnect");
  } finally {
    player.stop();
    c.disconnect();
  }
});

test("the browser player's channel: a stuck handshake and a silent server are dropped by the watchdog; retries go on", async () => {
  const { Channel } = await import("../../web/src/player/channel.js");
  const { WebSocketServer } = await import("ws");
  // A server that accepts WebSockets and then says nothing (the first time not even the open packet):
  // the connection looks alive to the browser, as on a dead network path.
  const wss = new WebSocketServer({ port: 0, host: "127.0.0.1" });
  await new Promise((r) => wss.once("listening", r));
  const opened = [];
  wss.on("connection", (ws) => {
    opened.push(Date.now());
    if (opened.length === 1) return; // a handshake that never finishes
    ws.send('0{"sid":"s","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}');
    ws.on("message", (m) => { if (String(m) === "40") ws.send('40{"sid":"t"}'); }); // then silence
  });
  let connects = 0;
  const downs = [];
  const channel = new Channel({
    url: `ws://127.0.0.1:${wss.address().port}/socket.io/?EIO=4&transport=websocket`, WebSocket: WebSocketImpl,
    silenceMs: 400, handshakeMs: 300, baseMs: 50, maxMs: 200,
    handlers: { onConnect: () => connects++, onDown: (ms) => downs.push(ms) },
  });
  try {
    channel.start();
    await until("four connections", () => opened.length >= 4, 10000);
    assert.ok(connects >= 2, `connected ${connects} times`);
    assert.ok(downs.length >= 3 && downs.every((d) => d <= 200), `back-off within the cap: ${downs}`);
  } finally {
    channel.stop();
    wss.close();
  }
});

test("the browser player backs off when its device is unknown", async () => {
  const { player, view } = kioskPlayer(`nobody-${suffix}`, { channel: { baseMs: 100, maxMs: 60000 } });
  try {
    player.start();
    await until("the rejection", () => player.events.some(([n]) => n === "player/reject"));
    await until("the retry timer", () => player.channel.retryTimer !== null);
    assert.ok(player.channel.retryAt - Date.now() > 20000, "a refused player retries slowly");
    assert.equal(view.statusKey, "player.unknown_device");
  } finally {
    player.stop();
  }
});
