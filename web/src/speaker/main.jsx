// The speaker panel (/speaker), for a presenter on a tablet or a phone: pick a screen, see what it
// shows now (live, whichever panel changed it), play one of its files, pause / resume / restart /
// stop, turn pages (buttons, swipe on the preview, arrow keys, a presenter's clicker sending
// PageUp/PageDown), jump to a page. Every command goes over the Socket.IO control connection and its
// ack (done, or refused with the server's reason) shows under the buttons pressed.
//
// Who: speakers land here after sign-in; operators, admins and the superadmin may open it too (the
// admin panel links here). A viewer may not control playback, so a viewer gets the same live view
// without any control: useful to watch what the screens show, and the server refuses commands anyway.
// The device chosen last is remembered per tab (sessionStorage), like the superadmin's organisation.
import { render } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import '../common/base.css';
import './speaker.css';
import { logout, onSession, session, toSignIn } from '../common/api.js';
import { PasswordDialog } from '../common/password.jsx';
import { formatAgo, lang, t } from '../common/i18n.js';
import { can } from '../common/roles.js';
import { control } from '../common/socket.js';
import { LanguageSelect, ThemeSelect, Toasts, applyTheme, errorText, toast, useLang } from '../common/ui.jsx';
import { Pages, Transport } from './controls.jsx';
import { DevicePicker, OnlineBadge } from './devices.jsx';
import { FileList } from './files.jsx';
import { Icon } from './icons.jsx';
import { devicePath, forgetMedia, get, getAll, isPaged, mediaInfo } from './data.js';
import { useLive } from './live.js';
import { Preview } from './preview.jsx';

applyTheme();

const STORE = 'vc.speaker.device';
function storedDevice() {
  try {
    return new URLSearchParams(location.search).get('device') || sessionStorage.getItem(STORE) || '';
  } catch {
    return '';
  }
}
function storeDevice(id) {
  try {
    sessionStorage.setItem(STORE, id);
  } catch {}
}

// `value`, once it has stopped changing for `ms` (coalesces bursts of devices/updated).
function useSettled(value, ms) {
  const [v, setV] = useState(value);
  useEffect(() => {
    const id = setTimeout(() => setV(value), ms);
    return () => clearTimeout(id);
  }, [value]);
  return v;
}

// The reason a command was refused, for a person: the server's own sentence (Socket.IO acks carry
// it as a string), or ours for what happened on the way.
// The server's ack also names its error code: the reason then starts in the person's language.
function reasonOf(error, code) {
  if (!error) return t('speaker.ack.unknown');
  if (typeof error === 'string') {
    const known = ['not_found', 'invalid', 'forbidden', 'conflict', 'unauthenticated', 'rate_limited', 'unavailable'];
    return known.includes(code) ? t(`speaker.why.${code}`, { detail: error }) : error;
  }
  if (error.code === 'timeout') return t('speaker.ack.timeout');
  if (error.code === 'no_answer') return t('speaker.ack.no_answer');
  return error.message || error.code || t('speaker.ack.unknown');
}

function Account({ user }) {
  const [open, setOpen] = useState(false);
  const [password, setPassword] = useState(false);
  const ref = useRef(null);
  useEffect(() => {
    if (!open) return;
    const away = (e) => !ref.current?.contains(e.target) && setOpen(false);
    document.addEventListener('pointerdown', away);
    return () => document.removeEventListener('pointerdown', away);
  }, [open]);
  const out = async (everywhere) => {
    try {
      await logout(everywhere);
    } catch {}
    location.replace('/signin');
  };
  return (
    <div class="sp-menu" ref={ref} onKeyDown={(e) => e.key === 'Escape' && setOpen(false)}>
      <button type="button" class="sp-menu-btn" aria-expanded={open} aria-controls="sp-menu-panel" onClick={() => setOpen(!open)} data-testid="account-menu">
        <Icon name="menu" size={22} />
        <span class="sp-user">{user.username}</span>
        <span class="visually-hidden">{t('speaker.menu.label')}</span>
      </button>
      {open && (
        <div id="sp-menu-panel" class="sp-menu-panel">
          <p class="muted sp-menu-who">{t('speaker.menu.signed_in_as', { user: user.username, role: t(`role.${user.role}`) })}</p>
          <div class="sp-menu-settings">
            <LanguageSelect />
            <ThemeSelect />
          </div>
          {user.role !== 'speaker' && (
            <a class="button" href="/admin">
              {t('nav.admin')}
            </a>
          )}
          <button type="button" onClick={() => { setOpen(false); setPassword(true); }}>
            {t('account.change_password')}
          </button>
          <button type="button" onClick={() => out(false)} data-testid="sign-out">
            {t('account.sign_out')}
          </button>
          <button type="button" onClick={() => out(true)}>
            {t('account.sign_out_everywhere')}
          </button>
        </div>
      )}
      {password && <PasswordDialog onClose={() => setPassword(false)} />}
    </div>
  );
}

