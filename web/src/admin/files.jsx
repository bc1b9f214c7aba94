// One device's files: search and kind filter (server-side, ?q= and ?kind=), pages of 50, the
// placeholder pinned first, thumbnails, preview, play on the device, rename, move/copy to another
// device (drag a row onto a tile, or the row's menu), set/clear placeholder, remove; and uploads by
// picker or drag and drop.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../common/api.js';
import { formatBytes, formatTime, t } from '../common/i18n.js';
import { Modal, errorText, toast, useConfirm } from '../common/ui.jsx';
import { useApp } from './context.js';
import { RenameDialog, contentUrl } from './shared.jsx';

export const FILE_DRAG_TYPE = 'application/x-videocontrol-file';
const PAGE = 50;
const KINDS = ['video', 'audio', 'image', 'pdf', 'pptx', 'zip'];

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
    zip: 'M6 2h12v20H6zM12 4v2M12 8v2M12 12v2',
  }[kind] ?? 'M6 2h9l5 5v15H6z';
  return (
    <svg class="kind-icon" viewBox="0 0 24 24" width="28" height="28" aria-hidden="true">
      <path d={d} fill="none" stroke="currentColor" stroke-width="1.6" stroke-linejoin="round" stroke-linecap="round" />
    </svg>
  );
}

function Thumb({ device, file }) {
  if (file.kind === 'image') return <img class="thumb" src={contentUrl(device.device_id, file.name)} alt="" loading="lazy" />;
  return (
    <span class="thumb thumb-icon">
      <KindIcon kind={file.kind} />
    </span>
  );
}

function resolution(file) {
  const m = file.metadata ?? {};
  return m.width && m.height ? `${m.width}×${m.height}` : '';
}

function PreviewDialog({ device, file, onClose }) {
  const src = contentUrl(device.device_id, file.name);
  return (
    <Modal title={file.name} onClose={onClose} actions={<button type="button" onClick={onClose}>{t('action.close')}</button>}>
      <div class="preview-box">
        {file.kind === 'image' && <img src={src} alt={file.name} />}
        {file.kind === 'video' && <video src={src} controls autoplay muted />}
        {file.kind === 'audio' && <audio src={src} controls />}
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
      draggable={manage}
      onDragStart={(e) => {
        e.dataTransfer.setData(FILE_DRAG_TYPE, JSON.stringify({ from: device.device_id, name: file.name, id: file.id }));
        e.dataTransfer.setData('text/plain', file.name);
        e.dataTransfer.effectAllowed = 'copyMove';
      }}
      data-file={file.name}
    >
      <td class="thumb-cell">
        <Thumb device={device} file={file} />
      </td>
      <td class="name-cell">
        <div class="file-name">{file.name}</div>
        {placeholder && <span class="badge accent">{t('files.placeholder')}</span>}
        {file.media_name && file.media_name !== file.name && <div class="muted small">{file.media_name}</div>}
      </td>
      <td>{t(`kind.${file.kind}`)}</td>
      <td class="num">{formatBytes(file.size)}</td>
      <td class="hide-narrow">{resolution(file)}</td>
      <td>
        <span class={`badge ${file.status === 'ready' ? 'ok' : file.status === 'failed' ? 'warn' : ''}`}>{t(`status.${file.status}`)}</span>
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
  const id = encodeURIComponent(device.device_id);
  const manage = app.can('manage_content');

  const query = (cursor) => {
    const p = new URLSearchParams({ limit: String(PAGE) });
    if (q.trim()) p.set('q', q.trim());
    if (kind) p.set('kind', kind);
    if (cursor) p.set('cursor', cursor);
    return `/api/v1/devices/${id}/media?${p}`;
  };
  const load = async () => {
    try {
      const early = !q.trim() && !kind ? prefetched.get(device.device_id) : null;
      prefetched.delete(device.device_id);
      const r = await (early ?? api('GET', query('')));
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
        uploads.add(device.device_id, [...e.dataTransfer.files]);
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
                <th class="hide-narrow">{t('files.resolution')}</th>
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
