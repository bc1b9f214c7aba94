// Devices as tiles (live online/offline, type, last seen, what plays now with a preview), one
// device's details (rename, delete, credential, the player URL with a QR code, playback buttons)
// and its files (files.jsx). Files dragged onto a tile move there (Ctrl/⌘: copy); files dropped from
// the computer onto a tile upload to that device. The tile grid is windowed (tilegrid.js): of 500
// devices only the rows in view are drawn, plus the opened device's tile and the focused one.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api } from '../common/api.js';
import { formatAgo, formatBytes, formatTime, plural, t } from '../common/i18n.js';
import { Modal, errorText, toast, useConfirm } from '../common/ui.jsx';
import { useApp } from './context.js';
import { RenameDialog, contentUrl } from './shared.jsx';
import { FileList, FILE_DRAG_TYPE, prefetchFiles, transferFile } from './files.jsx';
import { QrCode } from './qr.jsx';
import { droppedFiles, useUploads, UploadPanel } from './uploads.jsx';
import { useTileWindow } from './tilegrid.js';

const DEVICE_ID = /^[A-Za-z0-9_-]{1,64}$/;

// One collator for sorting the tiles by name (localeCompare without one is slower per comparison,
// and 500 devices take thousands of comparisons); the browser's default locale, as localeCompare.
let collator = null;
const byName = () => (collator ??= new Intl.Collator());

// The first Intl object of each kind a page makes is slow while ICU loads its data (in Chromium
// 156, cold: a Collator 27–35 ms, a NumberFormat 45–63 ms, a DateTimeFormat 5–42 ms, a
// RelativeTimeFormat ~12 ms), and the first render of the tiles and the file list would pay for
// all of them. They are made while the device list is on its way, one per idle moment.
function warmUpIntl() {
  const steps = [
    () => byName().compare('a', 'b'),
    () => formatBytes(2048) + formatBytes(1),
    () => formatTime(new Date().toISOString()),
    () => formatAgo(new Date(Date.now() - 3600e3).toISOString()),
  ];
  const idle = window.requestIdleCallback ?? ((f) => setTimeout(f, 0));
  const next = () => {
    const step = steps.shift();
    if (!step) return;
    step();
    idle(next, { timeout: 500 });
  };
  idle(next, { timeout: 500 });
}

export function playerUrl(deviceId, token) {
  const u = new URL('/player', location.origin);
  u.searchParams.set('device', deviceId);
  if (token) u.searchParams.set('token', token);
  return u.toString();
}


