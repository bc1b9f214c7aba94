// Schedule delivery skew benchmark (issue 13): how long after a playlist item boundary the schedule
// engine's player/play reaches N connected players, on one server instance.
//
//   node bench/schedule_skew.mjs [--binary build/apps/server/videocontrol-server] [--devices 10000]
//        [--boundaries 4] [--item-ms 5000] [--player-workers 2] [--concurrency 200] [--first-timeout-s 900]
//
// Raises its own `ulimit -n` (re-runs itself under sh with the limit raised, as bench/realtime_load.sh
// does) and uses socket.io-client from tests/js/node_modules.
//
// Steps: start the server (SQLite, temporary data dir, loopback, default threads), create an ENTERPRISE
// organisation, an operator, a speaker and N devices over REST (8 requests in flight), register N
// players in W worker threads (bench/schedule_skew_players.mjs), upload two small PNGs to the first
// device, make a looping playlist [image 1 for item-ms, image 2 for item-ms], a group of all N devices
// and an `always` assignment of the playlist to the group. The engine then loads N plans (linking the
// two images to every device) and sends the first play; after every device has it, the benchmark
// waits for the server to go quiet and records the next B boundaries. The playlist started at
// max(playlist.updated_at, assignment.updated_at) (the span of `always` began before the plan's
// look-back), read back over the API, so boundary k is at start + k·item-ms and plays image 1 + (k mod 2).
// An arrival belongs to the latest boundary at or before it that plays its file; skew = arrival − that
// boundary. Every player stamps player/play with the wall clock (performance.timeOrigin +
// performance.now()), the clock the server's engine reads on this machine.
//
// Reference, same run and same N sockets: the assignment is deleted, the server goes quiet, then one
// POST /api/v1/groups/{id}/control {"action":"play","file":<image 1>} — the hub's own fan-out of one
// command to the whole group (each member through the single-device path, one stored state each), from
// the request's send to each player's arrival. The skew is printed as a ratio against it.
//
// Where the time goes: per boundary the engine's own lateness (offset_ms in the play, = the engine run's
// start − the boundary, server clock), the server's CPU per thread from /proc over [boundary − 0.2 s,
// boundary + 1.5 s], and the load client's event-loop delay in each player thread.
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import zlib from "node:zlib";
import { WORKER_ROLE, wallMs } from "./schedule_skew_players.mjs";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  if (i >= 0 && process.argv[i + 1] !== undefined) return process.argv[i + 1];
  const eq = process.argv.find((a) => a.startsWith(`--${name}=`));
  return eq ? eq.slice(name.length + 3) : fallback;
}

const BINARY = path.resolve(arg("binary", path.join(repo, "build", "apps", "server", "videocontrol-server")));
const N = Number(arg("devices", 10000));
const BOUNDARIES = Number(arg("boundaries", 4));
const ITEM_MS = Number(arg("item-ms", 5000));
const PLAYER_WORKERS = Number(arg("player-workers", 2));
const FIRST_TIMEOUT_S = Number(arg("first-timeout-s", 900));
const CONCURRENCY = Number(arg("concurrency", 200));
for (const [name, v, min] of [["devices", N, 1], ["boundaries", BOUNDARIES, 1], ["item-ms", ITEM_MS, 1000],
                              ["player-workers", PLAYER_WORKERS, 1], ["concurrency", CONCURRENCY, 1]]) {
  if (!Number.isInteger(v) || v < min) {
    console.error(`--${name} must be an integer ≥ ${min}`);
    process.exit(2);
  }
}
if (N > 10000) {
  console.error("--devices: a group holds at most 10000 devices");
  process.exit(2);
}

// ---- ulimit -n: one descriptor per connection on each side ------------------------------------------

