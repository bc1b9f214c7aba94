// What the screen shows: two stacked layers and the original player's transitions — new content
// fades in "through black" (the old layer fades out, the new one fades in once it is ready, 0.5 s
// each); pages of one document change at once. One <video> (also for audio, with a card over it),
// an <img> shown only once decoded (never a broken image), or a card (not converted yet, cannot be
// shown, nothing to show).
//
// It also owns the sound policy (muted=1 / sound=1 / remembered unlock, the "tap for sound" button),
// the stall watchdog of the playing media, and the status line.
//
// State for people and tests on #stage: data-role (content|placeholder|idle), data-kind
// (video|audio|image|page|card), data-file, data-page, data-phase (loading|shown).

const FADE_MS = 500;
const READY_TIMEOUT_MS = 10000;
const STALL_CHECK_MS = 2000;
const STALL_AFTER_MS = 10000;
const SOUND_KEY = 'vc_sound'; // the original player's key: a screen unlocked there stays unlocked

const el = (tag, props = {}, children = []) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k in e && typeof v !== 'string') e[k] = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) if (c) e.append(c);
  return e;
};

const delay = (ms) => new Promise((r) => setTimeout(r, ms));

export class View {
  // root: the page's container. t(key, params): the catalogue. storage: localStorage or null.
  constructor(root, { t, storage = null, forceMuted = false, forceSound = false, preview = false }) {
    this.t = t;
    this.storage = storage;
    this.forceMuted = forceMuted || preview;
    this.preview = preview;
    let remembered = false;
    try {
      remembered = storage?.getItem(SOUND_KEY) === '1';
    } catch {}
    this.soundOn = !this.forceMuted && (forceSound || remembered);
    this.cb = {};
    this.seq = 0;
    this.item = null;
    this.media = null; // the <video> of the visible item
    this.commandedPause = false;

    this.layers = [el('div', { class: 'layer' }), el('div', { class: 'layer' })];
    this.front = null;
    this.stage = el('main', { id: 'stage', 'aria-label': t('player.stage') }, this.layers);
    this.soundButton = el('button', { id: 'sound', class: 'sound', type: 'button', hidden: true }, [
      el('span', { 'aria-hidden': 'true', text: '🔊 ' }),
      t('player.sound'),
    ]);
    this.statusLine = el('div', { id: 'status', class: 'status hidden', role: 'status', 'aria-live': 'polite' });
    root.replaceChildren(this.stage, this.soundButton, this.statusLine);

    this.soundButton.addEventListener('click', () => this.unlockSound());
    if (!this.forceMuted) {
      // The original's rule: the first tap or key anywhere turns the sound on.
      const first = () => this.unlockSound();
      document.addEventListener('pointerdown', first, { once: true });
      document.addEventListener('keydown', first, { once: true });
    }
    this.lastTime = -1;
    this.lastMove = Date.now();
    this.recoveries = 0;
    setInterval(() => this.watchMedia(), STALL_CHECK_MS);
  }

  on(handlers) {
    this.cb = handlers;
  }

  // ---- showing -----------------------------------------------------------------------------------
  // item: {role, type, file, page, url, next?, loop, paused}. instant: swap without the fade (pages).
  show(item, { instant = false } = {}) {
    const seq = ++this.seq;
    this.item = item;
    this.commandedPause = !!item.paused;
    const back = this.layers.find((l) => l !== this.front);
    this.clearLayer(back);
    back.classList.remove('visible', 'instant');
    this.setState(item, item.type === 'video' ? 'video' : item.type === 'image' ? 'image' : 'page', 'loading');

    const built = item.type === 'video' ? this.buildMedia(item, seq) : this.buildImage(item, seq);
    back.append(built.node);
    const front = this.front;
    const swapAtOnce = instant && front && front.classList.contains('visible');
    if (front && !swapAtOnce) front.classList.remove('visible', 'instant'); // to black
    const faded = front && !swapAtOnce ? delay(FADE_MS) : Promise.resolve();
    const ready = Promise.race([built.ready.catch(() => {}), delay(READY_TIMEOUT_MS)]);
    Promise.all([ready, faded]).then(() => {
      if (seq !== this.seq) return;
      if (front) this.clearLayer(front);
      back.classList.toggle('instant', !!swapAtOnce);
      back.classList.add('visible');
      this.front = back;
      if (built.media && built.media.getAttribute('src')) {
        this.media = built.media;
        this.lastTime = -1;
        this.recoveries = 0;
        if (!this.commandedPause) this.play(built.media);
      }
      this.updateSoundButton();
      setTimeout(() => {
        if (seq === this.seq) this.stage.dataset.phase = 'shown';
      }, swapAtOnce ? 0 : FADE_MS);
    });
  }

