// Player side of bench/realtime_load.mjs: one group of simulated players (socket.io-client sockets).
//
// Runs as a worker thread (realtime_load.mjs --player-workers W, W ≥ 1: one group per worker, each with
// its own event loop and heap) or in the main thread (W = 0: createPlayerGroup() with a direct-call
// channel instead of a MessagePort). The group only ever talks to the server as players do, and to the
// main thread through `send` / `handle`:
//
//   main → group                                   group → main
//   {type:"open", indices, ids, concurrency}       {type:"opened", count}   or {type:"fail", message}
//   {type:"rtt", count, intervalMs, offsetMs}      {type:"rtt-done", values: [ms …]}
//   {type:"loop-start"}                            {type:"loop-started"}
//   {type:"loop-stop"}                             {type:"loop", p50, p99, max}  (ns)
//   {type:"stop-pinger"}
//   {type:"close"}                                 {type:"closed"}
//                                                  {type:"stops", idx: [device index …], at: [bigint …]}
//
// "stops" carries the arrival of player/stop: `at` is process.hrtime.bigint() taken the moment the
// handler runs (CLOCK_MONOTONIC, the same clock in every thread of the process, so it compares with the
// emit stamp the main thread took), so the message's transit to the main thread is not part of a
// latency. In a worker the arrivals of one loop turn are batched into one message (setImmediate).
import { createRequire } from "node:module";
import path from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { isMainThread, parentPort, workerData } from "node:worker_threads";

export const WORKER_ROLE = "videocontrol-realtime-load-players";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const hrMs = () => Number(process.hrtime.bigint()) / 1e6;

export function loadSocketIoClient() {
  const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
  const require = createRequire(path.join(repo, "tests", "js", "package.json"));
  return require("socket.io-client").io;
}

// send(msg): to the main thread. batchStops: batch "stops" per loop turn (worker) or send each at once
// (in-process, where send is a plain function call).
export function createPlayerGroup({ base, io, send, batchStops }) {
  const sockets = [];  // in opening order; list[k] is the socket of device indices[k]
  let pinger = null, pingIndex = 0, loopDelay = null, failed = false, closing = false;

  let stopIdx = [], stopAt = [], flushQueued = false;
  function flushStops() {
    flushQueued = false;
    if (!stopIdx.length) return;
    send({ type: "stops", idx: stopIdx, at: stopAt });
    stopIdx = [];
    stopAt = [];
  }
  function arrived(index) {
    const at = process.hrtime.bigint();  // first: this is the arrival stamp
    if (!batchStops) {
      send({ type: "stops", idx: [index], at: [at] });
      return;
    }
    stopIdx.push(index);
    stopAt.push(at);
    if (!flushQueued) {
      flushQueued = true;
      setImmediate(flushStops);
    }
  }

  function fail(message) {
    if (failed || closing) return;
    failed = true;
    send({ type: "fail", message });
  }

  function openPlayer(index, device) {
    return new Promise((resolve) => {
      const s = io(base, { transports: ["websocket"], reconnection: false, forceNew: true, timeout: 60000 });
      const onError = (e) => { fail(`${device}: ${e && e.message ? e.message : e}`); resolve(); };
      s.once("connect_error", onError);
      s.once("connect", () => s.emit("player/register", { device_id: device, device_type: "bench", platform: "node" }));
      s.once("player/registered", () => {
        s.off("connect_error", onError);
        sockets.push(s);
        resolve();
      });
      s.once("player/reject", (r) => onError(`player/reject ${JSON.stringify(r)}`));
      s.on("player/stop", () => arrived(index));
    });
  }

  async function open({ indices, ids, concurrency }) {
    let next = 0;
    await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, indices.length)) }, async () => {
      while (next < indices.length && !failed) {
        const k = next++;
        await openPlayer(indices[k], ids[k]);
      }
    }));
    if (failed) return;
    // Players ping every 15 s as deployed players do (the server forgets players silent for 30 s),
    // spread over the interval: every 100 ms a batch, each player once per 15 s.
    if (sockets.length) {
      pinger = setInterval(() => {
        const batch = Math.ceil(sockets.length / 150);
        for (let i = 0; i < batch; i++) sockets[(pingIndex++) % sockets.length].emit("player/ping");
      }, 100);
    }
    send({ type: "opened", count: sockets.length });
  }

  // player/ping → player/pong round trips on random players of this group, both stamps here.
  async function rtt({ count, intervalMs, offsetMs }) {
    const values = [];
    if (sockets.length && count > 0) {
      await sleep(offsetMs);
      const start = hrMs();
      for (let i = 0; i < count; i++) {
        const s = sockets[Math.floor(Math.random() * sockets.length)];
        const t = process.hrtime.bigint();
        s.once("player/pong", () => values.push(Number(process.hrtime.bigint() - t) / 1e6));
        s.emit("player/ping");
        const wait = start + (i + 1) * intervalMs - hrMs();
        if (wait > 0) await sleep(wait);
      }
      await sleep(500);
    }
    send({ type: "rtt-done", values });
  }

  function close() {
    closing = true;
    if (pinger) clearInterval(pinger);
    pinger = null;
    if (loopDelay) loopDelay.disable();
    flushStops();
    for (const s of sockets) {
      s.removeAllListeners();
      s.close();
    }
    sockets.length = 0;
    send({ type: "closed" });
  }

  function handle(msg) {
    switch (msg.type) {
      case "open": open(msg).catch((e) => fail(e.stack || String(e))); break;
      case "rtt": rtt(msg).catch((e) => fail(e.stack || String(e))); break;
      case "loop-start":
        loopDelay = monitorEventLoopDelay({ resolution: 1 });
        loopDelay.enable();
        send({ type: "loop-started" });
        break;
      case "loop-stop":
        loopDelay.disable();
        send({ type: "loop", p50: loopDelay.percentile(50), p99: loopDelay.percentile(99), max: loopDelay.max });
        break;
      case "stop-pinger":
        if (pinger) clearInterval(pinger);
        pinger = null;
        break;
      case "close": close(); break;
      default: fail(`unknown message ${JSON.stringify(msg)}`);
    }
  }

  return { handle };
}

// ---- as a worker thread -----------------------------------------------------------------------------

if (!isMainThread && workerData && workerData.role === WORKER_ROLE) {
  const send = (m) => parentPort.postMessage(m);
  let io;
  try {
    io = loadSocketIoClient();
  } catch (e) {
    send({ type: "fail", message: `socket.io-client is not installed (${e.message})` });
  }
  if (io) {
    const group = createPlayerGroup({ base: workerData.base, io, send, batchStops: true });
    parentPort.on("message", (msg) => {
      group.handle(msg);
      // After "closed" the port goes too: with the sockets closed the loop is empty and the thread ends.
      if (msg.type === "close") parentPort.close();
    });
    send({ type: "ready" });
  }
}
