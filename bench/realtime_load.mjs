// Realtime load benchmark (issue 5): N players on one server instance over WebSocket, with
// socket.io-client from npm (tests/js/node_modules). Prints:
//   - connections held and the server's RSS per connection (VmRSS before/after, idle);
//   - control → player latency p50/p99 at a steady command rate while the N players are connected,
//     next to the player/ping → player/pong round trip measured in the same run (the reference: the
//     same transport and hub without a database write);
//   - the time until one command to each of the N devices has arrived at every player.
//
//   node bench/realtime_load.mjs --binary build/apps/server/videocontrol-server [--players 2000]
//        [--rate 100] [--seconds 10] [--fanout-controls 1] [--concurrency 200] [--player-workers 2]
//
// bench/realtime_load.sh wraps it (ulimit -n, npm ci).
//
// Thread layout. The load client must not be the bottleneck of what it measures: with 10,000
// socket.io-client sockets in one event loop (their heartbeats and pings, the GC of a ~300 MB heap) the
// loop itself delays the player/stop handlers by several ms, which used to be most of the measured p99.
// So the players live in W worker threads (node:worker_threads, --player-workers W, default 2; bench/
// realtime_load_players.mjs), each owning every W-th device with its own event loop and heap; a worker
// opens its players (its share of --concurrency handshakes in flight), pings them every 15 s, samples
// the ping → pong reference on them, and stamps each player/stop arrival in the handler. The main thread
// keeps the server (start/stop), the REST setup, the control socket(s), the command schedule, the
// pending-device bookkeeping (a device never has two commands in flight), statistics and all printing.
// --player-workers 0 runs the players in the main thread as before (same code, direct calls).
//
// Timestamps: every latency stamp is process.hrtime.bigint() (CLOCK_MONOTONIC, one clock for every
// thread of the process): the emit is stamped in the main thread just before control.emit, the arrival
// in the worker the moment its player/stop handler runs; the worker then posts the stamp to the main
// thread, so that message's transit is not part of a latency. A latency still includes the receiving
// thread's own event-loop delay, which is printed per thread (main and each worker) for the control
// window, so the figures remain an upper bound.
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { WORKER_ROLE, createPlayerGroup, loadSocketIoClient } from "./realtime_load_players.mjs";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
let io;
try {
  io = loadSocketIoClient();
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
const PLAYER_WORKERS = Number(arg("player-workers", 2));
const ADMIN_PASSWORD = "Bench-Admin-Pw-1";
const PASSWORD = "bench-Password-42";
for (const [name, v, min] of [["players", N, 1], ["rate", RATE, 1], ["seconds", SECONDS, 1], ["fanout-controls", FANOUT_CONTROLS, 1],
                              ["concurrency", CONCURRENCY, 1], ["player-workers", PLAYER_WORKERS, 0]]) {
  if (!Number.isInteger(v) || v < min) {
    console.error(`--${name} must be an integer ≥ ${min}`);
    process.exit(2);
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (...a) => console.log(...a);
const now = () => process.hrtime.bigint();           // CLOCK_MONOTONIC, ns, same in every thread
const ms = (from, to = now()) => Number(to - from) / 1e6;

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
         DEVICE_CREDENTIALS: "off", PLAYER_REQUESTS_PER_MINUTE: "0", DEVICE_AUTH_FAILURES: "0",
         SHUTDOWN_TIMEOUT_MS: "2000", MAX_CONNECTIONS_PER_ADDRESS: "0" },  // every simulated player is on 127.0.0.1
  stdio: ["ignore", "pipe", "pipe"],
});
for (const s of [server.stdout, server.stderr]) s.on("data", (d) => { serverLog.push(d.toString()); if (serverLog.length > 200) serverLog.shift(); });
server.on("error", (e) => abort(`cannot start the server ${BINARY}: ${e.message}`));

// ---- player groups: W worker threads, or one group in this thread (W = 0) ----------------------------

// A group: post(msg) to it; its messages come to onGroupMessage. expect(g, type) is registered before
// the post that triggers the reply, so an in-process group may answer synchronously.
const groups = [];
const groupCount = PLAYER_WORKERS === 0 ? 1 : Math.min(PLAYER_WORKERS, N);
function expect(g, type) {
  return new Promise((resolve) => {
    if (!g.waiters.has(type)) g.waiters.set(type, []);
    g.waiters.get(type).push(resolve);
  });
}
function onGroupMessage(g, m) {
  if (m.type === "stops") {
    for (let k = 0; k < m.idx.length; k++) onCommandArrived(m.idx[k], m.at[k]);
  } else if (m.type === "fail") {
    abort(`player failed${g.worker ? ` (worker ${g.index})` : ""}: ${m.message}`);
  } else {
    const q = g.waiters.get(m.type);
    if (q && q.length) q.shift()(m);
  }
}
// Sends msgFor(g, i) to every group (or to `which`) and waits for each one's `reply`.
function request(reply, msgFor, which = groups) {
  const replies = which.map((g) => expect(g, reply));
  which.forEach((g, i) => g.post(msgFor(g, i)));
  return Promise.all(replies);
}