const need = N + 1024;
const soft = spawnSync("sh", ["-c", "ulimit -n"], { encoding: "utf8" }).stdout.trim();
if (soft !== "unlimited" && Number(soft) < need && !process.env.VC_SKEW_ULIMIT_RAISED) {
  const r = spawnSync("sh", ["-c", `ulimit -n ${need} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$0" "$@"`,
                             process.execPath, ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)],
                      { stdio: "inherit", env: { ...process.env, VC_SKEW_ULIMIT_RAISED: "1" } });
  process.exit(r.status ?? 1);
}

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

function percentile(sorted, p) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
function summary(values) {
  const s = [...values].sort((a, b) => a - b);
  return { n: s.length, min: s[0] ?? NaN, p50: percentile(s, 50), p90: percentile(s, 90), p99: percentile(s, 99), max: s[s.length - 1] ?? NaN };
}
const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : "n/a");

// A w×h RGB PNG of one colour (no dependency; the server sniffs the bytes and the pipeline reads them).
function png(w, h, [r, g, b]) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => {
    let c = 0xffffffff;
    for (const x of buf) c = crcTable[(c ^ x) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; ihdr[9] = 2; ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0;
  const raw = Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) raw.set([r, g, b], y * (w * 3 + 1) + 1 + x * 3);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", ihdr),
                        chunk("IDAT", zlib.deflateSync(raw)), chunk("IEND", Buffer.alloc(0))]);
}

// CPU time (ms) per thread of a process, by thread name: /proc/PID/task/*/stat utime + stime.
const TICK_MS = 1000 / (Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100);
function threadCpu(pid) {
  const out = new Map();
  let tasks = [];
  try { tasks = fs.readdirSync(`/proc/${pid}/task`); } catch { return out; }
  for (const tid of tasks) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      out.set(`${name}#${tid}`, (Number(f[11]) + Number(f[12])) * TICK_MS);
    } catch { /* gone */ }
  }
  return out;
}
// Per thread (the server's threads share one name, so each is named by its creation order: "+k" is the
// k-th thread id after the process's own), largest first.
function cpuDelta(before, after, pid) {
  const out = [];
  for (const [key, v] of after) {
    const d = v - (before.get(key) ?? 0);
    if (d <= 0) continue;
    const tid = Number(key.slice(key.lastIndexOf("#") + 1));
    out.push([tid === pid ? "main" : `+${tid - pid}`, d]);
  }
  return out.sort((a, b) => b[1] - a[1]);
}
function processCpuMs(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) * TICK_MS;
  } catch { return NaN; }
}
// Waits until the server used at most its idle CPU (`idleCpu`: ms per second with the players connected
// and nothing else to do: their pings, presence) + 5 % of a core over 1 s (at most `limitMs`).
let idleCpu = 0;
async function quiet(pid, limitMs = 120000) {
  const t0 = Date.now();
  for (;;) {
    const a = processCpuMs(pid);
    await sleep(1000);
    const used = processCpuMs(pid) - a;
    if (used <= idleCpu + 50 || Date.now() - t0 > limitMs) return Date.now() - t0;
  }
}

// ---- server --------------------------------------------------------------------------------------------

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "vc-bench-skew-"));
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const serverLog = [];
const server = spawn(BINARY, [], {
  cwd: dataDir,
  env: { PATH: process.env.PATH, HOME: dataDir, HOST: "127.0.0.1", PORT: String(port), DATA_DIR: dataDir,
         LOG_LEVEL: "warn", ADMIN_PASSWORD, RATE_LIMIT_PER_MINUTE: "1000000", LOGIN_ATTEMPTS: "1000000",
         DEVICE_CREDENTIALS: "off", PLAYER_REQUESTS_PER_MINUTE: "0", DEVICE_AUTH_FAILURES: "0",
         SHUTDOWN_TIMEOUT_MS: "2000", MAX_CONNECTIONS_PER_ADDRESS: "0",  // every simulated player is on 127.0.0.1
         // The server's threads can be set from the bench's environment (e.g. NETWORK_THREADS=2).
         ...Object.fromEntries(["NETWORK_THREADS", "WORKER_THREADS"].filter((k) => process.env[k]).map((k) => [k, process.env[k]])) },
  stdio: ["ignore", "pipe", "pipe"],
});
for (const s of [server.stdout, server.stderr]) s.on("data", (d) => { serverLog.push(d.toString()); if (serverLog.length > 200) serverLog.shift(); });
server.on("error", (e) => abort(`cannot start the server ${BINARY}: ${e.message}`));

