// The player's protocol side (PROTOCOL.md and docs/protocol.md): registers as the device, applies
// the server's events to what is shown, falls back to the placeholder, remembers the last state so a
// reload without a server shows the same content (the service worker has its bytes), and reports
// playback to the server with `player/status` (an extension 2.x players never send).
//
// No DOM: what is shown is the view's business (view.js in the browser, a fake in the Node tests).
// The view calls back `playing(item)`, `paused(item, position)`, `ended(item, position)`,
// `error(item, code, position)` for the item it was given, and nothing for an item it has replaced.
import { Channel } from './channel.js';
import { inferType, isPaged, knownType, urls } from './content.js';

const CAPABILITIES = { video: true, audio: true, images: true, pdf: true, pptx: true, streaming: false };

export class Player {
  // deviceId, token: who we are. view: see above. wsUrl + WebSocket: the channel. fetch: for the
  // placeholder. storage: localStorage or null. appPingMs: player/ping period (the server forgets a
  // player silent for 30 s). channel: options for Channel (back-off, watchdog).
  constructor({ deviceId, token = '', view, wsUrl, WebSocket, fetch, storage = null, appPingMs = 15000, channel = {}, onKeep = null }) {
    this.deviceId = deviceId;
    this.token = token;
    this.view = view;
    this.fetch = fetch;
    this.storage = storage;
    this.appPingMs = appPingMs;
    this.onKeep = onKeep;
    this.u = urls(deviceId, token);
    this.current = null; // {type, file, page} of the content shown (null: the placeholder)
    this.paused = false;
    this.finished = null; // the file that ended here (its state on the server still says playing)
    this.placeholder = undefined; // its name once known (null: none set)
    this.placeholderShown = null; // the name the view shows now
    this.placeholderSeq = 0;
    this.registered = false;
    this.pingTimer = null;
    this.events = []; // the last server events, newest last (diagnostics and tests)
    this.channel = new Channel({
      url: wsUrl,
      WebSocket,
      ...channel,
      handlers: {
        onConnect: () => this.onConnect(),
        onEvent: (n, a) => this.onEvent(n, a),
        onDown: (ms) => this.onDown(ms),
        onRefused: (m) => this.view.status('player.refused', { reason: m }),
      },
    });
    view.on({
      playing: (item) => this.report('playing', item),
      paused: (item, position) => this.report('paused', item, { position }),
      ended: (item, position) => this.onEnded(item, position),
      error: (item, code, position) => this.onError(item, code, position),
      stalled: (item, position) => this.report('error', item, { error: 'stalled', position }),
    });
  }

  // ---- lifecycle ---------------------------------------------------------------------------------
  start() {
    const saved = this.load();
    this.finished = saved.finished ?? null;
    this.placeholder = saved.placeholder;
    if (saved.current && knownType(saved.current.type) && saved.current.file) {
      this.show(saved.current, { paused: !!saved.paused });
    } else {
      this.showPlaceholder();
    }
    this.view.status('player.connecting');
    this.channel.start();
  }

  stop() {
    this.channel.stop();
    clearInterval(this.pingTimer);
    this.pingTimer = null;
  }

  // Preview mode (the original's ?preview=1&file=&type=&page=): one file, looped and muted, or the
  // placeholder without a file; never registers, never reports.
  preview({ file, type, page }) {
    this.previewing = true;
    if (!file) return this.showPlaceholder();
    const t = knownType(type) && type !== 'audio' ? type : inferType(file);
    this.show({ type: t, file, page: page > 0 ? page : 1 }, { loop: true });
  }

  // ---- channel -----------------------------------------------------------------------------------
  onConnect() {
    const reg = { device_id: this.deviceId, device_type: 'browser', platform: 'web', capabilities: CAPABILITIES };
    if (this.token) reg.token = this.token;
    this.channel.emit('player/register', reg);
    clearInterval(this.pingTimer);
    this.pingTimer = setInterval(() => this.channel.emit('player/ping'), this.appPingMs);
  }

  onDown(delayMs) {
    this.registered = false;
    clearInterval(this.pingTimer);
    this.pingTimer = null;
    // After a refusal its reason stays on screen; otherwise: offline, retrying.
    if (!this.rejected) this.view.status('player.offline', { seconds: Math.max(1, Math.round(delayMs / 1000)) }, true);
  }