  // An emergency message over whatever is shown (null: none). The text is the operator's, as given.
  message(text) {
    if (!text) {
      this.messageBox?.remove();
      this.messageBox = null;
      delete this.stage.dataset.message;
      return;
    }
    if (!this.messageBox) {
      this.messageBox = el('div', { id: 'message', class: 'message', role: 'alert' });
      this.stage.after(this.messageBox);
    }
    this.messageBox.replaceChildren(el('p', { text }));
    this.stage.dataset.message = 'shown';
  }

  // Nothing to show: a quiet card (no placeholder set, or the placeholder cannot be shown).
  idle(key, params) {
    this.seq++;
    this.item = null;
    const card = this.card(null, this.t(key, params));
    const back = this.layers.find((l) => l !== this.front);
    this.clearLayer(back);
    back.classList.remove('instant');
    back.append(card);
    const seq = this.seq;
    if (this.front) {
      this.front.classList.remove('visible', 'instant');
      const old = this.front;
      setTimeout(() => {
        if (seq === this.seq) this.clearLayer(old);
      }, FADE_MS);
    }
    back.classList.add('visible');
    this.front = back;
    this.media = null;
    this.setState({ role: 'idle', file: '', page: null }, 'card', 'loading');
    this.updateSoundButton();
    setTimeout(() => {
      if (seq === this.seq) this.stage.dataset.phase = 'shown';
    }, FADE_MS);
  }

  buildMedia(item, seq) {
    const v = el('video', { playsInline: true, preload: 'auto', disablePictureInPicture: true });
    v.setAttribute('playsinline', '');
    v.loop = !!item.loop;
    v.muted = !this.soundOn;
    const node = el('div', { class: 'media' }, [v]);
    const mine = () => seq === this.seq;
    let started = false;
    const ready = new Promise((resolve) => {
      v.addEventListener('loadeddata', resolve, { once: true });
      v.addEventListener('error', resolve, { once: true });
    });
    v.addEventListener('loadedmetadata', () => {
      // A scheduled video joined late (a reconnect): start where the schedule is, if it is inside.
      const at = (item.offsetMs || 0) / 1000;
      if (at >= 1 && Number.isFinite(v.duration) && at < v.duration - 0.5 && mine()) v.currentTime = at;
      // No picture: audio. A card says what is playing instead of a black screen.
      if (v.videoWidth === 0 && mine()) {
        node.append(this.card('♪', this.t('player.audio', { file: item.file }), 'audio'));
        this.stage.dataset.kind = 'audio';
      }
    });
    v.addEventListener('playing', () => {
      this.recoveries = 0;
      if (!started && mine()) {
        started = true;
        this.cb.playing?.(item);
      }
    });
    v.addEventListener('ended', () => {
      if (mine()) this.cb.ended?.(item, v.currentTime);
    });
    v.addEventListener('error', () => {
      if (!mine()) return;
      const code = v.error ? ['aborted', 'network', 'decode', 'unsupported'][v.error.code - 1] ?? 'media' : 'media';
      const position = v.currentTime;
      this.stopMedia(v);
      if (this.media === v) this.media = null;
      node.replaceChildren(this.card(item.file, this.t('player.unavailable', { file: item.file })));
      this.stage.dataset.kind = 'card';
      this.updateSoundButton();
      this.cb.error?.(item, code, position);
    });
    v.src = item.url;
    return { node, ready, media: v };
  }

  // The image loads in an <img> with its real address (the service worker answers from its cache
  // when it has it); the layer is shown only once the picture is decoded. When it cannot be, one
  // request says why: a page the server has not converted yet (404), another status, no server.
  buildImage(item, seq) {
    const isPage = item.type !== 'image';
    const node = el('div', { class: 'media' });
    const mine = () => seq === this.seq;
    const img = el('img', { alt: isPage ? this.t('player.page_alt', { file: item.file, page: item.page }) : item.file });
    img.decoding = 'async';
    img.src = item.url;
    node.append(img);
    const ready = (async () => {
      try {
        await img.decode();
      } catch {
        if (!mine()) return;
        img.remove();
        let code = 'unreachable';
        try {
          const res = await fetch(item.url);
          code = res.ok ? 'decode' : isPage && res.status === 404 ? 'not_converted' : `http_${res.status}`;
        } catch {}
        if (!mine()) return;
        const text =
          code === 'not_converted'
            ? this.t('player.not_converted', { file: item.file, page: item.page })
            : code === 'unreachable'
              ? this.t('player.unreachable', { file: item.file })
              : this.t('player.unavailable', { file: item.file });
        node.append(this.card(item.file, text, code === 'not_converted' ? 'pending' : ''));
        this.stage.dataset.kind = 'card';
        queueMicrotask(() => this.cb.error?.(item, code));
        return;
      }
      if (!mine()) return;
      queueMicrotask(() => {
        if (mine()) this.cb.playing?.(item);
      });
      // The next page, so the next click is instant (and cached for offline use).
      if (item.next) fetch(item.next).catch(() => {});
    })();
    return { node, ready };
  }