// ---- player workers ------------------------------------------------------------------------------------

const groups = [];
const groupCount = Math.min(PLAYER_WORKERS, N);
function expect(g, type) {
  return new Promise((resolve) => {
    if (!g.waiters.has(type)) g.waiters.set(type, []);
    g.waiters.get(type).push(resolve);
  });
}
function request(reply, msgFor, which = groups) {
  const replies = which.map((g) => expect(g, reply));
  which.forEach((g, i) => g.worker.postMessage(msgFor(g, i)));
  return Promise.all(replies);
}

// Every player/play: device index, wall-clock arrival, file, offset_ms, scheduled.
const plays = [];
let onPlay = null;  // extra listener (waiting for the first plays, the reference)
function onGroupMessage(g, m) {
  if (m.type === "plays") {
    for (let k = 0; k < m.idx.length; k++) {
      const p = { i: m.idx[k], at: m.at[k], file: m.file[k], offset: m.offset[k], scheduled: m.scheduled[k] };
      plays.push(p);
      if (onPlay) onPlay(p);
    }
  } else if (m.type === "fail") {
    abort(`player failed (worker ${g.index}): ${m.message}`);
  } else {
    const q = g.waiters.get(m.type);
    if (q && q.length) q.shift()(m);
  }
}
const workerFile = new URL("./schedule_skew_players.mjs", import.meta.url);
for (let i = 0; i < groupCount; i++) {
  const g = { index: i, worker: null, players: 0, waiters: new Map(), closing: false };
  g.worker = new Worker(workerFile, { workerData: { role: WORKER_ROLE, base } });
  g.ready = expect(g, "ready");
  g.exited = new Promise((r) => g.worker.once("exit", r));
  g.worker.on("message", (m) => onGroupMessage(g, m));
  g.worker.on("error", (e) => abort(`player worker ${i} failed: ${e && e.stack ? e.stack : e}`));
  g.worker.on("exit", (code) => { if (!g.closing) abort(`player worker ${i} exited (${code}) before the end of the run`); });
  groups.push(g);
}

let cleaning = false;
async function cleanup(code) {
  if (cleaning) return;
  cleaning = true;
  if (server.exitCode === null && server.signalCode === null && server.pid !== undefined) {
    server.kill("SIGTERM");
    await Promise.race([new Promise((r) => server.once("exit", r)), sleep(5000)]);
    if (server.exitCode === null && server.signalCode === null) server.kill("SIGKILL");
  }
  await Promise.all(groups.map(async (g) => {
    if (g.closing) return;
    g.closing = true;
    g.worker.postMessage({ type: "close" });
    if (!(await Promise.race([g.exited.then(() => true), sleep(5000).then(() => false)]))) await g.worker.terminate();
  }));
  fs.rmSync(dataDir, { recursive: true, force: true });
  process.exit(code);
}
function abort(message) {
  if (cleaning) return;
  console.error(message);
  cleanup(1);
}
const hang = () => new Promise(() => {});
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
    await hang();
  }
  await sleep(100);
}

