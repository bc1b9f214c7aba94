// Uploads: a queue of files per device, two at a time, each its own request so it has its own
// progress bar and cancel button; a total bar counts bytes sent. The browser streams each File from
// disk (XMLHttpRequest + FormData), so a 2 GB video is never held in memory, here or on the server.
import { useEffect, useRef, useState } from 'preact/hooks';
import { upload } from '../common/api.js';
import { formatBytes, t } from '../common/i18n.js';
import { Progress, errorText, toast } from '../common/ui.jsx';

const PARALLEL = 2;
let nextId = 0;

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
      const job = upload(item.device, [item.file], (sent, total) => patch(item.id, { sent, total }));
      patch(item.id, { status: 'sending', abort: job.abort });
      job.promise.then(
        () => {
          patch(item.id, { status: 'done', sent: item.file.size, abort: null });
          for (const f of listeners.current) f(item.device);
          pump();
        },
        (e) => {
          patch(item.id, { status: e.code === 'aborted' ? 'cancelled' : 'failed', error: errorText(e), abort: null });
          if (e.code !== 'aborted') toast(`${item.file.name}: ${errorText(e)}`, 'error');
          pump();
        },
      );
    }
  };

  return {
    items,
    add(device, files) {
      set((list) => [
        ...list.filter((x) => x.status === 'waiting' || x.status === 'sending' || x.status === 'failed'),
        ...files.map((file) => ({ id: ++nextId, device, file, sent: 0, total: file.size, status: 'waiting' })),
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
  const total = active.reduce((n, x) => n + (x.file.size || 0), 0);
  const sent = active.reduce((n, x) => n + Math.min(x.sent || 0, x.file.size || 0), 0);
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
              <span class="upload-name" title={x.file.name}>{x.file.name}</span>
              <span class="muted small">→ {x.device}</span>
              <span class="spacer" />
              <span class={`badge ${x.status === 'done' ? 'ok' : x.status === 'failed' ? 'warn' : ''}`}>{t(`upload.${x.status}`)}</span>
              {(x.status === 'sending' || x.status === 'waiting') && (
                <button type="button" class="link" onClick={() => uploads.cancel(x.id)} aria-label={t('upload.cancel_file', { name: x.file.name })}>
                  {t('action.cancel')}
                </button>
              )}
            </div>
            {x.status === 'sending' && <Progress value={x.sent} max={x.file.size} label={x.file.name} />}
            {x.status === 'failed' && <div class="small error-text">{x.error}</div>}
          </li>
        ))}
      </ul>
    </section>
  );
}