  onEvent(name, arg) {
    this.events.push([name, arg]);
    if (this.events.length > 50) this.events.shift();
    switch (name) {
      case 'player/registered':
        this.registered = true;
        this.rejected = false;
        this.channel.healthy();
        this.view.status('player.connected', { device: this.deviceId });
        this.onRegistered?.();
        return;
      case 'player/reject':
        this.rejected = true;
        this.view.status(arg?.reason === 'unknown device' ? 'player.unknown_device' : 'player.bad_credential', { device: this.deviceId }, true);
        this.channel.refused();
        return;
      case 'player/state':
        return this.applyState(arg);
      case 'player/play':
        if (arg && typeof arg.file === 'string' && arg.file) {
          const type = knownType(arg.type) ? arg.type : inferType(arg.file);
          // From a schedule: the playlist's transition ("none" swaps at once) and, after a
          // reconnect, how far into the item the schedule is (videos seek there).
          const offsetMs = Number.isFinite(arg.offset_ms) && arg.offset_ms > 0 ? arg.offset_ms : 0;
          this.play({ type, file: arg.file, page: arg.page, offsetMs }, { instant: arg.transition === 'none' });
        }
        return;
      case 'player/message':
        // An emergency override's text over everything; {text: null} takes it away.
        return this.view.message(arg && typeof arg.text === 'string' && arg.text ? arg.text : null);
      case 'player/pause':
        this.paused = true;
        this.save();
        return this.view.pause();
      case 'player/resume':
        this.paused = false;
        if (!this.current && this.finished) return this.play(this.finished);
        this.save();
        return this.view.resume();
      case 'player/restart':
        this.paused = false;
        if (!this.current && this.finished) return this.play(this.finished);
        if (this.current && isPaged(this.current.type)) return this.setPage(1);
        this.save();
        return this.view.restart();
      case 'player/stop':
        this.finished = null;
        return this.toPlaceholder();
      case 'player/pdfPage':
      case 'player/pptxPage':
      case 'player/folderPage':
        if (Number.isInteger(arg) && arg > 0) this.setPage(arg);
        return;
      case 'placeholder/refresh':
        if (this.current) return; // shown after the content
        this.placeholderShown = null; // reload it even under the same name
        return this.showPlaceholder();
      default:
        return; // player/pong and events this player does not know
    }
  }

  // player/state: the persisted now-playing state, on every registration.
  applyState(s) {
    if (!(s && typeof s.file === 'string' && s.file && (s.state === 'playing' || s.state === 'paused'))) {
      this.finished = null;
      return this.toPlaceholder();
    }
    const type = knownType(s.type) ? s.type : inferType(s.file);
    const cur = this.current;
    const paused = s.state === 'paused';
    if (cur && cur.file === s.file && cur.type === type) {
      if (isPaged(type) && Number.isInteger(s.page) && s.page !== cur.page) this.setPage(s.page);
      this.paused = paused;
      this.save();
      return paused ? this.view.pause() : this.view.resume();
    }
    // It played to its end here while the server still says "playing": stay on the placeholder
    // until the next command instead of starting it again on every reconnect.
    if (!cur && this.finished && this.finished.file === s.file && !paused) return;
    this.play({ type, file: s.file, page: s.page }, { paused });
  }

  // ---- what is shown -----------------------------------------------------------------------------
  play(item, { paused = false, instant = false } = {}) {
    this.finished = null;
    this.show(item, { paused, instant });
  }

  show(item, { paused = false, loop = false, instant = false } = {}) {
    const type = item.type;
    const page = isPaged(type) ? (Number.isInteger(item.page) && item.page > 0 ? item.page : 1) : null;
    this.current = { type, file: item.file, page };
    this.paused = paused;
    this.placeholderShown = null;
    this.placeholderSeq++;
    this.save();
    this.view.show({
      role: 'content',
      type,
      file: item.file,
      page,
      url: isPaged(type) ? this.u.page(type, item.file, page) : this.u.file(item.file),
      next: isPaged(type) ? this.u.page(type, item.file, page + 1) : null,
      loop,
      paused,
      offsetMs: type === 'video' ? item.offsetMs || 0 : 0,
    }, { instant });
    this.keep();
  }

  setPage(page) {
    const cur = this.current;
    if (!cur || !isPaged(cur.type)) return;
    cur.page = page;
    this.save();
    this.view.show(
      {
        role: 'content',
        type: cur.type,
        file: cur.file,
        page,
        url: this.u.page(cur.type, cur.file, page),
        next: this.u.page(cur.type, cur.file, page + 1),
        paused: false,
      },
      { instant: true },
    );
    this.keep();
  }