function Panel({ user, live }) {
  const canControl = can(user, 'control');
  const [devices, setDevices] = useState({ items: [], loading: true, error: '' });
  const [selectedId, setSelectedId] = useState(storedDevice);
  const [detail, setDetail] = useState(null);
  const [files, setFiles] = useState({ device: '', items: [], loading: false, error: '', more: false });
  const [selectedFile, setSelectedFile] = useState(null);
  const [placeholderKind, setPlaceholderKind] = useState({});
  const [pageCounts, setPageCounts] = useState({});
  const [ack, setAck] = useState(null);
  const seq = useRef(0);
  // Reload on devices/updated (settled) and after a reconnect (events may have been missed); the
  // first connection needs no reload.
  const changed = useSettled(live.version, 400);
  const resync = Math.max(1, live.epoch);

  useEffect(() => {
    let gone = false;
    getAll('/api/v1/devices').then(
      (r) => !gone && setDevices({ items: r.items, loading: false, error: '' }),
      (e) => !gone && setDevices((d) => ({ ...d, loading: false, error: errorText(e) })),
    );
    return () => (gone = true);
  }, [changed, resync]);

  const isOnline = (d) => (live.online ? live.online.has(d.device_id) : d.status === 'online');
  const sorted = useMemo(
    () =>
      [...devices.items].sort(
        (a, b) => isOnline(b) - isOnline(a) || (a.name || a.device_id).localeCompare(b.name || b.device_id, lang, { numeric: true }),
      ),
    [devices.items, live.online],
  );

  // Keep the choice valid: the remembered device if it is still there, else the first listed.
  useEffect(() => {
    if (devices.loading || devices.error) return;
    if (!sorted.some((d) => d.device_id === selectedId)) setSelectedId(sorted[0]?.device_id ?? '');
  }, [sorted, devices.loading]);
  useEffect(() => {
    if (selectedId) storeDevice(selectedId);
    setSelectedFile(null);
    setAck(null);
    seq.current++;
  }, [selectedId]);

  // The chosen device: its details (placeholder, now playing; fresh, unlike the cached list) and files.
  useEffect(() => {
    if (!selectedId) return;
    let gone = false;
    const id = selectedId;
    const mark = live.mark(id);
    get(devicePath(id)).then(
      (d) => {
        if (gone) return;
        setDetail(d);
        live.applyRead(id, d.now_playing, mark);
      },
      () => {},
    );
    setFiles((f) => (f.device === id ? { ...f, loading: true } : { device: id, items: [], loading: true, error: '', more: false }));
    getAll(`${devicePath(id)}/media`).then(
      (r) => !gone && setFiles({ device: id, items: r.items, loading: false, error: '', more: r.more }),
      (e) => !gone && setFiles({ device: id, items: [], loading: false, error: errorText(e), more: false }),
    );
    return () => (gone = true);
  }, [selectedId, changed, resync]);

  const device = sorted.find((d) => d.device_id === selectedId) ?? null;
  const det = detail?.device_id === selectedId ? detail : null;
  const placeholderId = det?.placeholder_media_id ?? null;
  const deviceFiles = files.device === selectedId ? files.items : [];
  const byName = useMemo(() => new Map(deviceFiles.map((f) => [f.name, f])), [deviceFiles]);
  const visible = useMemo(() => deviceFiles.filter((f) => f.id !== placeholderId), [deviceFiles, placeholderId]);
  const state = live.playing[selectedId] ?? null;
  const current = state?.file ? byName.get(state.file) ?? null : null;
  const selected = selectedFile ? visible.find((f) => f.name === selectedFile) ?? null : null;

  // The placeholder's kind (image or video) for the preview when nothing plays.
  const phFromList = placeholderId ? deviceFiles.find((f) => f.id === placeholderId) : null;
  useEffect(() => {
    if (!placeholderId || phFromList || placeholderKind[placeholderId]) return;
    mediaInfo(placeholderId).then((m) => setPlaceholderKind((k) => ({ ...k, [placeholderId]: m?.kind })), () => {});
  }, [placeholderId, !!phFromList]);
  const placeholder = placeholderId ? { id: placeholderId, kind: phFromList?.kind ?? placeholderKind[placeholderId] ?? null } : null;

  // Page counts only for the files whose pages matter now (the list lacks them; see data.js).
  useEffect(() => {
    for (const f of [current, selected]) {
      if (!f || !isPaged(f.kind) || f.id in pageCounts) continue;
      mediaInfo(f.id).then((m) => setPageCounts((p) => ({ ...p, [f.id]: m?.page_count ?? 0 })), () => {});
    }
  }, [current?.id, selected?.id, pageCounts]); // mediaInfo() asks once per item however often this runs
  const pageCount = current ? pageCounts[current.id] || 0 : 0;
  // Lists changed: a file's pages may have been counted meanwhile (the content pipeline); ask again.
  useEffect(() => {
    setPageCounts((p) => {
      const unknown = Object.keys(p).filter((id) => !p[id]);
      if (!unknown.length) return p;
      unknown.forEach(forgetMedia);
      return Object.fromEntries(Object.entries(p).filter(([, n]) => n));
    });
  }, [changed]);

  // One command: "sending…" at once, then the ack in the group's line.
  const send = async (group, event, extra, label) => {
    if (!selectedId || !canControl) return;
    const id = ++seq.current;
    const deviceId = selectedId;
    if (!live.socket?.connected) {
      setAck({ id, group, label, status: 'error', reason: t('speaker.ack.not_connected') });
      return;
    }
    setAck({ id, group, label, status: 'pending' });
    const t0 = performance.now();
    const r = await control(live.socket, event, { device_id: deviceId, ...extra });
    const ms = Math.max(1, Math.round(performance.now() - t0));
    if (r?.ok && r.state) live.applyState(deviceId, r.state);
    if (seq.current !== id) return; // a later press (or another device) shows its own outcome
    setAck(r?.ok ? { id, group, label, status: 'ok', ms } : { id, group, label, status: 'error', reason: reasonOf(r?.error, r?.code) });
  };
  const refuse = (group, label, reason) => setAck({ id: ++seq.current, group, label, status: 'error', reason });
  const turn = (dir, how) => {
    const label = t(dir === 'next' ? 'speaker.pages.next' : 'speaker.pages.prev');
    send('pages', dir === 'next' ? 'control/pdfNext' : 'control/pdfPrev', {}, how === 'swipe' ? t('speaker.pages.swiped', { action: label }) : label);
  };

  // A presenter's clicker sends PageDown / PageUp: turn the page, unless typing somewhere.
  const turnRef = useRef(turn);
  turnRef.current = turn;
  useEffect(() => {
    const key = (e) => {
      if (e.altKey || e.ctrlKey || e.metaKey || /^(INPUT|SELECT|TEXTAREA)$/.test(e.target?.tagName ?? '')) return;
      if (e.key === 'PageDown') turnRef.current('next', 'key');
      else if (e.key === 'PageUp') turnRef.current('prev', 'key');
      else return;
      e.preventDefault();
    };
    addEventListener('keydown', key);
    return () => removeEventListener('keydown', key);
  }, []);

  // "Pick a file to play" (nothing selected yet): bring the file list into view, focus its first file.
  const toFiles = () => {
    document.getElementById('files-h')?.scrollIntoView({ behavior: 'smooth', block: 'start' });
    document.querySelector('.sp-files [data-testid="file"]')?.focus({ preventScroll: true });
  };

  const on = device ? isOnline(device) : false;
  const paged = state?.type ? ['pdf', 'pptx', 'folder'].includes(state.type) : current ? isPaged(current.kind) : false;

  return (
    <main id="main" class="sp" tabIndex={-1}>
      <h1 class="visually-hidden">{t('speaker.title')}</h1>
      <DevicePicker
        devices={sorted}
        loading={devices.loading}
        error={devices.error}
        selectedId={selectedId}
        isOnline={isOnline}
        nowPlaying={(d) => live.playing[d.device_id] ?? d.now_playing}
        onPick={setSelectedId}
      />
      <section class="sp-stage" id="stage" tabIndex={-1} aria-labelledby="stage-h">
        {device ? (
          <>
            <div class="sp-stage-head">
              <h2 id="stage-h" data-testid="stage-device">
                {device.name || device.device_id}
              </h2>
              <OnlineBadge online={on} />
              {!on && det?.last_seen_at && <span class="muted sp-seen">{t('speaker.device.last_seen', { when: formatAgo(det.last_seen_at) })}</span>}
            </div>
            {!on && canControl && <p class="alert warn sp-offline">{t('speaker.device.offline_hint')}</p>}
            <Preview
              deviceId={selectedId}
              state={state}
              file={current}
              filesKnown={files.device === selectedId && !files.loading && !files.error && !files.more}
              pageCount={pageCount}
              placeholder={placeholder}
              onPage={turn}
              canControl={canControl}
            />
            {canControl ? (
              <>
                <Transport state={state} selected={selected} send={send} ack={ack} onPickFile={toFiles} />
                <Pages state={state} pageCount={pageCount} paged={paged} send={send} refuse={refuse} ack={ack} />
              </>
            ) : (
              <p class="alert warn" data-testid="read-only">
                {t('speaker.read_only')}
              </p>
            )}
          </>
        ) : (
          <h2 id="stage-h" class="empty">
            {devices.loading ? t('common.loading') : t('speaker.devices.pick')}
          </h2>
        )}
      </section>
      {device && (
        <FileList
          deviceName={device.name || device.device_id}
          files={visible}
          loading={files.loading}
          error={files.error}
          more={files.more}
          selected={selectedFile}
          onSelect={setSelectedFile}
          playing={state}
          pageCounts={pageCounts}
          canControl={canControl}
          onPlay={(f) => send('file', 'control/play', { file: f.name }, t('speaker.action.play_file', { file: f.name }))}
          ack={ack}
        />
      )}
    </main>
  );
}

