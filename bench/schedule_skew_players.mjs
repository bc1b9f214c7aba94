// Player side of bench/schedule_skew.mjs: one group of simulated players (socket.io-client sockets)
// in a worker thread, recording when each player/play arrives.
//
// Same layout as bench/realtime_load_players.mjs (whose loadSocketIoClient it reuses): the main thread
// starts W workers, each owns every W-th device with its own event loop and heap, and talks to the
// main thread only through messages:
//
//   main → worker                                  worker → main
//                                                  {type:"ready"}
//   {type:"open", indices, ids, concurrency}       {type:"opened", count}   or {type:"fail", message}
//   {type:"close"}                                 {type:"closed"}
//                                                  {type:"plays", idx, at, file, offset, scheduled}
//
// "plays" carries every player/play: `at` is the wall clock (performance.timeOrigin +
// performance.now(), ms with a fraction: the clock the server's schedule uses on this machine), taken
// first thing in the handler, so the message's transit to the main thread is not part of a skew; `file`
// the payload's file, `offset` its offset_ms (how late the engine's run began after the item's
// boundary, on the server's clock) and `scheduled` whether it came from the schedule engine (true) or
// from a control command (false). The arrivals of one loop turn are batched into one message.
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import { isMainThread, parentPort, workerData } from "node:worker_threads";
import { loadSocketIoClient } from "./realtime_load_players.mjs";

export const WORKER_ROLE = "videocontrol-schedule-skew-players";

export const wallMs = () => performance.timeOrigin + performance.now();

if (!isMainThread && workerData && workerData.role === WORKER_ROLE) {
  const send = (m) => parentPort.postMessage(m);
  let io = null;
  try {
    io = loadSocketIoClient();
  } catch (e) {
    send({ type: "fail", message: `socket.io-client is not installed (${e.message})` });
  }
  const base = workerData.base;
  const sockets = [];
  let pinger = null, pingIndex = 0, failed = false, closing = false, loopDelay = null;

  let idx = [], at = [], file = [], offset = [], scheduled = [], flushQueued = false;
  function flush() {
    flushQueued = false;
    if (!idx.length) return;
    send({ type: "plays", idx, at, file, offset, scheduled });
    idx = []; at = []; file = []; offset = []; scheduled = [];
  }
  function played(index, payload) {
    const t = wallMs();  // first: the arrival stamp
    idx.push(index);
    at.push(t);
    file.push(payload && typeof payload.file === "string" ? payload.file : "");
    offset.push(payload && typeof payload.offset_ms === "number" ? payload.offset_ms : -1);
    scheduled.push(!!(payload && payload.scheduled));
    if (!flushQueued) {
      flushQueued = true;
      setImmediate(flush);
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
      s.on("player/play", (payload) => played(index, payload));
      s.on("disconnect", (reason) => { if (!closing) fail(`${device}: disconnected (${reason})`); });
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
    // spread over the interval.
    if (sockets.length) {
      pinger = setInterval(() => {
        const batch = Math.ceil(sockets.length / 150);
        for (let i = 0; i < batch; i++) sockets[(pingIndex++) % sockets.length].emit("player/ping");
      }, 100);
    }
    send({ type: "opened", count: sockets.length });
  }

  function close() {
    closing = true;
    if (pinger) clearInterval(pinger);
    pinger = null;
    flush();
    for (const s of sockets) {
      s.removeAllListeners();
      s.close();
    }
    sockets.length = 0;
    send({ type: "closed" });
  }

  if (io) {
    parentPort.on("message", (msg) => {
      switch (msg.type) {
        case "open": open(msg).catch((e) => fail(e.stack || String(e))); break;
        case "loop-start":
          loopDelay = monitorEventLoopDelay({ resolution: 1 });
          loopDelay.enable();
          send({ type: "loop-started" });
          break;
        case "loop-stop":
          loopDelay.disable();
          send({ type: "loop", p50: loopDelay.percentile(50), p99: loopDelay.percentile(99), max: loopDelay.max });
          break;
        case "close":
          close();
          parentPort.close();
          break;
        default: fail(`unknown message ${JSON.stringify(msg)}`);
      }
    });
    send({ type: "ready" });
  }
}
