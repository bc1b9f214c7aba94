// One device's files: search and kind filter (server-side, ?q= and ?kind=), pages of 50, the
// placeholder pinned first, thumbnails, preview (a document's or folder's pages one by one), play
// on the device, rename, move/copy to another device (drag a row onto a tile, or the row's menu),
// set/clear placeholder, process again / optimise now, remove; and uploads of files and folders by
// picker or drag and drop.
//
// Every upload is processed by the server (thumbnail, pages, metadata, maybe an H.264 rendition):
// a row shows the job's progress live from the control socket's file/processing and file/progress
// (no reload for those), and the list reloads on file/ready and file/error.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../common/api.js';
import { formatBytes, formatTime, plural, t } from '../common/i18n.js';
import { Modal, Progress, errorText, toast, useConfirm } from '../common/ui.jsx';
import { useApp } from './context.js';
import { RenameDialog, contentUrl } from './shared.jsx';
import { droppedFiles } from './uploads.jsx';

export const FILE_DRAG_TYPE = 'application/x-videocontrol-file';
const PAGE = 50;
const KINDS = ['video', 'audio', 'image', 'pdf', 'pptx', 'document', 'zip'];
const PAGED = new Set(['pdf', 'pptx', 'document', 'zip']);

// The first page of a device's files, asked for while the device list is still loading (the
// panel opens on #/devices/ID); FileList takes it instead of asking again.
const prefetched = new Map();
const arrived = new Map();  // device → the first page, once the prefetch answered
export function prefetchFiles(deviceId) {
  const p = new URLSearchParams({ limit: String(PAGE) });
  const promise = api('GET', `/api/v1/devices/${encodeURIComponent(deviceId)}/media?${p}`);
  promise.then((r) => arrived.set(deviceId, r), () => {});
  prefetched.set(deviceId, promise);
}

// Move (default) or copy a device's file to another device; no bytes are copied either way.
export function transferFile(file, to, copy) {
  if (copy) return api('POST', `/api/v1/media/${encodeURIComponent(file.id)}/devices`, { device_id: to, name: file.name });
  return api('POST', `/api/v1/devices/${encodeURIComponent(file.from)}/media/${encodeURIComponent(file.name)}/move`, { to_device: to });
}

function KindIcon({ kind }) {
  const d = {
    video: 'M4 5h12v14H4zM16 10l4-3v10l-4-3',
    audio: 'M9 18V6l10-2v12M9 18a3 3 0 1 1-6 0 3 3 0 0 1 6 0zM19 16a3 3 0 1 1-6 0 3 3 0 0 1 6 0z',
    image: 'M3 5h18v14H3zM3 16l5-5 4 4 3-3 6 6M15 9h.01',
    pdf: 'M6 2h9l5 5v15H6zM15 2v5h5M9 13h6M9 17h6',
    pptx: 'M3 4h18v12H3zM12 16v4M8 20h8M7 8h6M7 11h4',
    document: 'M6 2h9l5 5v15H6zM15 2v5h5M9 10h3M9 13h6M9 16h6M9 19h4',
    zip: 'M3 6h6l2 2h10v11H3zM7 16l3-3 2 2 2-2 3 3',
  }[kind] ?? 'M6 2h9l5 5v15H6z';
  return (
    <svg class="kind-icon" viewBox="0 0 24 24" width="28" height="28" aria-hidden="true">
      <path d={d} fill="none" stroke="currentColor" stroke-width="1.6" stroke-linejoin="round" stroke-linecap="round" />
    </svg>
  );
}

// The server's small picture of the file (cookie-authenticated, cached for good: the URL changes
// with the content); the kind's icon while there is none, or should it fail to load.
function Thumb({ file }) {
  const [broken, setBroken] = useState(false);
  if (file.thumbnail_url && !broken)
    return (
      <img
        class={`thumb${PAGED.has(file.kind) && file.kind !== 'zip' ? ' whole' : ''}`}
        src={file.thumbnail_url}
        alt=""
        loading="lazy"
        decoding="async"
        onError={() => setBroken(true)}
      />
    );
  return (
    <span class="thumb thumb-icon">
      <KindIcon kind={file.kind} />
    </span>
  );
}

