// Realtime load benchmark (issue 5): N players on one server instance over WebSocket, with
// socket.io-client from npm (tests/js/node_modules). Prints:
//   - connections held and the server's RSS per connection (VmRSS before/after, idle);
//   - control → player latency p50/p99 at a steady command rate while the N players are connected,
//     next to the player/ping → player/pong round trip measured in the same run (the reference: the
//     same transport and hub without a database write);
//   - the time until one command to each of the N devices has arrived at every player.
//
//   node bench/realtime_load.mjs --binary build/apps/server/videocontrol-server [--players 2000]
//        [--rate 100] [--seconds 10] [--fanout-controls 1] [--concurrency 200]
//
// bench/realtime_load.sh wraps it (ulimit -n, npm ci). The control socket and the players run in this
// one process, so a latency is "emit → event handler" on one clock; it includes this process's own
// event-loop delay, which makes the figures an upper bound.
import { spawn } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(path.join(repo, "tests", "js", "package.json"));
let io;
try {
  ({ io } = require("socket.io-client"));
} catch (e) {
  console.error(`socket.io-client is not installed: npm ci --prefix ${path.join(repo, "tests", "js")} (${e.message})`);
  process.exit(1);
}

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  if (i >= 0 && process.argv[i + 1] !== undefined) return process.argv[i + 1];
  const eq = process.argv.find((a) => a.startsWith(`--${name}=`));
  return eq ? eq.slice(name.length + 3) : fallback;
}

const BINARY = path.resolve(arg("binary", path.join(repo, "build", "apps", "server", "videocontrol-server")));
const N = Number(arg("players", 2000));
const RATE = Number(arg("rate", 100));
const SECONDS = Number(arg("seconds", 10));
const FANOUT_CONTROLS = Number(arg("fanout-controls", 1));
const CONCURRENCY = Number(arg("concurrency", 200));
const ADMIN_PASSWORD = "Bench-Admin-Pw-1";
const PASSWORD = "bench-Password-42";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (...a) => console.log(...a);

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

function rssKiB(pid) {
  const m = fs.readFileSync(`/proc/${pid}/status`, "utf8").match(/^VmRSS:\s+(\d+) kB/m);
  return m ? Number(m[1]) : NaN;
}

function percentile(sorted, p) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const fmt = (ms) => `${ms.toFixed(2)} ms`;

// ---- server --------------------------------------------------------------------------------------

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "vc-bench-rt-"));
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const serverLog = [];
const server = spawn(BINARY, [], {
  cwd: dataDir,
  env: { PATH: process.env.PATH, HOME: dataDir, HOST: "127.0.0.1", PORT: String(port), DATA_DIR: dataDir,
         LOG_LEVEL: "warn", ADMIN_PASSWORD, RATE_LIMIT_PER_MINUTE: "1000000", LOGIN_ATTEMPTS: "1000000",
         SHUTDOWN_TIMEOUT_MS: "2000" },
  stdio: ["ignore", "pipe", "pipe"],
});
for (const s of [server.stdout, server.stderr]) s.on("data", (d) => { serverLog.push(d.toString()); if (serverLog.length > 200) serverLog.shift(); });
let cleaning = false;
async function cleanup(code) {
  if (cleaning) return;
  cleaning = true;
  if (server.exitCode === null) {
    server.kill("SIGTERM");
    await Promise.race([new Promise((r) => server.once("exit", r)), sleep(5000)]);
    if (server.exitCode === null) server.kill("SIGKILL");
  }
  fs.rmSync(dataDir, { recursive: true, force: true });
  process.exit(code);
}
process.on("SIGINT", () => cleanup(130));
server.on("exit", (code) => {
  if (!cleaning) {
    console.error(`server exited (${code}):\n${serverLog.join("")}`);
    cleanup(1);
  }
});

for (let i = 0; ; i++) {
  try {
    if ((await fetch(`${base}/healthz`)).ok) break;
  } catch { /* starting */ }
  if (i > 300) throw new Error("server did not start");
  await sleep(100);
}