function App() {
  useLang();
  const [user, setUser] = useState(null);
  useEffect(() => {
    session().then((u) => (u ? setUser(u) : toSignIn()));
    return onSession((u) => {
      if (!u) {
        toast(t('error.signed_out'), 'error');
        setTimeout(toSignIn, 1200);
      } else setUser(u);
    });
  }, []);
  const live = useLive(!!user);
  useEffect(() => {
    document.title = `${t('speaker.title')} · VideoControl`;
  });
  if (!user) return <div class="empty" aria-busy="true">{t('common.loading')}</div>;
  return (
    <>
      <a class="sp-skip" href="#stage">
        {t('speaker.skip')}
      </a>
      <header class="topbar sp-top">
        <a class="brand" href="/speaker">
          <img src="/favicon.svg" alt="" />
          <span>VideoControl</span>
        </a>
        <span class="spacer" />
        <span class={`badge ${live.connected ? 'ok' : 'warn'}`} title={t(live.connected ? 'live.on_hint' : 'live.off_hint')} data-testid="live">
          {t(live.connected ? 'live.on' : 'live.off')}
        </span>
        {!can(user, 'control') && <span class="badge">{t('role.read_only')}</span>}
        <div class="sp-inline-settings">
          <LanguageSelect />
          <ThemeSelect />
        </div>
        <Account user={user} />
      </header>
      <Panel user={user} live={live} />
      <Toasts />
    </>
  );
}

render(<App />, document.getElementById('app'));