// 75 → "01:15", 3725 → "1:02:05".
export function formatDuration(seconds) {
  const s = Math.max(0, Math.round(Number(seconds) || 0));
  const two = (n) => String(n).padStart(2, '0');
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
  return h ? `${h}:${two(m)}:${two(s % 60)}` : `${two(m)}:${two(s % 60)}`;
}

function pageCount(file) {
  const m = file.metadata ?? {};
  return file.page_count ?? m.pages ?? m.images ?? 0;
}

// What is worth knowing of a processed file: "HD · 1280×720 · 01:15", "12 pages", "30 images".
function details(file) {
  const m = file.metadata ?? {};
  const out = [];
  if (m.width && m.height && !PAGED.has(file.kind)) out.push(m.resolution ? `${m.resolution} · ${m.width}×${m.height}` : `${m.width}×${m.height}`);
  if ((file.kind === 'video' || file.kind === 'audio') && m.duration > 0) out.push(formatDuration(m.duration));
  const pages = pageCount(file);
  if (file.kind === 'zip') {
    if (pages) out.push(plural('files.images', pages));
    if (m.skipped > 0) out.push(t('files.skipped', { n: m.skipped }));
  } else if (PAGED.has(file.kind) && pages) out.push(plural('files.pages', pages));
  return out.join(' · ');
}

// The rendition's tooltip: what the screens get, and why it was made (the server's words).
function optimisedHint(r) {
  const hint = t('files.optimised_hint', {
    codec: r.video_codec === 'h264' ? 'H.264' : String(r.video_codec ?? '').toUpperCase(),
    size: r.width && r.height ? `${r.width}×${r.height}` : '',
    bytes: formatBytes(r.size ?? 0),
  });
  return Array.isArray(r.reasons) && r.reasons.length ? `${hint}\n${r.reasons.join('; ')}` : hint;
}

// The job's state: a progress bar while processing, the reason when it failed, Ready (with an
// "optimised" badge when an H.264 rendition was made, and a warning when some players cannot
// decode the file) once done.
function FileStatus({ file }) {
  const m = file.metadata ?? {};
  if (file.status === 'processing') {
    const pct = Math.max(0, Math.min(100, Math.round(file.progress ?? 0)));
    return (
      <div class="file-progress" data-testid="file-progress">
        <span class="small">
          {t('status.processing')} <span class="muted">{t('files.percent', { n: pct })}</span>
        </span>
        <Progress value={pct} max={100} label={t('files.processing_label', { name: file.name })} />
      </div>
    );
  }
  if (file.status === 'error')
    return (
      <span class="badge danger" title={file.error ?? ''} data-testid="file-error">
        {t('status.error')}
      </span>
    );
  if (file.status === 'ready')
    return (
      <span class="file-badges">
        <span class="badge ok">{t('status.ready')}</span>
        {m.rendition && (
          <span class="badge accent" title={optimisedHint(m.rendition)} data-testid="optimised">
            {t('files.optimised')}
          </span>
        )}
        {file.error && (
          <span class="badge warn" title={file.error} data-testid="file-warning">
            {t('files.limited_playback')}
          </span>
        )}
      </span>
    );
  return <span class="badge">{t(`status.${file.status}`)}</span>;
}

// A document's or folder's pages as the server rendered them (pages_url with {n}), one at a time.
function PagesPreview({ file }) {
  const count = pageCount(file);
  const [n, setN] = useState(1);
  const go = (to) => setN((cur) => Math.max(1, Math.min(count || 1, to(cur))));
  useEffect(() => {
    const key = (e) => {
      if (e.key === 'ArrowRight' || e.key === 'PageDown') go((c) => c + 1);
      else if (e.key === 'ArrowLeft' || e.key === 'PageUp') go((c) => c - 1);
    };
    addEventListener('keydown', key);
    return () => removeEventListener('keydown', key);
  }, [count]);
  const label = t(file.kind === 'zip' ? 'files.image_of' : 'files.page_of', { n, count });
  return (
    <div class="pages-preview">
      <img src={file.pages_url.replace('{n}', String(n))} alt={label} data-testid="preview-page" data-page={n} />
      <div class="row pager">
        <button type="button" onClick={() => go((c) => c - 1)} disabled={n <= 1} data-testid="preview-prev">
          ← {t('files.prev_page')}
        </button>
        <span class="spacer" />
        <span aria-live="polite" data-testid="preview-page-label">{label}</span>
        <span class="spacer" />
        <button type="button" onClick={() => go((c) => c + 1)} disabled={n >= count} data-testid="preview-next">
          {t('files.next_page')} →
        </button>
      </div>
    </div>
  );
}