const workerFile = new URL("./realtime_load_players.mjs", import.meta.url);
for (let i = 0; i < groupCount; i++) {
  const g = { index: i, worker: null, players: 0, waiters: new Map(), closing: false, exited: null };
  if (PLAYER_WORKERS === 0) {
    const group = createPlayerGroup({ base, io, send: (m) => onGroupMessage(g, m), batchStops: false });
    g.post = (m) => group.handle(m);
    g.ready = Promise.resolve();
  } else {
    g.worker = new Worker(workerFile, { workerData: { role: WORKER_ROLE, base } });
    g.post = (m) => g.worker.postMessage(m);
    g.ready = expect(g, "ready");
    g.exited = new Promise((r) => g.worker.once("exit", r));
    g.worker.on("message", (m) => onGroupMessage(g, m));
    g.worker.on("error", (e) => abort(`player worker ${i} failed: ${e && e.stack ? e.stack : e}`));
    g.worker.on("exit", (code) => { if (!g.closing) abort(`player worker ${i} exited (${code}) before the end of the run`); });
  }
  groups.push(g);
}

// Closes the groups: workers close their sockets and end; any still running after 5 s is terminated.
async function closeGroups() {
  await Promise.all(groups.map(async (g) => {
    if (g.closing) return;
    g.closing = true;
    if (!g.worker) {
      g.post({ type: "close" });
      return;
    }
    g.post({ type: "close" });
    const done = await Promise.race([g.exited.then(() => true), sleep(5000).then(() => false)]);
    if (!done) {
      console.error(`player worker ${g.index} did not end 5 s after close: terminated`);
      await g.worker.terminate();
    }
  }));
}