async function api(method, url, body, token, headers = {}) {
  const h = { ...headers };
  if (token) h.Authorization = `Bearer ${token}`;
  let payload = body;
  if (body !== undefined && !Buffer.isBuffer(body)) {
    h["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  const r = await fetch(base + url, { method, headers: h, body: payload });
  const text = await r.text();
  if (r.status >= 300) throw new Error(`${method} ${url}: ${r.status} ${text.slice(0, 500)}`);
  return text ? JSON.parse(text) : null;
}
async function pool(items, width, fn) {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

log(`devices=${N} boundaries=${BOUNDARIES} item_ms=${ITEM_MS} player_workers=${groupCount} ulimit -n=${soft === "unlimited" || Number(soft) >= need ? soft : `${need} (raised)`}` +
    ` cores=${os.cpus().length} node=${process.version} load average ${os.loadavg().map((x) => x.toFixed(2)).join(" ")}`);

// ---- world: organisation, operator, speaker, N devices ---------------------------------------------

const devices = Array.from({ length: N }, (_, i) => `skew-${String(i).padStart(6, "0")}`);
let operator, speaker;
let t0 = Date.now();
try {
  const admin = (await api("POST", "/api/v1/auth/login", { username: "admin", password: ADMIN_PASSWORD })).access_token;
  const org = await api("POST", "/api/v1/organizations", { name: "Skew", slug: "bench-skew", plan: "ENTERPRISE" }, admin);
  for (const role of ["operator", "speaker"])
    await api("POST", "/api/v1/users", { username: `skew-${role}`, password: PASSWORD, role, organization_id: org.id }, admin);
  operator = (await api("POST", "/api/v1/auth/login", { username: "skew-operator", password: PASSWORD })).access_token;
  speaker = (await api("POST", "/api/v1/auth/login", { username: "skew-speaker", password: PASSWORD })).access_token;
  t0 = Date.now();
  await pool(devices, 8, (device_id) => api("POST", "/api/v1/devices", { device_id }, operator));
} catch (e) {
  abort(`REST setup failed: ${e.message}`);
  await hang();
}
log(`server pid ${server.pid}`);
log(`devices: ${N} created over REST in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

// ---- N players -----------------------------------------------------------------------------------------

await Promise.all(groups.map((g) => g.ready));
t0 = Date.now();
const opened = await request("opened", (g, gi) => {
  const indices = [];
  for (let i = gi; i < N; i += groups.length) indices.push(i);
  const concurrency = Math.max(1, Math.floor(CONCURRENCY / groups.length) + (gi < CONCURRENCY % groups.length ? 1 : 0));
  return { type: "open", indices, ids: indices.map((i) => devices[i]), concurrency };
});
opened.forEach((m, gi) => { groups[gi].players = m.count; });
const playerCount = opened.reduce((a, m) => a + m.count, 0);
log(`players: ${playerCount} registered in ${((Date.now() - t0) / 1000).toFixed(1)} s (${groups.map((g) => g.players).join(" + ")} in ${groups.length} worker threads)`);
if (playerCount !== N) {
  abort(`only ${playerCount} of ${N} players registered`);
  await hang();
}
// The server's idle CPU with N players: the least of five 1 s samples after the registrations.
await sleep(2000);
idleCpu = Infinity;
for (let i = 0; i < 5; i++) {
  const a = processCpuMs(server.pid);
  await sleep(1000);
  idleCpu = Math.min(idleCpu, processCpuMs(server.pid) - a);
}
log(`server idle with ${N} players: ${idleCpu.toFixed(0)} ms CPU per second`);

// ---- two images, a playlist, a group of every device, an assignment ------------------------------------

let files, playlist, group, assignment;
try {
  const images = [["skew-1.png", png(64, 36, [200, 30, 30])], ["skew-2.png", png(64, 36, [30, 30, 200])]];
  for (const [name, data] of images) {
    const boundary = `vcskew${Math.random().toString(16).slice(2)}`;
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="${name}"\r\nContent-Type: image/png\r\n\r\n`),
      data, Buffer.from(`\r\n--${boundary}--\r\n`)]);
    await api("POST", `/api/v1/devices/${devices[0]}/media`, body, operator, { "Content-Type": `multipart/form-data; boundary=${boundary}` });
  }
  const listed = (await api("GET", `/api/v1/devices/${devices[0]}/media`, undefined, operator)).items;
  files = images.map(([name]) => {
    const m = listed.find((x) => x.name === name);
    if (!m) throw new Error(`uploaded ${name} is not listed: ${JSON.stringify(listed)}`);
    return { name, id: m.id };
  });
  // Ready first, so no media_ready reloads every plan during the measurement.
  for (const f of files) {
    for (let i = 0; ; i++) {
      const m = await api("GET", `/api/v1/media/${f.id}`, undefined, operator);
      if (m.status !== "processing") break;
      if (i > 300) throw new Error(`${f.name} still processing after 30 s`);
      await sleep(100);
    }
  }
  playlist = await api("POST", "/api/v1/playlists", { name: "skew", loop: true, shuffle: false, transition: "none",
                                                      items: files.map((f) => ({ media_id: f.id, duration_ms: ITEM_MS })) }, operator);
  t0 = Date.now();
  group = await api("POST", "/api/v1/groups", { name: "all screens", device_ids: devices }, operator);
  log(`group of ${group.device_ids.length} devices created in ${Date.now() - t0} ms; server quiet after ${((await quiet(server.pid)) / 1000).toFixed(1)} s`);
} catch (e) {
  abort(`setup failed: ${e.message}`);
  await hang();
}