  toPlaceholder() {
    this.current = null;
    this.paused = false;
    this.save();
    this.showPlaceholder();
  }

  // The device's idle content, looped. Its name comes from the server (or, offline, from the
  // service worker's copy of the answer); nothing set → the view's idle card.
  async showPlaceholder() {
    const seq = ++this.placeholderSeq;
    let name = this.placeholder;
    try {
      const r = await this.fetch(this.u.placeholder(), { cache: 'no-store' });
      if (r.ok) name = (await r.json())?.placeholder ?? null;
      else if (r.status === 404) name = null;
    } catch {
      // offline: the last known name (the service worker may still have the bytes)
    }
    if (seq !== this.placeholderSeq || (this.current && !this.previewing)) return; // something else started meanwhile
    if (name !== undefined) this.placeholder = name;
    this.save();
    this.keep();
    if (!name) {
      this.placeholderShown = null;
      return this.view.idle(this.placeholder === undefined ? 'player.waiting' : 'player.no_placeholder', { device: this.deviceId });
    }
    if (this.placeholderShown === name) return;
    this.placeholderShown = name;
    const type = inferType(name);
    this.view.show({
      role: 'placeholder',
      type,
      file: name,
      page: isPaged(type) ? 1 : null,
      url: isPaged(type) ? this.u.page(type, name, 1) : this.u.file(name),
      loop: true,
      paused: false,
    });
  }

  // ---- what the view tells us --------------------------------------------------------------------
  onEnded(item, position) {
    this.report('ended', item, { position });
    if (item.role !== 'content' || this.previewing) return;
    this.finished = { type: item.type, file: item.file };
    this.toPlaceholder();
  }

  onError(item, code, position) {
    this.report('error', item, { error: code, position });
    if (item.role !== 'content') {
      this.placeholderShown = null;
      return this.view.idle('player.placeholder_unavailable', { file: item.file });
    }
    // A page that is not converted yet keeps its card (the file is what was asked for); anything
    // else falls back to the placeholder. The server's state is unchanged, so the next registration
    // tries the file again.
    if (code === 'not_converted' || this.previewing) return;
    this.current = null;
    this.save();
    this.showPlaceholder();
  }

  // player/status {state, file, type, page?, position?, error?}: to the server, which tells the
  // organisation's control panels (docs/protocol.md). Only for content, only while registered.
  report(state, item, extra = {}) {
    if (item.role !== 'content' || this.previewing || !this.registered) return;
    const s = { state, file: item.file, type: item.type };
    if (item.page) s.page = item.page;
    if (Number.isFinite(extra.position) && extra.position >= 0) s.position = Math.round(extra.position * 1000) / 1000;
    if (extra.error) s.error = String(extra.error).slice(0, 200);
    this.channel.emit('player/status', s);
  }

  // ---- memory (localStorage) and the service worker's keep list ----------------------------------
  key() {
    return `vc.player.${this.deviceId}`;
  }

  load() {
    if (this.previewing) return {};
    try {
      return JSON.parse(this.storage?.getItem(this.key()) ?? '{}') ?? {};
    } catch {
      return {};
    }
  }

  save() {
    if (this.previewing || !this.storage) return;
    try {
      this.storage.setItem(
        this.key(),
        JSON.stringify({ current: this.current, paused: this.paused, finished: this.finished, placeholder: this.placeholder }),
      );
    } catch {}
  }

  // What the offline cache must hold now: the placeholder (its answer and bytes) and the content.
  keep() {
    if (!this.onKeep) return;
    const keepUrls = [this.u.placeholder()];
    const prefixes = [];
    if (this.placeholder) {
      const t = inferType(this.placeholder);
      if (isPaged(t)) {
        keepUrls.push(this.u.page(t, this.placeholder, 1));
        prefixes.push(this.u.pagePrefix(t, this.placeholder));
      } else keepUrls.push(this.u.file(this.placeholder));
    }
    const cur = this.current;
    if (cur) {
      if (isPaged(cur.type)) {
        keepUrls.push(this.u.page(cur.type, cur.file, cur.page));
        prefixes.push(this.u.pagePrefix(cur.type, cur.file));
      } else keepUrls.push(this.u.file(cur.file));
    }
    this.onKeep({ urls: keepUrls, prefixes });
  }
}