function PreviewDialog({ device, file, onClose }) {
  const src = contentUrl(device.device_id, file.name);
  const paged = PAGED.has(file.kind);
  return (
    <Modal title={file.name} onClose={onClose} actions={<button type="button" onClick={onClose}>{t('action.close')}</button>}>
      <div class="preview-box">
        {file.kind === 'image' && <img src={src} alt={file.name} />}
        {file.kind === 'video' && <video src={src} controls autoplay muted />}
        {file.kind === 'audio' && <audio src={src} controls />}
        {paged && file.pages_url && pageCount(file) > 0 && <PagesPreview file={file} />}
        {paged && !file.pages_url && (
          <p class="muted">{t(file.status === 'error' ? 'files.pages_failed' : 'files.pages_not_ready')}</p>
        )}
        {!['image', 'video', 'audio'].includes(file.kind) && (
          <p>
            <a href={src} target="_blank" rel="noopener">{t('files.open_original')}</a>
          </p>
        )}
      </div>
    </Modal>
  );
}

function TransferDialog({ file, devices, copy, onClose, onDone }) {
  const targets = devices.filter((d) => d.device_id !== file.from);
  const [to, setTo] = useState(targets[0]?.device_id ?? '');
  const [error, setError] = useState('');
  const submit = async (e) => {
    e.preventDefault();
    try {
      await onDone(file, to, copy);
      onClose();
    } catch (err) {
      setError(errorText(err));
    }
  };
  return (
    <Modal title={t(copy ? 'files.copy_to' : 'files.move_to')} onClose={onClose}>
      <form onSubmit={submit}>
        <p>{file.name}</p>
        {targets.length === 0 ? (
          <p class="muted">{t('files.no_other_devices')}</p>
        ) : (
          <div class="field">
            <label for="transfer-to">{t('files.target_device')}</label>
            <select id="transfer-to" value={to} onChange={(e) => setTo(e.currentTarget.value)}>
              {targets.map((d) => (
                <option key={d.device_id} value={d.device_id}>
                  {d.name} ({d.device_id})
                </option>
              ))}
            </select>
          </div>
        )}
        {error && <div class="alert error" role="alert">{error}</div>}
        <div class="actions">
          <button type="button" onClick={onClose}>{t('action.cancel')}</button>
          <button type="submit" class="primary" disabled={!to}>{t(copy ? 'files.copy' : 'files.move')}</button>
        </div>
      </form>
    </Modal>
  );
}

function FileRow({ device, file, placeholder, onAction }) {
  const app = useApp();
  const manage = app.can('manage_content');
  const menu = useRef(null);
  const act = (what) => {
    if (menu.current) menu.current.open = false;
    onAction(what, file);
  };
  return (
    <tr
      class={placeholder ? 'placeholder-row' : ''}
      data-status={file.status}
      draggable={manage}
      onDragStart={(e) => {
        e.dataTransfer.setData(FILE_DRAG_TYPE, JSON.stringify({ from: device.device_id, name: file.name, id: file.id }));
        e.dataTransfer.setData('text/plain', file.name);
        e.dataTransfer.effectAllowed = 'copyMove';
      }}
      data-file={file.name}
    >
      <td class="thumb-cell">
        <Thumb key={file.thumbnail_url ?? ''} file={file} />
      </td>
      <td class="name-cell">
        <div class="file-name">{file.name}</div>
        {placeholder && <span class="badge accent">{t('files.placeholder')}</span>}
        {file.media_name && file.media_name !== file.name && <div class="muted small">{file.media_name}</div>}
      </td>
      <td>{t(`kind.${file.kind}`)}</td>
      <td class="num">{formatBytes(file.size)}</td>
      <td class="hide-narrow details-cell" data-testid="file-meta">
        {file.status === 'error' ? (
          <span class="small error-text error-reason" title={file.error ?? ''}>{file.error}</span>
        ) : (
          details(file)
        )}
      </td>
      <td class="status-cell">
        <FileStatus file={file} />
      </td>
      <td class="hide-narrow muted small">{formatTime(file.created_at)}</td>
      <td class="actions-cell">
        {app.can('control') && (
          <button type="button" onClick={() => act('play')} aria-label={t('files.play_on', { name: file.name })}>
            ▶ {t('control.play')}
          </button>
        )}
        <details class="row-menu" ref={menu}>
          <summary aria-label={t('files.more', { name: file.name })}>⋯</summary>
          <div class="menu-list" role="menu">
            <button type="button" role="menuitem" onClick={() => act('preview')}>{t('files.preview')}</button>
            {manage && <button type="button" role="menuitem" onClick={() => act('rename')}>{t('action.rename')}</button>}
            {manage && <button type="button" role="menuitem" onClick={() => act('move')}>{t('files.move_to')}</button>}
            {manage && <button type="button" role="menuitem" onClick={() => act('copy')}>{t('files.copy_to')}</button>}
            {manage && <button type="button" role="menuitem" onClick={() => act('process')}>{t('files.process_again')}</button>}
            {manage && file.kind === 'video' && (
              <button type="button" role="menuitem" onClick={() => act('optimize')}>{t('files.optimize_now')}</button>
            )}
            {manage && (file.kind === 'image' || file.kind === 'video') && (
              <button type="button" role="menuitem" onClick={() => act(placeholder ? 'unplaceholder' : 'placeholder')}>
                {t(placeholder ? 'files.clear_placeholder' : 'files.set_placeholder')}
              </button>
            )}
            {manage && (
              <button type="button" role="menuitem" class="danger" onClick={() => act('remove')}>
                {t('files.remove')}
              </button>
            )}
          </div>
        </details>
      </td>
    </tr>
  );
}