// The first play of every device: the engine loads N plans (linking both images to each device).
const first = new Map();  // device → arrival of its first scheduled play
let allFirst;
const firstDone = new Promise((r) => { allFirst = r; });
onPlay = (p) => {
  if (p.scheduled && !first.has(p.i)) {
    first.set(p.i, p.at);
    if (first.size === N) allFirst();
  }
};
const assignedAt = wallMs();
try {
  assignment = await api("POST", "/api/v1/assignments", { playlist_id: playlist.id, group_id: group.id }, operator);
} catch (e) {
  abort(`assignment failed: ${e.message}`);
  await hang();
}
const assignMs = wallMs() - assignedAt;
if ((await Promise.race([firstDone.then(() => "ok"), sleep(FIRST_TIMEOUT_S * 1000).then(() => "timeout")])) !== "ok") {
  abort(`first play: only ${first.size} of ${N} devices got one after ${((wallMs() - assignedAt) / 1000).toFixed(0)} s; server log:\n${serverLog.join("").slice(-3000)}`);
  await hang();
}
onPlay = null;
const firstTimes = [...first.values()].sort((a, b) => a - b);
const lastFirst = firstTimes[firstTimes.length - 1];
// The playlist's start, as the engine computes it, from the stored objects.
const pl = await api("GET", `/api/v1/playlists/${playlist.id}`, undefined, operator);
const as = (await api("GET", `/api/v1/assignments?group_id=${group.id}`, undefined, operator)).items.find((a) => a.id === assignment.id);
const start = Math.max(Date.parse(pl.updated_at), Date.parse(as.updated_at));
log(`assignment: POST answered in ${assignMs.toFixed(0)} ms; first play at every device ${((firstTimes[0] - start) / 1000).toFixed(2)}` +
    `–${((lastFirst - start) / 1000).toFixed(2)} s after the playlist start (N plans loaded and media linked)`);
const quietMs = await quiet(server.pid);

// ---- B boundaries ------------------------------------------------------------------------------------------

// Boundary k at start + k·ITEM_MS shows files[k % 2].
const firstK = Math.floor((Math.max(lastFirst, wallMs()) + 500 - start) / ITEM_MS) + 1;
const measured = Array.from({ length: BOUNDARIES }, (_, j) => firstK + j);
const boundaryAt = (k) => start + k * ITEM_MS;
log(`server quiet after ${(quietMs / 1000).toFixed(1)} s; measuring boundaries ${firstK}..${firstK + BOUNDARIES - 1}` +
    ` (${((boundaryAt(firstK) - wallMs()) / 1000).toFixed(1)} s from now)`);