let cleaning = false;
async function cleanup(code) {
  if (cleaning) return;
  cleaning = true;
  // The server goes first: N disconnects would only record N presence changes nobody measures.
  if (server.exitCode === null && server.signalCode === null && server.pid !== undefined) {
    server.kill("SIGTERM");
    await Promise.race([new Promise((r) => server.once("exit", r)), sleep(5000)]);
    if (server.exitCode === null && server.signalCode === null) server.kill("SIGKILL");
  }
  await closeGroups();
  fs.rmSync(dataDir, { recursive: true, force: true });
  process.exit(code);
}
function abort(message) {
  if (cleaning) return;
  console.error(message);
  cleanup(1);
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
  if (i > 300) {
    abort("server did not start");
    await new Promise(() => {});
  }
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

let t0 = now();
let speaker;
const devices = Array.from({ length: N }, (_, i) => `bench-${String(i).padStart(6, "0")}`);
try {
  const admin = (await api("POST", "/api/v1/auth/login", { username: "admin", password: ADMIN_PASSWORD })).access_token;
  const org = await api("POST", "/api/v1/organizations", { name: "Bench", slug: "bench-rt", plan: "ENTERPRISE" }, admin);
  for (const role of ["operator", "speaker"])
    await api("POST", "/api/v1/users", { username: `bench-${role}`, password: PASSWORD, role, organization_id: org.id }, admin);
  const operator = (await api("POST", "/api/v1/auth/login", { username: "bench-operator", password: PASSWORD })).access_token;
  speaker = (await api("POST", "/api/v1/auth/login", { username: "bench-speaker", password: PASSWORD })).access_token;
  t0 = now();
  await pool(devices, 8, (device_id) => api("POST", "/api/v1/devices", { device_id }, operator));
} catch (e) {
  abort(`REST setup failed: ${e.message}`);
  await new Promise(() => {});
}
log(`devices: ${N} created over REST in ${(ms(t0) / 1000).toFixed(1)} s`);

// ---- N players ------------------------------------------------------------------------------------

await Promise.all(groups.map((g) => g.ready));
await sleep(2000);
const rssBefore = rssKiB(server.pid);

const pending = new Map();  // device index → emit time (hrtime ns) of the command in flight
const latencies = [];
let fanoutLeft = 0, fanoutDone = null;

// `at`: the player's arrival stamp (hrtime ns, taken in its thread's player/stop handler).
function onCommandArrived(index, at) {
  const sent = pending.get(index);
  if (sent === undefined || at < sent) return;  // not in flight, or a stale arrival of an earlier command
  pending.delete(index);
  if (fanoutDone) {
    if (--fanoutLeft === 0) fanoutDone();
  } else {
    latencies.push(ms(sent, at));
  }
}

// Device i belongs to group i % groups.length; the handshakes in flight are split across the groups.
t0 = now();
const opened = await request("opened", (g, gi) => {
  const indices = [];
  for (let i = gi; i < N; i += groups.length) indices.push(i);
  const concurrency = Math.max(1, Math.floor(CONCURRENCY / groups.length) + (gi < CONCURRENCY % groups.length ? 1 : 0));
  return { type: "open", indices, ids: indices.map((i) => devices[i]), concurrency };
});
opened.forEach((m, gi) => { groups[gi].players = m.count; });
const playerCount = opened.reduce((a, m) => a + m.count, 0);
const connectSeconds = ms(t0) / 1000;
log(`players: ${playerCount} connected over WebSocket and registered in ${connectSeconds.toFixed(1)} s` +
    (PLAYER_WORKERS === 0 ? " (in the main thread)" : ` (in ${groups.length} worker threads: ${groups.map((g) => g.players).join(" + ")})`));

await sleep(5000);  // idle: registration bursts over, allocator settled
const rssAfter = rssKiB(server.pid);
const metrics = await (await fetch(`${base}/metrics`)).text();
const held = Number((metrics.match(/^videocontrol_realtime_players (\d+)/m) || [])[1]);
const perConn = ((rssAfter - rssBefore) * 1024) / playerCount;
log(`server holds ${held} player connections; RSS ${(rssBefore / 1024).toFixed(1)} MiB → ${(rssAfter / 1024).toFixed(1)} MiB` +
    ` = ${(perConn / 1024).toFixed(2)} KiB per idle connection (target < 16 KiB)`);

// ---- reference: player/ping → player/pong round trips, RATE/s for 3 s, sampled in the groups --------------

// Group i sends every groups.length-th sample, offset by i slots, so together they keep RATE/s.
const rttTotal = RATE * 3;
const rttReplies = await request("rtt-done", (g, gi) => ({
  type: "rtt",
  count: Math.floor(rttTotal / groups.length) + (gi < rttTotal % groups.length ? 1 : 0),
  intervalMs: (groups.length * 1000) / RATE,
  offsetMs: (gi * 1000) / RATE,
}));
const rtts = rttReplies.flatMap((m) => m.values).sort((a, b) => a - b);

// ---- control → player latency at RATE commands/s for SECONDS -----------------------------------------

function openControl() {
  return new Promise((resolve, reject) => {
    const c = io(base, { transports: ["websocket"], reconnection: false, forceNew: true, auth: { token: speaker } });
    c.once("connect", () => resolve(c));
    c.once("connect_error", reject);
  });
}
let control;
try {
  control = await openControl();
} catch (e) {
  abort(`control socket: ${e.message}`);
  await new Promise(() => {});
}
// Each thread's own event-loop delay while it measures: a latency cannot be seen sooner than the loop
// (the main thread's for the emit, the player's thread for the arrival) gets to the socket, so this is
// the load client's share of the figures below.
const workerGroups = groups.filter((g) => g.worker);
await request("loop-started", () => ({ type: "loop-start" }), workerGroups);
// The server's own view of the same commands: its videocontrol_realtime_command_seconds histogram
// (arrival of the packet → player events queued), read before and after the window.
async function commandHistogram() {
  const text = await (await fetch(`${base}/metrics`)).text();
  const buckets = [];
  for (const m of text.matchAll(/^videocontrol_realtime_command_seconds_bucket\{le="([^"]+)"\} (\d+)$/gm))
    buckets.push({ le: m[1] === "+Inf" ? Infinity : Number(m[1]) * 1000, count: Number(m[2]) });
  return buckets;
}
const serverBefore = await commandHistogram();
const loopDelay = monitorEventLoopDelay({ resolution: 1 });
loopDelay.enable();
let acksFailed = 0;
const ackTimes = [];
const total = RATE * SECONDS;
t0 = now();
for (let i = 0; i < total; i++) {
  // A device without a command in flight, so each arrival matches one emit.
  let device;
  do device = Math.floor(Math.random() * N); while (pending.has(device));
  const sentAt = now();
  pending.set(device, sentAt);
  control.emit("control/stop", { device_id: devices[device] }, (ack) => {
    ackTimes.push(ms(sentAt));
    if (!ack || !ack.ok) acksFailed++;
  });
  const wait = ((i + 1) * 1000) / RATE - ms(t0);
  if (wait > 0) await sleep(wait);
}
const sendSeconds = ms(t0) / 1000;
for (let i = 0; i < 100 && pending.size; i++) await sleep(50);
const lost = pending.size;
loopDelay.disable();
const serverAfter = await commandHistogram();
// Commands of the window per bucket, and the bound under which the server finished 50 % / 99 % of them.
const serverWindow = serverAfter.map((b, i) => ({ le: b.le, count: b.count - (serverBefore[i] ? serverBefore[i].count : 0) }));
const serverTotal = serverWindow.length ? serverWindow[serverWindow.length - 1].count : 0;
const serverBound = (q) => {
  const b = serverWindow.find((x) => x.count >= q * serverTotal);
  return b ? (b.le === Infinity ? "> the largest bound" : `≤ ${b.le} ms`) : "n/a";
};
const workerLoops = await request("loop", () => ({ type: "loop-stop" }), workerGroups);
pending.clear();
latencies.sort((a, b) => a - b);
ackTimes.sort((a, b) => a - b);

// ---- one command to every device: time until all have arrived ----------------------------------------

const controls = [control];
try {
  while (controls.length < FANOUT_CONTROLS) controls.push(await openControl());
} catch (e) {
  abort(`control socket: ${e.message}`);
  await new Promise(() => {});
}
await sleep(500);
fanoutLeft = N;
const arrived = new Promise((r) => { fanoutDone = r; });
t0 = now();
devices.forEach((device, i) => {
  pending.set(i, t0);
  controls[i % controls.length].emit("control/stop", { device_id: device }, (ack) => { if (!ack || !ack.ok) acksFailed++; });
});
const timeout = sleep(Math.max(60000, N * 20)).then(() => "timeout");
const outcome = await Promise.race([arrived.then(() => "ok"), timeout]);
const fanoutMs = ms(t0);

for (const g of groups) g.post({ type: "stop-pinger" });
const mainLoop = { p50: loopDelay.percentile(50), p99: loopDelay.percentile(99), max: loopDelay.max };
const loops = [mainLoop, ...workerLoops];
const loopLine = (l) => `p50 ${fmt(l.p50 / 1e6)}, p99 ${fmt(l.p99 / 1e6)}, max ${fmt(l.max / 1e6)}`;
log("");
log(`reference: player/ping → player/pong round trip p50 ${fmt(percentile(rtts, 50))}, p99 ${fmt(percentile(rtts, 99))} (${rtts.length} samples)`);
log(`control → player latency at ${RATE}/s for ${SECONDS} s (${(total / sendSeconds).toFixed(0)}/s achieved, ${latencies.length} arrived, ${lost} lost, ${acksFailed} failed acks):`);
log(`  p50 ${fmt(percentile(latencies, 50))}, p99 ${fmt(percentile(latencies, 99))}, max ${fmt(latencies[latencies.length - 1] || NaN)}` +
    `  (p99 / ping p99 = ${(percentile(latencies, 99) / percentile(rtts, 99)).toFixed(1)}x; target p99 < 20 ms)`);
log(`  the control socket's ack (emit → ack, same commands): p50 ${fmt(percentile(ackTimes, 50))}, p99 ${fmt(percentile(ackTimes, 99))}`);
log(`  the server's own time (its /metrics histogram, arrival → player events queued, ${serverTotal} commands): ` +
    `p50 ${serverBound(0.5)}, p99 ${serverBound(0.99)}`);
log(`  load client's own event-loop delay meanwhile: ${loopLine(mainLoop)}` +
    (PLAYER_WORKERS === 0 ? " (main thread: control socket and players)" : " (main thread: control socket)"));
workerGroups.forEach((g, k) => log(`    player worker ${g.index} (${g.players} players): ${loopLine(workerLoops[k])}`));
log(outcome === "ok"
  ? `one command to each of ${N} devices (${FANOUT_CONTROLS} control socket${FANOUT_CONTROLS > 1 ? "s" : ""}): all arrived after ${(fanoutMs / 1000).toFixed(2)} s (${(N / (fanoutMs / 1000)).toFixed(0)} commands/s)`
  : `one command to each of ${N} devices: ${fanoutLeft} had not arrived after ${(fanoutMs / 1000).toFixed(1)} s`);
// client_loop_delay_p99_ms: the worst thread's p99 (with --player-workers 0 the one thread, as before);
// main_… and worker_… give each thread's.
log(`summary: players=${playerCount} rss_per_conn_kib=${(perConn / 1024).toFixed(2)} p50_ms=${percentile(latencies, 50).toFixed(2)} ` +
    `p99_ms=${percentile(latencies, 99).toFixed(2)} fanout_s=${(fanoutMs / 1000).toFixed(2)} ping_p99_ms=${percentile(rtts, 99).toFixed(2)} ` +
    `client_loop_delay_p99_ms=${(Math.max(...loops.map((l) => l.p99)) / 1e6).toFixed(2)} player_workers=${PLAYER_WORKERS} ` +
    `main_loop_delay_p99_ms=${(mainLoop.p99 / 1e6).toFixed(2)} ` +
    `worker_loop_delay_p99_ms=${workerLoops.length ? workerLoops.map((l) => (l.p99 / 1e6).toFixed(2)).join(",") : "-"}`);

await cleanup(outcome === "ok" && lost === 0 ? 0 : 1);
