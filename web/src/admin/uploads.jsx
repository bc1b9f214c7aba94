// Uploads: a queue of files per device, two at a time, each its own request so it has its own
// progress bar and cancel button; a total bar counts bytes sent. The browser streams each File from
// disk (XMLHttpRequest + FormData), so a 2 GB video is never held in memory, here or on the server.
// A folder (picked with the folder button, or dropped) is one request of all its files, each part
// named by its relative path ("holiday/img1.jpg"): the server makes it one image folder.
import { useEffect, useRef, useState } from 'preact/hooks';
import { upload } from '../common/api.js';
import { formatBytes, plural, t } from '../common/i18n.js';
import { Progress, errorText, toast } from '../common/ui.jsx';

const PARALLEL = 2;
let nextId = 0;

// An upload source is a File (a picked folder's files carry webkitRelativePath) or {file, path}.
const fileOf = (src) => (src instanceof Blob ? src : src.file);
const pathOf = (src) => (src instanceof Blob ? src.webkitRelativePath : src.path || src.file.webkitRelativePath) || '';

// One queue item per loose file, one per top folder with every file under it.
function groupUploads(sources) {
  const folders = new Map();
  const items = [];
  for (const src of sources) {
    const p = pathOf(src);
    const top = p.includes('/') ? p.slice(0, p.indexOf('/')) : '';
    if (!top) {
      items.push({ name: fileOf(src).name, parts: [src], folder: false });
      continue;
    }
    if (!folders.has(top)) {
      const item = { name: top, parts: [], folder: true };
      folders.set(top, item);
      items.push(item);
    }
    folders.get(top).parts.push(src);
  }
  return items.map((x) => ({ ...x, size: x.parts.reduce((n, src) => n + (fileOf(src).size || 0), 0) }));
}

// What a drop brings: files, and the files of dropped folders with their relative paths (the
// entries must be taken while the drop event runs; reading them may take longer). Resolves to
// upload sources.
export function droppedFiles(dataTransfer) {
  const entries = [...(dataTransfer.items ?? [])]
    .filter((i) => i.kind === 'file')
    .map((i) => i.webkitGetAsEntry?.())
    .filter(Boolean);
  const plain = [...dataTransfer.files];
  if (!entries.some((e) => e.isDirectory)) return Promise.resolve(plain);
  const out = [];
  const walk = async (entry, prefix) => {
    if (entry.isFile) {
      const file = await new Promise((resolve, reject) => entry.file(resolve, reject));
      out.push(prefix ? { file, path: prefix + entry.name } : file);
    } else if (entry.isDirectory) {
      const reader = entry.createReader();
      // readEntries answers in batches (100 in Chromium) until an empty one.
      for (;;) {
        const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
        if (!batch.length) break;
        for (const e of batch) await walk(e, `${prefix}${entry.name}/`);
      }
    }
  };
  return (async () => {
    for (const e of entries) await walk(e, '');
    return out;
  })();
}

export function useUploads() {
  const [items, setItems] = useState([]);
  const ref = useRef([]);
  const listeners = useRef(new Set());
  const set = (f) => {
    ref.current = f(ref.current);
    setItems(ref.current);
  };
  const patch = (id, p) => set((list) => list.map((x) => (x.id === id ? { ...x, ...p } : x)));

  const pump = () => {
    const running = ref.current.filter((x) => x.status === 'sending').length;
    const waiting = ref.current.filter((x) => x.status === 'waiting').slice(0, Math.max(0, PARALLEL - running));
    for (const item of waiting) {
      const job = upload(item.device, item.parts, (sent, total) => patch(item.id, { sent, total }));
      patch(item.id, { status: 'sending', abort: job.abort });
      job.promise.then(
        () => {
          patch(item.id, { status: 'done', sent: item.size, abort: null });
          for (const f of listeners.current) f(item.device);
          pump();
        },
        (e) => {
          patch(item.id, { status: e.code === 'aborted' ? 'cancelled' : 'failed', error: errorText(e), abort: null });
          if (e.code !== 'aborted') toast(`${item.name}: ${errorText(e)}`, 'error');
          pump();
        },
      );
    }
  };

  return {
    items,
    // sources: Files, or {file, path} for the files of a dropped folder.
    add(device, sources) {
      if (!sources.length) return;
      set((list) => [
        ...list.filter((x) => x.status === 'waiting' || x.status === 'sending' || x.status === 'failed'),
        ...groupUploads(sources).map((x) => ({ id: ++nextId, device, ...x, sent: 0, total: x.size, status: 'waiting' })),
      ]);
      pump();
    },
    cancel(id) {
      const item = ref.current.find((x) => x.id === id);
      if (item?.status === 'sending') item.abort?.();
      else if (item?.status === 'waiting') patch(id, { status: 'cancelled' });
    },
    clear() {
      set((list) => list.filter((x) => x.status === 'waiting' || x.status === 'sending' || x.status === 'failed'));
    },
    dismiss() {
      set((list) => list.filter((x) => x.status === 'waiting' || x.status === 'sending'));
    },
    // f(device) after each finished upload (the file list reloads).
    onDone(f) {
      listeners.current.add(f);
      return () => listeners.current.delete(f);
    },
  };
}

export function UploadPanel({ uploads }) {
  const items = uploads.items;
  // Once everything finished well, the panel goes away by itself after a moment.
  const settled = items.length > 0 && items.every((x) => x.status === 'done' || x.status === 'cancelled');
  useEffect(() => {
    if (!settled) return;
    const h = setTimeout(uploads.clear, 4000);
    return () => clearTimeout(h);
  }, [settled, items.length]);
  if (!items.length) return null;
  const active = items.filter((x) => x.status !== 'cancelled');
  const total = active.reduce((n, x) => n + (x.size || 0), 0);
  const sent = active.reduce((n, x) => n + Math.min(x.sent || 0, x.size || 0), 0);
  const busy = items.some((x) => x.status === 'sending' || x.status === 'waiting');
  return (
    <section class="uploads card" aria-label={t('upload.title')} data-testid="uploads">
      <div class="row">
        <h2>{t('upload.title')}</h2>
        <span class="muted small" data-testid="upload-total">
          {formatBytes(sent)} / {formatBytes(total)}
        </span>
        <span class="spacer" />
        {!busy && <button type="button" class="link" onClick={uploads.dismiss}>{t('upload.clear')}</button>}
      </div>
      <Progress value={sent} max={total} label={t('upload.total')} />
      <ul class="upload-list">
        {items.map((x) => (
          <li key={x.id} class={`upload ${x.status}`}>
            <div class="row">
              <span class="upload-name" title={x.name}>{x.folder ? `${x.name}/` : x.name}</span>
              {x.folder && <span class="muted small">{plural('upload.folder_files', x.parts.length)}</span>}
              <span class="muted small">→ {x.device}</span>
              <span class="spacer" />
              <span class={`badge ${x.status === 'done' ? 'ok' : x.status === 'failed' ? 'warn' : ''}`}>{t(`upload.${x.status}`)}</span>
              {(x.status === 'sending' || x.status === 'waiting') && (
                <button type="button" class="link" onClick={() => uploads.cancel(x.id)} aria-label={t('upload.cancel_file', { name: x.name })}>
                  {t('action.cancel')}
                </button>
              )}
            </div>
            {x.status === 'sending' && <Progress value={x.sent} max={x.size} label={x.name} />}
            {x.status === 'failed' && <div class="small error-text">{x.error}</div>}
          </li>
        ))}
      </ul>
    </section>
  );
}