// Every device of the organisation (pages of 200), reloaded when the server says lists changed.
function useDevices() {
  const app = useApp();
  const [devices, setDevices] = useState(null);
  const [error, setError] = useState(null);
  const timer = useRef(0);
  const fetchAll = async () => {
    const all = [];
    let cursor = '';
    do {
      const r = await api('GET', `/api/v1/devices?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      all.push(...r.items);
      cursor = r.next_cursor ?? '';
    } while (cursor && all.length < 10000);
    return all;
  };
  // The first load starts with the first render, not after it is painted.
  const [first] = useState(() => {
    const p = fetchAll();
    p.catch(() => {});
    warmUpIntl();
    return p;
  });
  const load = async (pending) => {
    try {
      setDevices(await (pending ?? fetchAll()));
      setError(null);
    } catch (e) {
      setError(e);
    }
  };
  const started = useRef(false);
  useEffect(() => {
    if (!started.current) {
      started.current = true;
      load(first);
      return;
    }
    clearTimeout(timer.current);
    // Many changes in a burst (an upload of 50 files) reload once.
    timer.current = setTimeout(load, 300);
    return () => clearTimeout(timer.current);
  }, [app.version]);
  return [devices, error, load];
}

function TypeIcon({ type }) {
  const kind = /android|tv|box/i.test(type ?? '') ? 'tv' : /browser|web|chrome|kiosk/i.test(type ?? '') ? 'browser' : 'screen';
  const paths = {
    tv: 'M3 6h18v11H3zM8 20h8M12 17v3',
    browser: 'M3 5h18v14H3zM3 9h18M6 7h.01M9 7h.01',
    screen: 'M2 4h20v13H2zM9 21h6M12 17v4',
  };
  return (
    <svg class="type-icon" viewBox="0 0 24 24" width="20" height="20" aria-hidden="true">
      <path d={paths[kind]} fill="none" stroke="currentColor" stroke-width="1.8" stroke-linejoin="round" stroke-linecap="round" />
    </svg>
  );
}

// What plays now: the live state from preview/refresh when there is one, else the stored one.
function nowPlaying(app, d) {
  return app.playing[d.device_id] ?? d.now_playing ?? null;
}

function lastSeen(device, online) {
  if (online) return t('devices.connected_now');
  return device.last_seen_at ? t('devices.last_seen', { when: formatAgo(device.last_seen_at) }) : t('devices.never_seen');
}

function stateText(np) {
  if (!np || !np.file || np.state === 'idle' || np.state === 'stopped') return t('devices.idle');
  const page = np.page ? ` · ${t('devices.page', { n: np.page })}` : '';
  return `${t(`state.${np.state}`)}: ${np.file}${page}`;
}

function Preview({ device, np }) {
  if (!np || !np.file || np.state === 'idle' || np.state === 'stopped')
    return <div class="preview-empty">{t('devices.placeholder_showing')}</div>;
  const src = contentUrl(device.device_id, np.file);
  if (np.type === 'image') return <img src={src} alt={t('devices.preview_of', { file: np.file })} loading="lazy" />;
  if (np.type === 'video') return <video src={`${src}#t=0.5`} muted preload="metadata" aria-label={t('devices.preview_of', { file: np.file })} />;
  if (np.type === 'pdf' || np.type === 'pptx' || np.type === 'folder') return <PagePreview device={device} np={np} />;
  return <div class="preview-empty">{np.type}</div>;
}

// The page a document or folder shows, as the server rendered it; the page number until it loads
// (or when its pages are not ready).
function PagePreview({ device, np }) {
  const [failed, setFailed] = useState('');
  const n = np.page ?? 1;
  const src = `/api/v1/devices/${encodeURIComponent(device.device_id)}/media/${encodeURIComponent(np.file)}/pages/${n}`;
  if (failed === src) return <div class="preview-empty">{t('devices.page', { n })}</div>;
  return <img src={src} alt={`${t('devices.preview_of', { file: np.file })} · ${t('devices.page', { n })}`} loading="lazy" onError={() => setFailed(src)} />;
}

function DeviceTile({ device, selected, place, onDropFile, onDropUpload }) {
  const app = useApp();
  const online = app.online.has(device.device_id);
  const np = nowPlaying(app, device);
  const [over, setOver] = useState(false);
  const accepts = (e) => app.can('manage_content') && (e.dataTransfer.types.includes(FILE_DRAG_TYPE) || e.dataTransfer.types.includes('Files'));
  return (
    <li
      class={`tile${selected ? ' selected' : ''}${over ? ' drop' : ''}`}
      data-device={device.device_id}
      {...place}
      onDragOver={(e) => {
        if (!accepts(e)) return;
        e.preventDefault();
        e.dataTransfer.dropEffect = e.dataTransfer.types.includes('Files') ? 'copy' : e.ctrlKey || e.metaKey ? 'copy' : 'move';
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={(e) => {
        setOver(false);
        if (!accepts(e)) return;
        e.preventDefault();
        const raw = e.dataTransfer.getData(FILE_DRAG_TYPE);
        if (raw) onDropFile(JSON.parse(raw), device.device_id, e.ctrlKey || e.metaKey);
        else if (e.dataTransfer.files.length)
          droppedFiles(e.dataTransfer).then((files) => onDropUpload(device.device_id, files), (err) => toast(errorText(err), 'error'));
      }}
    >
      <a href={`#/devices/${encodeURIComponent(device.device_id)}`} aria-current={selected ? 'true' : undefined}>
        <div class="tile-preview">
          <Preview device={device} np={np} />
        </div>
        <div class="tile-body">
          <div class="row tile-title">
            <TypeIcon type={device.device_type} />
            <strong class="tile-name">{device.name}</strong>
            <span class={`badge ${online ? 'ok' : 'off'}`} data-testid="online-badge">
              {t(online ? 'devices.online' : 'devices.offline')}
            </span>
          </div>
          <div class="muted small tile-meta">
            {device.device_id} · {lastSeen(device, online)}
          </div>
          <div class="small now" data-testid="now-playing">{stateText(np)}</div>
        </div>
      </a>
    </li>
  );
}

// The tiles, of which only those in view (and the opened one, and the focused one) are drawn.
function DeviceGrid({ shown, selectedId, onDropFile, onDropUpload }) {
  const compact = !!selectedId;
  const grid = useTileWindow({ items: shown, keyOf: deviceKey, keyAttr: 'device', pinned: [selectedId], layoutKey: compact });
  return (
    <ul
      ref={grid.ref}
      class={`tiles${compact ? ' compact' : ''}`}
      aria-label={t('nav.devices')}
      style={grid.style}
      onKeyDown={grid.onKeyDown}
      onFocusIn={grid.onFocusIn}
      onFocusOut={grid.onFocusOut}
    >
      {grid.indices.map((i) => (
        <DeviceTile
          key={shown[i].device_id}
          device={shown[i]}
          selected={shown[i].device_id === selectedId}
          place={grid.itemProps(i)}
          onDropFile={onDropFile}
          onDropUpload={onDropUpload}
        />
      ))}
    </ul>
  );
}
const deviceKey = (d) => d.device_id;

function AddDeviceDialog({ onClose, onCreated }) {
  const [id, setId] = useState('');
  const [name, setName] = useState('');
  const [legacy, setLegacy] = useState(false);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    if (!DEVICE_ID.test(id)) return setError(t('devices.id_rule'));
    setBusy(true);
    try {
      const d = await api('POST', '/api/v1/devices', { device_id: id, name: name.trim() || id, legacy_player: legacy });
      onCreated(d);
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  };
  return (
    <Modal title={t('devices.add')} onClose={onClose}>
      <form onSubmit={submit}>
        <div class="field">
          <label for="dev-id">{t('devices.id')}</label>
          <input id="dev-id" value={id} onInput={(e) => setId(e.currentTarget.value.trim())} autocomplete="off" spellcheck={false} required />
          <div class="hint">{t('devices.id_rule')}</div>
        </div>
        <div class="field">
          <label for="dev-name">{t('devices.name')}</label>
          <input id="dev-name" value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </div>
        <div class="field">
          <label class="inline-check">
            <input type="checkbox" checked={legacy} onChange={(e) => setLegacy(e.currentTarget.checked)} data-testid="legacy-player" />
            {t('devices.legacy_player')}
          </label>
          <div class="hint">{legacy ? t('devices.legacy_player_hint') : t('devices.credential_new_hint')}</div>
        </div>
        {error && <div class="alert error" role="alert">{error}</div>}
        <div class="actions">
          <button type="button" onClick={onClose}>{t('action.cancel')}</button>
          <button type="submit" class="primary" disabled={busy}>{t('devices.create')}</button>
        </div>
      </form>
    </Modal>
  );
}



function copyText(text) {
  if (navigator.clipboard?.writeText) return navigator.clipboard.writeText(text).then(() => toast(t('common.copied'), 'ok'));
  return Promise.resolve();
}

// The player URL and its QR code; with a fresh credential the URL carries it (shown once).
function PlayerLinkDialog({ device, token, onClose }) {
  const url = playerUrl(device.device_id, token);
  return (
    <Modal title={t('devices.player_link')} onClose={onClose} actions={<button type="button" class="primary" onClick={onClose}>{t('action.close')}</button>}>
      <p>{t('devices.player_link_hint')}</p>
      <div class="player-link">
        <QrCode text={url} label={t('devices.qr_label', { name: device.name })} />
        <div class="stack">
          <input readOnly value={url} aria-label={t('devices.player_link')} data-testid="player-url" onFocus={(e) => e.currentTarget.select()} />
          <div class="row">
            <button type="button" onClick={() => copyText(url)}>{t('common.copy')}</button>
            <a class="button" href={url} target="_blank" rel="noopener">{t('devices.open_player')}</a>
          </div>
          {token && <div class="alert warn">{t('devices.credential_once')}</div>}
        </div>
      </div>
    </Modal>
  );
}

function CredentialDialog({ device, onClose, onChanged }) {
  const [secret, setSecret] = useState(null);
  const [error, setError] = useState('');
  const rotate = async () => {
    try {
      const r = await api('POST', `/api/v1/devices/${encodeURIComponent(device.device_id)}/credential`);
      setSecret(r.credential);
      onChanged();
    } catch (e) {
      setError(errorText(e));
    }
  };
  const remove = async () => {
    try {
      await api('DELETE', `/api/v1/devices/${encodeURIComponent(device.device_id)}/credential`);
      onChanged();
      onClose();
    } catch (e) {
      setError(errorText(e));
    }
  };
  const [legacy, setLegacy] = useState(!!device.legacy_player);
  const toggleLegacy = async (value) => {
    try {
      const d = await api('PATCH', `/api/v1/devices/${encodeURIComponent(device.device_id)}`, { legacy_player: value });
      setLegacy(!!d.legacy_player);
      onChanged();
    } catch (e) {
      setError(errorText(e));
    }
  };
  if (secret) return <PlayerLinkDialog device={device} token={secret} onClose={onClose} />;
  return (
    <Modal title={t('devices.credential')} onClose={onClose}>
      <p>{device.has_credential ? t('devices.credential_set') : t('devices.credential_none')}</p>
      <p class="muted">{t('devices.credential_hint')}</p>
      <div class="field">
        <label class="inline-check">
          <input type="checkbox" checked={legacy} onChange={(e) => toggleLegacy(e.currentTarget.checked)} data-testid="legacy-toggle" />
          {t('devices.legacy_player')}
        </label>
        <div class="hint">{t('devices.legacy_player_hint')}</div>
      </div>
      {error && <div class="alert error" role="alert">{error}</div>}
      <div class="actions">
        <button type="button" onClick={onClose}>{t('action.cancel')}</button>
        {device.has_credential && <button type="button" class="danger" onClick={remove}>{t('devices.credential_remove')}</button>}
        <button type="button" class="primary" onClick={rotate}>{device.has_credential ? t('devices.credential_rotate') : t('devices.credential_create')}</button>
      </div>
    </Modal>
  );
}

function DevicePanel({ device, devices, uploads, onTransfer }) {
  const app = useApp();
  const [dialog, setDialog] = useState(null);
  const [confirm, confirmUi] = useConfirm();
  const online = app.online.has(device.device_id);
  const np = nowPlaying(app, device);
  const manage = app.can('manage_content');
  const id = encodeURIComponent(device.device_id);

  const command = async (action) => {
    try {
      await api('POST', `/api/v1/devices/${id}/commands`, { action });
      toast(t(`control.done_${action}`), 'ok');
    } catch (e) {
      toast(errorText(e), 'error');
    }
  };
  const remove = async () => {
    if (!(await confirm(t('devices.delete_confirm', { name: device.name }), t('action.delete')))) return;
    try {
      await api('DELETE', `/api/v1/devices/${id}`);
      toast(t('devices.deleted', { name: device.name }), 'ok');
      location.hash = '#/devices';
    } catch (e) {
      toast(errorText(e), 'error');
    }
  };

  return (
    <section class="device-panel card" aria-labelledby="device-title">
      <div class="row device-head">
        <TypeIcon type={device.device_type} />
        <h2 id="device-title">{device.name}</h2>
        <span class={`badge ${online ? 'ok' : 'off'}`}>{t(online ? 'devices.online' : 'devices.offline')}</span>
        <span class="muted">{device.device_id}</span>
        {device.legacy_player && <span class="badge warn" title={t('devices.legacy_player_hint')} data-testid="legacy-badge">{t('devices.legacy_badge')}</span>}
        <span class="spacer" />
        <button type="button" onClick={() => setDialog('link')} data-testid="player-link">{t('devices.player_link')}</button>
        {manage && <button type="button" onClick={() => setDialog('rename')}>{t('action.rename')}</button>}
        {manage && <button type="button" onClick={() => setDialog('credential')}>{t('devices.credential')}</button>}
        {manage && <button type="button" class="danger" onClick={remove}>{t('action.delete')}</button>}
      </div>
      <div class="row device-meta muted small">
        <span>{t('devices.type')}: {device.device_type ?? t('devices.unknown')}</span>
        <span>{t('devices.platform')}: {device.platform ?? t('devices.unknown')}</span>
        <span>{lastSeen(device, online)}</span>
        <span data-testid="panel-now-playing">{stateText(np)}</span>
      </div>
      {app.can('control') && (
        <div class="row device-controls" role="group" aria-label={t('control.group')}>
          <button type="button" onClick={() => command('pause')} disabled={np?.state !== 'playing'}>{t('control.pause')}</button>
          <button type="button" onClick={() => command('resume')} disabled={np?.state !== 'paused'}>{t('control.resume')}</button>
          <button type="button" onClick={() => command('restart')} disabled={!np?.file || np?.state === 'stopped'}>{t('control.restart')}</button>
          <button type="button" onClick={() => command('stop')} disabled={!np?.file || np?.state === 'stopped'}>{t('control.stop')}</button>
        </div>
      )}
      <FileList device={device} devices={devices} uploads={uploads} onTransfer={onTransfer} />
      {dialog === 'link' && <PlayerLinkDialog device={device} onClose={() => setDialog(null)} />}
      {dialog === 'credential' && <CredentialDialog device={device} onClose={() => setDialog(null)} onChanged={() => {}} />}
      {dialog === 'rename' && (
        <RenameDialog
          title={t('devices.rename')}
          label={t('devices.name')}
          value={device.name}
          onClose={() => setDialog(null)}
          onSave={(name) => api('PATCH', `/api/v1/devices/${id}`, { name })}
        />
      )}
      {confirmUi}
    </section>
  );
}

export default function DevicesView({ path }) {
  const app = useApp();
  const [devices, error, reload] = useDevices();
  const [filter, setFilter] = useState('');
  const [adding, setAdding] = useState(false);
  const [created, setCreated] = useState(null);
  const uploads = useUploads();
  const selectedId = path?.[0] ? decodeURIComponent(path[0]) : null;
  useState(() => selectedId && prefetchFiles(selectedId));  // once, on the first render

  const shown = useMemo(() => {
    if (!devices) return [];
    const f = filter.trim().toLowerCase();
    const on = (d) => (app.online.has(d.device_id) ? 1 : 0);
    return devices
      .filter((d) => !f || d.name.toLowerCase().includes(f) || d.device_id.toLowerCase().includes(f))
      .sort((a, b) => on(b) - on(a) || byName().compare(a.name, b.name));
  }, [devices, filter, app.online]);

  const transfer = async (file, to, copy) => {
    if (file.from === to) return;
    try {
      await transferFile(file, to, copy);
      const target = devices.find((d) => d.device_id === to)?.name ?? to;
      toast(t(copy ? 'files.copied' : 'files.moved', { name: file.name, device: target }), 'ok');
      reload();
    } catch (e) {
      toast(errorText(e), 'error');
    }
  };

  if (error && !devices) return <div class="alert error" role="alert">{errorText(error)}</div>;
  if (!devices) return <div class="empty" aria-busy="true">{t('common.loading')}</div>;
  const selected = devices.find((d) => d.device_id === selectedId);
  const onlineCount = devices.filter((d) => app.online.has(d.device_id)).length;

  return (
    <div class="devices">
      <div class="row view-head">
        <h1>{t('nav.devices')}</h1>
        <span class="muted">
          {plural('devices.count', devices.length)} · {t('devices.online_count', { n: onlineCount })}
        </span>
        <span class="spacer" />
        <input type="search" placeholder={t('devices.filter')} aria-label={t('devices.filter')} value={filter} onInput={(e) => setFilter(e.currentTarget.value)} />
        {app.can('manage_content') && (
          <button type="button" class="primary" onClick={() => setAdding(true)} data-testid="add-device">
            {t('devices.add')}
          </button>
        )}
      </div>
      {devices.length === 0 ? (
        <div class="empty card">
          <p>{t('devices.none')}</p>
          {app.can('manage_content') && <button type="button" class="primary" onClick={() => setAdding(true)}>{t('devices.add_first')}</button>}
        </div>
      ) : (
        <DeviceGrid
          shown={shown}
          selectedId={selectedId}
          onDropFile={transfer}
          onDropUpload={(to, files) => {
            uploads.add(to, files);
            location.hash = `#/devices/${encodeURIComponent(to)}`;
          }}
        />
      )}
      {selectedId && !selected && <div class="alert error">{t('devices.not_found', { id: selectedId })}</div>}
      <UploadPanel uploads={uploads} />
      {selected && <DevicePanel key={selected.device_id} device={selected} devices={devices} uploads={uploads} onTransfer={transfer} />}
      {adding && (
        <AddDeviceDialog
          onClose={() => setAdding(false)}
          onCreated={(d) => {
            setAdding(false);
            setCreated(d);
            reload();
            location.hash = `#/devices/${encodeURIComponent(d.device_id)}`;
          }}
        />
      )}
      {created && <PlayerLinkDialog device={created} token={created.credential} onClose={() => setCreated(null)} />}
    </div>
  );
}