const playsFrom = plays.length;
const cpu = [];  // per boundary: server threads' CPU ms over [B − 0.2 s, B + 1.5 s]
await request("loop-started", () => ({ type: "loop-start" }));
const loadAtBoundaries = [];
for (const k of measured) {
  const b = boundaryAt(k);
  await sleep(Math.max(0, b - 200 - wallMs()));
  const before = threadCpu(server.pid);
  const clientBefore = threadCpu(process.pid);
  await sleep(Math.max(0, b + 1500 - wallMs()));
  cpu.push({ server: cpuDelta(before, threadCpu(server.pid), server.pid), client: cpuDelta(clientBefore, threadCpu(process.pid), process.pid) });
  loadAtBoundaries.push(os.loadavg()[0]);
}
await sleep(Math.max(0, boundaryAt(measured[measured.length - 1]) + ITEM_MS / 2 - wallMs()));
const loops = await request("loop", () => ({ type: "loop-stop" }));
const window = plays.slice(playsFrom);

// Attribution: the latest boundary at or before the arrival that plays the arrival's file.
const perBoundary = new Map(measured.map((k) => [k, { skews: [], offsets: [], seen: new Uint8Array(N), dups: 0 }]));
let stray = 0;
for (const p of window) {
  if (!p.scheduled) { stray++; continue; }
  const fileIndex = files.findIndex((f) => f.name === p.file);
  let k = Math.floor((p.at - start) / ITEM_MS);
  if (fileIndex >= 0 && ((k % 2) + 2) % 2 !== fileIndex) k -= 1;
  const r = perBoundary.get(k);
  if (!r || fileIndex < 0) { stray++; continue; }
  if (r.seen[p.i]) { r.dups++; continue; }
  r.seen[p.i] = 1;
  r.skews.push(p.at - boundaryAt(k));
  r.offsets.push(p.offset);
}
const rows = measured.map((k) => {
  const r = perBoundary.get(k);
  return { k, at: new Date(boundaryAt(k)).toISOString(), received: r.skews.length, expected: N, missing: N - r.skews.length,
           duplicates: r.dups, skew: summary(r.skews), engine_offset: summary(r.offsets) };
});
const all = summary(measured.flatMap((k) => perBoundary.get(k).skews));
const allOffsets = summary(measured.flatMap((k) => perBoundary.get(k).offsets));
const received = rows.reduce((a, r) => a + r.received, 0);
const duplicates = rows.reduce((a, r) => a + r.duplicates, 0);

// ---- reference: one group control command to the same N sockets ------------------------------------------

let ref = null;
try {
  await api("DELETE", `/api/v1/assignments/${assignment.id}`, undefined, operator);
  await quiet(server.pid);
  await sleep(500);
  const got = new Map();
  let done;
  const allGot = new Promise((r) => { done = r; });
  onPlay = (p) => {
    if (!p.scheduled && p.file === files[0].name && !got.has(p.i)) {
      got.set(p.i, p.at);
      if (got.size === N) done();
    }
  };
  const sent = wallMs();
  const res = await api("POST", `/api/v1/groups/${group.id}/control`, { action: "play", file: files[0].name }, speaker);
  const answered = wallMs() - sent;
  const ok = res.results.filter((r) => r.ok).length;
  await Promise.race([allGot, sleep(Math.max(60000, N * 20))]);
  onPlay = null;
  const lat = summary([...got.values()].map((at) => at - sent));
  ref = { received: got.size, ok, answered_ms: answered, latency: lat };
} catch (e) {
  console.error(`reference failed: ${e.message}`);
}

// ---- report ------------------------------------------------------------------------------------------------

const pad = (s, n) => String(s).padStart(n);
log("");
log(`schedule delivery skew, ${N} devices on one instance (skew = player/play arrival − item boundary, ms):`);
log(`${pad("boundary", 8)} ${pad("received", 9)} ${pad("missing", 7)} ${pad("dups", 4)} ${pad("p50", 7)} ${pad("p90", 7)} ${pad("p99", 7)} ${pad("max", 7)}` +
    `  ${pad("engine late p50/max", 19)}  ${pad("first..last arrival", 19)}`);
