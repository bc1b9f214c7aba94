// The player's realtime channel: Engine.IO v4 / Socket.IO v5 over one WebSocket (PROTOCOL.md,
// "Transport"), just what a player needs and nothing a kiosk could trip over in months of running:
//
// - reconnects forever, with exponential back-off (base × 2^attempt, capped, with jitter so a
//   restarted server is not hit by every screen at once); `healthy()` resets the back-off once the
//   server has accepted the player, `refused()` slows it down for a refusal that will not fix itself;
// - a watchdog: no frame from the server for `silenceMs` (the player pings every few seconds, and
//   the server pings too) means a dead connection that the browser has not noticed: drop it and
//   reconnect, without waiting for a close event a broken network may never deliver; the same for a
//   handshake that does not finish within `handshakeMs`.
//
// No DOM: it takes the WebSocket class, so the protocol tests run it in Node. No socket.io-client:
// the player needs a fraction of it and owns its timing.

// A Socket.IO v5 text packet: type digit, optional "/nsp,", optional ack id, optional JSON.
export function parsePacket(text) {
  const p = { type: text.charCodeAt(0) - 48, nsp: '/', id: null, data: undefined };
  if (!(p.type >= 0 && p.type <= 6)) return null;
  let i = 1;
  if (text[i] === '/') {
    const comma = text.indexOf(',', i);
    if (comma < 0) return null;
    p.nsp = text.slice(i, comma);
    i = comma + 1;
  }
  let digits = '';
  while (i < text.length && text[i] >= '0' && text[i] <= '9') digits += text[i++];
  if (digits) p.id = Number(digits);
  if (i < text.length) {
    try {
      p.data = JSON.parse(text.slice(i));
    } catch {
      return null;
    }
  }
  return p;
}

export class Channel {
  // url: ws(s)://host/socket.io/?EIO=4&transport=websocket
  // handlers: onConnect(), onEvent(name, arg), onDown(delayMs) (a retry is scheduled),
  //           onRefused(message) (CONNECT_ERROR)
  constructor({ url, WebSocket, handlers, baseMs = 500, maxMs = 15000, silenceMs = 30000, handshakeMs = 10000 }) {
    this.url = url;
    this.WS = WebSocket;
    this.h = handlers;
    this.baseMs = baseMs;
    this.maxMs = maxMs;
    this.silenceMs = silenceMs;
    this.handshakeMs = handshakeMs;
    this.ws = null;
    this.connected = false; // Socket.IO CONNECT accepted
    this.attempts = 0;
    this.stopped = true;
    this.lastHeard = 0;
    this.retryTimer = null;
    this.watchTimer = null;
    this.retryAt = 0;
  }

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    this.open();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.close();
  }

  // The server accepted us (player/registered): the next failure starts the back-off afresh.
  healthy() {
    this.attempts = 0;
  }

  // A refusal that does not fix itself quickly (unknown device, wrong credential): retry slowly.
  refused() {
    this.attempts = Math.max(this.attempts, 12);
    this.drop();
  }

  // Try now instead of waiting for the timer (the browser says it is online again).
  kick() {
    if (this.stopped || this.ws) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.open();
  }

  emit(name, data) {
    if (!this.connected) return false;
    return this.send('42' + JSON.stringify(data === undefined ? [name] : [name, data]));
  }

  send(text) {
    if (!this.ws || this.ws.readyState !== 1) return false;
    try {
      this.ws.send(text);
      return true;
    } catch {
      return false;
    }
  }

  open() {
    this.retryTimer = null;
    this.connected = false;
    let ws;
    try {
      ws = new this.WS(this.url);
    } catch {
      this.scheduleRetry();
      return;
    }
    this.ws = ws;
    this.lastHeard = Date.now();
    this.handshakeUntil = this.lastHeard + this.handshakeMs;
    ws.onmessage = (e) => {
      if (this.ws === ws) this.onFrame(String(e.data));
    };
    ws.onclose = () => {
      if (this.ws === ws) this.drop();
    };
    ws.onerror = () => {}; // onclose follows
    clearInterval(this.watchTimer);
    this.watchTimer = setInterval(() => this.watch(), Math.min(5000, Math.max(250, this.silenceMs / 4)));
  }

  watch() {
    if (!this.ws) return;
    const now = Date.now();
    if (!this.connected && now > this.handshakeUntil) return this.drop();
    if (now - this.lastHeard > this.silenceMs) this.drop();
  }

  close() {
    clearInterval(this.watchTimer);
    this.watchTimer = null;
    const ws = this.ws;
    this.ws = null;
    this.connected = false;
    if (ws) {
      ws.onmessage = ws.onclose = ws.onerror = null;
      try {
        ws.close();
      } catch {}
    }
  }

  // The connection is gone or useless: close it and schedule the next attempt.
  drop() {
    const had = this.ws !== null;
    this.close();
    if (!this.stopped && had) this.scheduleRetry();
  }

  delayFor(attempt) {
    const cap = attempt >= 12 ? this.maxMs * 2 : this.maxMs; // refused(): slower
    const base = Math.min(cap, this.baseMs * 2 ** Math.min(attempt, 16));
    return Math.round(base * (0.5 + Math.random() / 2));
  }

  scheduleRetry() {
    if (this.stopped || this.retryTimer) return;
    const delay = this.delayFor(this.attempts);
    this.attempts++;
    this.retryAt = Date.now() + delay;
    this.retryTimer = setTimeout(() => this.open(), delay);
    this.h.onDown?.(delay);
  }

  // One Engine.IO packet (one WebSocket frame).
  onFrame(text) {
    this.lastHeard = Date.now();
    switch (text[0]) {
      case '0': // open: Socket.IO CONNECT without auth (players identify with player/register)
        this.send('40');
        return;
      case '2': // ping → pong
        this.send('3' + text.slice(1));
        return;
      case '4':
        return this.onSocketIo(text.slice(1));
      case '1': // close
        return this.drop();
      default: // pong, noop, upgrade
        return;
    }
  }

  onSocketIo(text) {
    const p = parsePacket(text);
    if (!p || p.nsp !== '/') return;
    if (p.type === 0) {
      this.connected = true;
      this.h.onConnect?.();
    } else if (p.type === 2 && Array.isArray(p.data) && typeof p.data[0] === 'string') {
      this.h.onEvent?.(p.data[0], p.data[1]);
    } else if (p.type === 4) {
      this.h.onRefused?.(p.data?.message ?? '');
      this.drop();
    } else if (p.type === 1) {
      this.drop();
    }
  }
}