export function FileList({ device, devices, uploads, onTransfer }) {
  const app = useApp();
  const [q, setQ] = useState('');
  const [kind, setKind] = useState('');
  // A prefetched first page that has arrived is drawn in the very first render.
  const [pages, setPages] = useState(() => {
    const r = arrived.get(device.device_id);
    arrived.delete(device.device_id);
    return r ? { items: r.items, next: r.next_cursor ?? '', loading: false, error: null, early: true } : { items: [], next: '', loading: true, error: null };
  });
  const [placeholderFile, setPlaceholderFile] = useState(null);
  const [dialog, setDialog] = useState(null);
  const [over, setOver] = useState(false);
  const [confirm, confirmUi] = useConfirm();
  const picker = useRef(null);
  const folderPicker = useRef(null);
  const id = encodeURIComponent(device.device_id);
  const manage = app.can('manage_content');

  const query = (cursor) => {
    const p = new URLSearchParams({ limit: String(PAGE) });
    if (q.trim()) p.set('q', q.trim());
    if (kind) p.set('kind', kind);
    if (cursor) p.set('cursor', cursor);
    return `/api/v1/devices/${id}/media?${p}`;
  };
  // When a file/ready or file/error patched a row: a list asked for before then may answer after it
  // with the row as it was (processing), and must not undo the patch; the reload that follows every
  // settled file (below) brings the list.
  const settledAt = useRef(0);
  const load = async () => {
    const started = performance.now();
    try {
      const early = !q.trim() && !kind ? prefetched.get(device.device_id) : null;
      prefetched.delete(device.device_id);
      const r = await (early ?? api('GET', query('')));
      if (started < settledAt.current) return;
      setPages({ items: r.items, next: r.next_cursor ?? '', loading: false, error: null });
    } catch (e) {
      setPages((p) => ({ ...p, loading: false, error: e }));
    }
  };
  const more = async () => {
    try {
      const r = await api('GET', query(pages.next));
      setPages((p) => ({ items: [...p.items, ...r.items], next: r.next_cursor ?? '', loading: false, error: null }));
    } catch (e) {
      toast(errorText(e), 'error');
    }
  };

  // The placeholder, pinned first whatever page or filter is shown.
  useEffect(() => {
    if (!device.placeholder_media_id) return setPlaceholderFile(null);
    api('GET', `/api/v1/media/${encodeURIComponent(device.placeholder_media_id)}`).then(setPlaceholderFile, () => setPlaceholderFile(null));
  }, [device.placeholder_media_id, app.version]);

  // Typing in the search box waits for a pause; everything else loads at once.
  const typed = useRef(false);
  const skipFirst = useRef(!!pages.early);
  useEffect(() => {
    if (skipFirst.current) {
      skipFirst.current = false;  // the first page is already drawn
      prefetched.delete(device.device_id);
      return;
    }
    const h = setTimeout(load, typed.current ? 250 : 0);
    typed.current = false;
    return () => clearTimeout(h);
  }, [q, kind, device.device_id, app.version]);
  useEffect(() => uploads.onDone((d) => d === device.device_id && load()), [device.device_id, q, kind]);

  // Processing, live: progress patches the row in place; a finished or failed job reloads the list
  // (its thumbnail, metadata and pages come with the new row). Progress only grows, except when a
  // job starts again (file/processing).
  const latestLoad = useRef(load);
  latestLoad.current = load;
  const patchFile = (name, f) => setPages((p) => ({ ...p, items: p.items.map((x) => (x.name === name ? f(x) : x)) }));
  useEffect(() => {
    const s = app.socket;
    if (!s) return;
    const mine = (e) => e && e.device_id === device.device_id && typeof e.file === 'string';
    let timer = 0;
    const handlers = {
      'file/processing': (e) => mine(e) && patchFile(e.file, (x) => ({ ...x, status: 'processing', progress: e.progress ?? 0, error: null })),
      'file/progress': (e) =>
        mine(e) &&
        patchFile(e.file, (x) => ({ ...x, status: 'processing', progress: Math.max(x.status === 'processing' ? x.progress ?? 0 : 0, e.progress ?? 0) })),
      'file/ready': (e) => mine(e) && settled(e),
      'file/error': (e) => mine(e) && settled(e),
    };
    function settled(e) {
      settledAt.current = performance.now();
      patchFile(e.file, (x) => ({ ...x, status: e.status ?? (e.error ? 'error' : 'ready'), progress: 100, error: e.error ?? null }));
      clearTimeout(timer);
      timer = setTimeout(() => latestLoad.current(), 200);  // many files finishing together reload once
    }
    for (const [ev, f] of Object.entries(handlers)) s.on(ev, f);
    return () => {
      clearTimeout(timer);
      for (const [ev, f] of Object.entries(handlers)) s.off(ev, f);
    };
  }, [app.socket, device.device_id]);

  const action = async (what, file) => {
    const name = encodeURIComponent(file.name);
    try {
      if (what === 'play') {
        await api('POST', `/api/v1/devices/${id}/commands`, { action: 'play', file: file.name });
        toast(t('files.playing', { name: file.name, device: device.name }), 'ok');
      } else if (what === 'preview') setDialog({ kind: 'preview', file });
      else if (what === 'rename') setDialog({ kind: 'rename', file });
      else if (what === 'move' || what === 'copy') setDialog({ kind: what, file });
      else if (what === 'placeholder') {
        await api('PUT', `/api/v1/devices/${id}/placeholder`, { media_id: file.id });
        toast(t('files.placeholder_set', { name: file.name }), 'ok');
      } else if (what === 'process' || what === 'optimize') {
        await api('POST', `/api/v1/devices/${id}/media/${name}/process`, { optimize: what === 'optimize' });
        patchFile(file.name, (x) => ({ ...x, status: 'processing', progress: 0, error: null }));
        toast(t(what === 'optimize' ? 'files.optimize_started' : 'files.process_started', { name: file.name }), 'ok');
      } else if (what === 'unplaceholder') {
        await api('DELETE', `/api/v1/devices/${id}/placeholder`);
        toast(t('files.placeholder_cleared'), 'ok');
      } else if (what === 'remove') {
        if (!(await confirm(t('files.remove_confirm', { name: file.name, device: device.name }), t('files.remove')))) return;
        await api('DELETE', `/api/v1/devices/${id}/media/${name}`);
        toast(t('files.removed', { name: file.name }), 'ok');
        load();
      }
    } catch (e) {
      toast(errorText(e), 'error');
    }
  };

  const pinned = placeholderFile && pages.items.find((f) => f.id === placeholderFile.id);
  const rows = pinned ? [pinned, ...pages.items.filter((f) => f !== pinned)] : pages.items;

  return (
    <section
      class={`files${over ? ' drop' : ''}`}
      aria-labelledby="files-title"
      onDragOver={(e) => {
        if (!manage || !e.dataTransfer.types.includes('Files')) return;
        e.preventDefault();
        e.dataTransfer.dropEffect = 'copy';
        setOver(true);
      }}
      onDragLeave={(e) => e.currentTarget.contains(e.relatedTarget) || setOver(false)}
      onDrop={(e) => {
        setOver(false);
        if (!manage || !e.dataTransfer.files.length) return;
        e.preventDefault();
        droppedFiles(e.dataTransfer).then(
          (files) => uploads.add(device.device_id, files),
          (err) => toast(errorText(err), 'error'),
        );
      }}
    >
      <div class="row files-head">
        <h3 id="files-title">{t('files.title')}</h3>
        <span class="spacer" />
        <input type="search" placeholder={t('files.search')} aria-label={t('files.search')} value={q} onInput={(e) => { typed.current = true; setQ(e.currentTarget.value); }} data-testid="file-search" />
        <select aria-label={t('files.kind_filter')} value={kind} onChange={(e) => setKind(e.currentTarget.value)}>
          <option value="">{t('files.all_kinds')}</option>
          {KINDS.map((k) => (
            <option key={k} value={k}>
              {t(`kind.${k}`)}
            </option>
          ))}
        </select>
        {manage && (
          <>
            <input
              ref={picker}
              type="file"
              multiple
              hidden
              data-testid="upload-input"
              onChange={(e) => {
                uploads.add(device.device_id, [...e.currentTarget.files]);
                e.currentTarget.value = '';
              }}
            />
            <input
              ref={folderPicker}
              type="file"
              webkitdirectory
              multiple
              hidden
              data-testid="upload-folder-input"
              onChange={(e) => {
                uploads.add(device.device_id, [...e.currentTarget.files]);
                e.currentTarget.value = '';
              }}
            />
            <button type="button" onClick={() => folderPicker.current.click()} data-testid="upload-folder">
              {t('upload.choose_folder')}
            </button>
            <button type="button" class="primary" onClick={() => picker.current.click()}>
              {t('upload.choose')}
            </button>
          </>
        )}
      </div>
      {manage && <p class="muted small drop-hint">{t('upload.drop_hint')}</p>}
      {placeholderFile && !pinned && (
        <div class="row placeholder-note">
          <span class="badge accent">{t('files.placeholder')}</span> <span>{placeholderFile.name}</span>
        </div>
      )}
      {pages.error && <div class="alert error">{errorText(pages.error)}</div>}
      {!pages.loading && rows.length === 0 ? (
        <div class="empty">{q || kind ? t('files.none_match') : t('files.none')}</div>
      ) : (
        <div class="table-wrap">
          <table class="list files-table">
            <thead>
              <tr>
                <th><span class="visually-hidden">{t('files.thumbnail')}</span></th>
                <th>{t('files.name')}</th>
                <th>{t('files.kind')}</th>
                <th class="num">{t('files.size')}</th>
                <th class="hide-narrow">{t('files.details')}</th>
                <th>{t('files.status')}</th>
                <th class="hide-narrow">{t('files.added')}</th>
                <th><span class="visually-hidden">{t('files.actions')}</span></th>
              </tr>
            </thead>
            <tbody>
              {rows.map((f) => (
                <FileRow key={f.name} device={device} file={f} placeholder={placeholderFile?.id === f.id} onAction={action} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {pages.next && (
        <div class="row center">
          <button type="button" onClick={more} data-testid="more-files">{t('files.more_files')}</button>
        </div>
      )}
      {dialog?.kind === 'preview' && <PreviewDialog device={device} file={dialog.file} onClose={() => setDialog(null)} />}
      {dialog?.kind === 'rename' && (
        <RenameDialog
          title={t('files.rename')}
          label={t('files.name')}
          value={dialog.file.name}
          onClose={() => setDialog(null)}
          onSave={async (name) => {
            await api('PATCH', `/api/v1/devices/${id}/media/${encodeURIComponent(dialog.file.name)}`, { name });
            load();
          }}
        />
      )}
      {(dialog?.kind === 'move' || dialog?.kind === 'copy') && (
        <TransferDialog
          file={{ from: device.device_id, name: dialog.file.name, id: dialog.file.id }}
          devices={devices}
          copy={dialog.kind === 'copy'}
          onClose={() => setDialog(null)}
          onDone={async (file, to, copy) => {
            await onTransfer(file, to, copy);
            load();
          }}
        />
      )}
      {confirmUi}
    </section>
  );
}