for (const r of rows)
  log(`${pad(`#${r.k}`, 8)} ${pad(r.received, 9)} ${pad(r.missing, 7)} ${pad(r.duplicates, 4)} ${pad(f1(r.skew.p50), 7)} ${pad(f1(r.skew.p90), 7)} ` +
      `${pad(f1(r.skew.p99), 7)} ${pad(f1(r.skew.max), 7)}  ${pad(`${r.engine_offset.p50} / ${r.engine_offset.max}`, 19)}  ${pad(`${f1(r.skew.min)}..${f1(r.skew.max)}`, 19)}`);
log(`${pad("all", 8)} ${pad(received, 9)} ${pad(N * BOUNDARIES - received, 7)} ${pad(duplicates, 4)} ${pad(f1(all.p50), 7)} ${pad(f1(all.p90), 7)} ` +
    `${pad(f1(all.p99), 7)} ${pad(f1(all.max), 7)}  ${pad(`${allOffsets.p50} / ${allOffsets.max}`, 19)}`);
log(`plays received ${received} of ${N * BOUNDARIES} expected (${N} devices × ${BOUNDARIES} boundaries), ${duplicates} duplicates, ${stray} of other boundaries (the one before the window still arriving when recording began)`);
log(`target: p99 < 50 ms after the boundary — ${all.p99 < 50 ? "met" : "NOT met"} (p99 ${f1(all.p99)} ms)`);
if (ref) {
  log(`reference: POST /api/v1/groups/{id}/control play to the same ${N} players: ${ref.received} arrived (${ref.ok} ok results), ` +
      `answered after ${f1(ref.answered_ms)} ms; send → arrival p50 ${f1(ref.latency.p50)}, p90 ${f1(ref.latency.p90)}, ` +
      `p99 ${f1(ref.latency.p99)}, max ${f1(ref.latency.max)} ms`);
  log(`ratio skew / group control fan-out: p50 ${(all.p50 / ref.latency.p50).toFixed(3)}, p99 ${(all.p99 / ref.latency.p99).toFixed(3)}, max ${(all.max / ref.latency.max).toFixed(3)}`);
}
log("engine late = offset_ms in the play: the engine run's start − the boundary (server clock, whole ms)");
cpu.forEach((c, j) => {
  const top = (list) => `${list.reduce((a, [, v]) => a + v, 0).toFixed(0)} (${list.slice(0, 5).map(([n, v]) => `${n}: ${v.toFixed(0)}`).join(", ")})`;
  log(`CPU ms over boundary #${measured[j]} −0.2..+1.5 s, by thread: server ${top(c.server)}; load client ${top(c.client)}`);
});
loops.forEach((l, j) => log(`player worker ${j} event-loop delay during the boundaries: p50 ${(l.p50 / 1e6).toFixed(2)}, p99 ${(l.p99 / 1e6).toFixed(2)}, max ${(l.max / 1e6).toFixed(2)} ms`));
log(`load average at the boundaries (1 min): ${loadAtBoundaries.map((x) => x.toFixed(2)).join(", ")}`);
const round = (o) => JSON.parse(JSON.stringify(o, (k, v) => (typeof v === "number" ? Math.round(v * 100) / 100 : v)));
log("JSON " + JSON.stringify(round({
  bench: "schedule_skew", devices: N, boundaries: BOUNDARIES, item_ms: ITEM_MS, player_workers: groupCount,
  expected: N * BOUNDARIES, received, duplicates, stray, skew_ms: all, engine_late_ms: allOffsets,
  server_cpu_ms_per_boundary: cpu.map((c) => c.server.reduce((a, [, v]) => a + v, 0)),
  per_boundary: rows.map((r) => ({ k: r.k, received: r.received, duplicates: r.duplicates, skew_ms: r.skew, engine_late_ms: r.engine_offset })),
  reference_group_control: ref, ratio_p99: ref ? all.p99 / ref.latency.p99 : null, ratio_max: ref ? all.max / ref.latency.max : null,
  first_play_s: (lastFirst - start) / 1000, loadavg: os.loadavg(), target_p99_ms: 50, target_met: all.p99 < 50,
})));

await cleanup(received === N * BOUNDARIES && duplicates === 0 ? 0 : 1);