async function api(method, url, body, token) {
  const headers = { "Content-Type": "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  const r = await fetch(base + url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  if (r.status >= 300) throw new Error(`${method} ${url}: ${r.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

async function pool(items, width, fn) {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

// ---- world: one organisation (no device limit), an operator and a speaker, N devices -------------

const admin = (await api("POST", "/api/v1/auth/login", { username: "admin", password: ADMIN_PASSWORD })).access_token;
const org = await api("POST", "/api/v1/organizations", { name: "Bench", slug: "bench-rt", plan: "ENTERPRISE" }, admin);
for (const role of ["operator", "speaker"])
  await api("POST", "/api/v1/users", { username: `bench-${role}`, password: PASSWORD, role, organization_id: org.id }, admin);
const operator = (await api("POST", "/api/v1/auth/login", { username: "bench-operator", password: PASSWORD })).access_token;
const speaker = (await api("POST", "/api/v1/auth/login", { username: "bench-speaker", password: PASSWORD })).access_token;

const devices = Array.from({ length: N }, (_, i) => `bench-${String(i).padStart(6, "0")}`);
let t0 = performance.now();
await pool(devices, 8, (device_id) => api("POST", "/api/v1/devices", { device_id }, operator));
log(`devices: ${N} created over REST in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

// ---- N players ------------------------------------------------------------------------------------

await sleep(2000);
const rssBefore = rssKiB(server.pid);

const players = new Map();  // device → socket
const pending = new Map();  // device → emit time of the command in flight
const latencies = [];
let fanoutLeft = 0, fanoutDone = null;

function onCommandArrived(device) {
  const sent = pending.get(device);
  if (sent === undefined) return;
  pending.delete(device);
  if (fanoutDone) {
    if (--fanoutLeft === 0) fanoutDone();
  } else {
    latencies.push(performance.now() - sent);
  }
}

function openPlayer(device) {
  return new Promise((resolve, reject) => {
    const s = io(base, { transports: ["websocket"], reconnection: false, forceNew: true, timeout: 60000 });
    const fail = (e) => reject(new Error(`${device}: ${e && e.message ? e.message : e}`));
    s.once("connect_error", fail);
    s.once("connect", () => s.emit("player/register", { device_id: device, device_type: "bench", platform: "node" }));
    s.once("player/registered", () => {
      s.off("connect_error", fail);
      players.set(device, s);
      resolve();
    });
    s.once("player/reject", (r) => fail(JSON.stringify(r)));
    s.on("player/stop", () => onCommandArrived(device));
  });
}

t0 = performance.now();
await pool(devices, CONCURRENCY, openPlayer);
const connectSeconds = (performance.now() - t0) / 1000;
log(`players: ${players.size} connected over WebSocket and registered in ${connectSeconds.toFixed(1)} s`);

// Players ping every 15 s as deployed players do (the server forgets players silent for 30 s),
// spread over the interval.
let pingIndex = 0;
const list = [...players.values()];
const pinger = setInterval(() => {
  const batch = Math.ceil(list.length / 150);  // every 100 ms → each player once per 15 s
  for (let i = 0; i < batch; i++) list[(pingIndex++) % list.length].emit("player/ping");
}, 100);

await sleep(5000);  // idle: registration bursts over, allocator settled
const rssAfter = rssKiB(server.pid);
const metrics = await (await fetch(`${base}/metrics`)).text();
const held = Number((metrics.match(/^videocontrol_realtime_players (\d+)/m) || [])[1]);
const perConn = ((rssAfter - rssBefore) * 1024) / players.size;
log(`server holds ${held} player connections; RSS ${(rssBefore / 1024).toFixed(1)} MiB → ${(rssAfter / 1024).toFixed(1)} MiB` +
    ` = ${(perConn / 1024).toFixed(2)} KiB per idle connection (target < 16 KiB)`);

// ---- reference: player/ping → player/pong round trips, 100/s -------------------------------------

const rtts = [];
for (let i = 0; i < RATE * 3; i++) {
  const s = list[Math.floor(Math.random() * list.length)];
  const t = performance.now();
  s.once("player/pong", () => rtts.push(performance.now() - t));
  s.emit("player/ping");
  await sleep(1000 / RATE);
}
await sleep(500);
rtts.sort((a, b) => a - b);

// ---- control → player latency at RATE commands/s for SECONDS -----------------------------------------

function openControl() {
  return new Promise((resolve, reject) => {
    const c = io(base, { transports: ["websocket"], reconnection: false, forceNew: true, auth: { token: speaker } });
    c.once("connect", () => resolve(c));
    c.once("connect_error", reject);
  });
}
const control = await openControl();
let acksFailed = 0;
const total = RATE * SECONDS;
t0 = performance.now();
for (let i = 0; i < total; i++) {
  // A device without a command in flight, so each arrival matches one emit.
  let device;
  do device = devices[Math.floor(Math.random() * devices.length)]; while (pending.has(device));
  pending.set(device, performance.now());
  control.emit("control/stop", { device_id: device }, (ack) => { if (!ack || !ack.ok) acksFailed++; });
  const due = t0 + ((i + 1) * 1000) / RATE;
  const wait = due - performance.now();
  if (wait > 0) await sleep(wait);
}
const sendSeconds = (performance.now() - t0) / 1000;
for (let i = 0; i < 100 && pending.size; i++) await sleep(50);
const lost = pending.size;
pending.clear();
latencies.sort((a, b) => a - b);

// ---- one command to every device: time until all have arrived ----------------------------------------

const controls = [control];
while (controls.length < FANOUT_CONTROLS) controls.push(await openControl());
await sleep(500);
fanoutLeft = devices.length;
const arrived = new Promise((r) => { fanoutDone = r; });
t0 = performance.now();
devices.forEach((device, i) => {
  pending.set(device, t0);
  controls[i % controls.length].emit("control/stop", { device_id: device }, (ack) => { if (!ack || !ack.ok) acksFailed++; });
});
const timeout = sleep(Math.max(60000, N * 20)).then(() => "timeout");
const outcome = await Promise.race([arrived.then(() => "ok"), timeout]);
const fanoutMs = performance.now() - t0;

clearInterval(pinger);
log("");
log(`reference: player/ping → player/pong round trip p50 ${fmt(percentile(rtts, 50))}, p99 ${fmt(percentile(rtts, 99))} (${rtts.length} samples)`);
log(`control → player latency at ${RATE}/s for ${SECONDS} s (${(total / sendSeconds).toFixed(0)}/s achieved, ${latencies.length} arrived, ${lost} lost, ${acksFailed} failed acks):`);
log(`  p50 ${fmt(percentile(latencies, 50))}, p99 ${fmt(percentile(latencies, 99))}, max ${fmt(latencies[latencies.length - 1] || NaN)}` +
    `  (p99 / ping p99 = ${(percentile(latencies, 99) / percentile(rtts, 99)).toFixed(1)}x; target p99 < 20 ms)`);
log(outcome === "ok"
  ? `one command to each of ${N} devices (${FANOUT_CONTROLS} control socket${FANOUT_CONTROLS > 1 ? "s" : ""}): all arrived after ${(fanoutMs / 1000).toFixed(2)} s (${(N / (fanoutMs / 1000)).toFixed(0)} commands/s)`
  : `one command to each of ${N} devices: ${fanoutLeft} had not arrived after ${(fanoutMs / 1000).toFixed(1)} s`);
log(`summary: players=${players.size} rss_per_conn_kib=${(perConn / 1024).toFixed(2)} p50_ms=${percentile(latencies, 50).toFixed(2)} ` +
    `p99_ms=${percentile(latencies, 99).toFixed(2)} fanout_s=${(fanoutMs / 1000).toFixed(2)} ping_p99_ms=${percentile(rtts, 99).toFixed(2)}`);

// The server goes first: N disconnects would only record N presence changes nobody measures.
await cleanup(outcome === "ok" && lost === 0 ? 0 : 1);