  card(title, text, variant = '') {
    const c = el('div', { class: `card ${variant}`.trim() });
    if (title) c.append(el('p', { class: 'card-title', text: title }));
    c.append(el('p', { class: 'card-text', text }));
    return c;
  }

  clearLayer(layer) {
    for (const v of layer.querySelectorAll('video')) this.stopMedia(v);
    for (const img of layer.querySelectorAll('img')) img.removeAttribute('src'); // stop a load in progress
    layer.replaceChildren();
    if (this.media && !this.media.isConnected) this.media = null;
  }

  stopMedia(v) {
    try {
      v.pause();
      v.removeAttribute('src');
      v.load(); // lets the browser drop the connection and the decoder
    } catch {}
  }

  setState(item, kind, phase) {
    const d = this.stage.dataset;
    d.role = item.role;
    d.kind = kind;
    d.file = item.file ?? '';
    if (item.page) d.page = String(item.page);
    else delete d.page;
    d.phase = phase;
  }

  // ---- commands ----------------------------------------------------------------------------------
  pause() {
    this.commandedPause = true;
    if (this.media && !this.media.paused) {
      this.media.pause();
      this.cb.paused?.(this.item, this.media.currentTime);
    }
  }

  resume() {
    this.commandedPause = false;
    if (this.media) this.play(this.media);
  }

  restart() {
    this.commandedPause = false;
    if (!this.media) return;
    this.media.currentTime = 0;
    this.play(this.media);
  }

  // Autoplay with sound may be refused without a gesture: play muted and offer the sound button.
  play(v) {
    v.muted = !this.soundOn || this.blocked;
    const p = v.play();
    p?.catch?.((e) => {
      if (v !== this.media || e?.name !== 'NotAllowedError') return;
      if (!v.muted) {
        v.muted = true;
        v.play().catch(() => {});
      }
      this.blocked = true;
      this.updateSoundButton();
    });
    this.updateSoundButton();
  }

  unlockSound() {
    if (this.forceMuted) return;
    this.soundOn = true;
    this.blocked = false;
    try {
      this.storage?.setItem(SOUND_KEY, '1');
    } catch {}
    if (this.media) {
      this.media.muted = false;
      if (!this.commandedPause) this.play(this.media);
    }
    this.updateSoundButton();
  }

  updateSoundButton() {
    const want = !this.forceMuted && !!this.media && (!this.soundOn || this.blocked);
    this.soundButton.hidden = !want;
  }

  // A video that should be playing but whose time stands still is reloaded at its position; the
  // first stall of an episode is reported (the screen keeps trying, it does not give up).
  watchMedia() {
    const v = this.media;
    if (!v || !v.isConnected || this.commandedPause || v.ended || v.error) {
      this.lastTime = -1;
      return;
    }
    if (v.paused) {
      this.play(v); // paused by the browser (power saving, a lost autoplay grant): try again
    }
    const now = Date.now();
    if (v.currentTime !== this.lastTime) {
      this.lastTime = v.currentTime;
      this.lastMove = now;
      return;
    }
    if (now - this.lastMove < STALL_AFTER_MS) return;
    this.lastMove = now;
    const position = v.currentTime;
    if (this.recoveries++ === 0) this.cb.stalled?.(this.item, position);
    const src = v.currentSrc || v.src;
    v.addEventListener(
      'loadedmetadata',
      () => {
        try {
          v.currentTime = position;
        } catch {}
        if (!this.commandedPause) this.play(v);
      },
      { once: true },
    );
    v.src = src;
    v.load();
  }

  // ---- status line -------------------------------------------------------------------------------
  // A short line at the bottom; it fades after a few seconds unless `sticky` (offline, refused).
  status(key, params, sticky = false) {
    const s = this.statusLine;
    s.textContent = this.t(key, params);
    s.classList.remove('hidden');
    clearTimeout(this.statusTimer);
    if (!sticky) this.statusTimer = setTimeout(() => s.classList.add('hidden'), 6000);
  }
}
