// Playlists: the list; creating, renaming, duplicating and deleting one; and the editor of its items
// (media items of the library, each with an optional duration), which are reordered by drag and drop
// or by the Up/Down buttons, with the loop, shuffle and transition settings. Saving sends the whole
// playlist (PUT), items in the new order.
import { useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api } from '../common/api.js';
import { plural, t } from '../common/i18n.js';
import { Modal, errorText, toast, useConfirm } from '../common/ui.jsx';
import { useApp } from './context.js';
import { FormError } from './org/shared.jsx';
import { SideList, useSched } from './schedule_shared.jsx';

const ITEM_DRAG_TYPE = 'application/x-videocontrol-playlist-item';
let keySeq = 0;
const withKeys = (items) => items.map((i) => ({ ...i, key: ++keySeq }));

function NewPlaylistDialog({ onClose, onCreated }) {
  const [name, setName] = useState('');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    try {
      onCreated(await api('POST', '/api/v1/playlists', { name: name.trim(), loop: true, shuffle: false, transition: 'none', items: [] }));
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return (
    <Modal title={t('sched.playlist_new')} onClose={onClose}>
      <form onSubmit={submit}>
        <div class="field">
          <label for="playlist-new-name">{t('sched.name')}</label>
          <input id="playlist-new-name" value={name} onInput={(e) => setName(e.currentTarget.value)} maxLength={100} required />
        </div>
        <FormError error={error} />
        <div class="actions">
          <button type="button" onClick={onClose}>{t('action.cancel')}</button>
          <button type="submit" class="primary" disabled={busy}>{t('sched.create')}</button>
        </div>
      </form>
    </Modal>
  );
}

// Seconds as typed ("" for none) ↔ duration_ms.
const toSeconds = (ms) => (ms == null ? '' : String(ms / 1000));
function toMs(text) {
  const s = String(text ?? '').trim().replace(',', '.');
  if (s === '') return null;
  const n = Number(s);
  return Number.isFinite(n) ? Math.round(n * 1000) : NaN;
}

function KindBadge({ media }) {
  if (!media) return <span class="badge warn">{t('sched.media_missing')}</span>;
  return <span class="badge">{t(`kind.${media.kind}`)}</span>;
}

// One item of the list: a drag handle, its place, the media, its duration and the move buttons.
function ItemRow({ item, index, count, media, manage, onMove, onRemove, onDuration, drag }) {
  const name = media?.name ?? item.media_id;
  return (
    <li
      class={`pl-item${drag.over === index ? ` drop-${drag.where}` : ''}${drag.from === index ? ' dragging' : ''}`}
      draggable={manage}
      data-index={index}
      data-media={item.media_id}
      onDragStart={(e) => drag.start(e, index)}
      onDragOver={(e) => drag.over_(e, index)}
      onDragLeave={() => drag.leave(index)}
      onDrop={(e) => drag.drop(e, index)}
      onDragEnd={drag.end}
    >
      {manage && (
        <span class="drag-handle" aria-hidden="true" title={t('sched.drag_hint')}>
          ⠿
        </span>
      )}
      <span class="pl-pos">{index + 1}</span>
      <span class="pl-name" title={name}>
        {name}
      </span>
      <KindBadge media={media} />
      {manage ? (
        <label class="pl-duration">
          <span class="visually-hidden">{t('sched.duration_for', { name })}</span>
          <input
            type="number"
            min="1"
            max="86400"
            step="any"
            inputMode="decimal"
            placeholder={t('sched.duration_auto')}
            value={item.seconds}
            onInput={(e) => onDuration(index, e.currentTarget.value)}
            data-testid="item-duration"
          />
          <span class="muted small" aria-hidden="true">
            {t('sched.seconds_short')}
          </span>
        </label>
      ) : (
        <span class="muted small pl-duration">{item.seconds ? t('sched.seconds', { n: item.seconds }) : t('sched.duration_auto')}</span>
      )}
      {manage && (
        <span class="pl-buttons">
          <button type="button" class="icon" data-move="up" aria-label={t('sched.move_up', { name })} title={t('sched.move_up', { name })} disabled={index === 0} onClick={() => onMove(index, index - 1, 'up')}>
            ↑
          </button>
          <button type="button" class="icon" data-move="down" aria-label={t('sched.move_down', { name })} title={t('sched.move_down', { name })} disabled={index === count - 1} onClick={() => onMove(index, index + 1, 'down')}>
            ↓
          </button>
          <button type="button" class="icon danger" aria-label={t('sched.remove_item', { name })} title={t('sched.remove_item', { name })} onClick={() => onRemove(index)}>
            ✕
          </button>
        </span>
      )}
    </li>
  );
}

// The library, to add items from (filtered by name).
function MediaPicker({ onAdd }) {
  const data = useSched();
  const [filter, setFilter] = useState('');
  const shown = useMemo(() => {
    const f = filter.trim().toLowerCase();
    return (data.media ?? []).filter((m) => !f || m.name.toLowerCase().includes(f)).slice(0, 200);
  }, [data.media, filter]);
  return (
    <section class="pl-library" aria-labelledby="pl-library-title">
      <h3 id="pl-library-title">{t('sched.library')}</h3>
      <input type="search" placeholder={t('sched.library_filter')} aria-label={t('sched.library_filter')} value={filter} onInput={(e) => setFilter(e.currentTarget.value)} />
      {(data.media ?? []).length === 0 ? (
        <p class="muted small">{t('sched.library_empty')}</p>
      ) : (
        <ul class="pl-library-list" data-testid="media-library">
          {shown.map((m) => (
            <li key={m.id}>
              <span class="pl-name" title={m.name}>
                {m.name}
              </span>
              <span class="badge">{t(`kind.${m.kind}`)}</span>
              <button type="button" class="icon" onClick={() => onAdd(m)} aria-label={t('sched.add_item', { name: m.name })} title={t('sched.add_item', { name: m.name })} data-media={m.id}>
                +
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function PlaylistEditor({ playlist }) {
  const app = useApp();
  const data = useSched();
  const manage = app.can('manage_content');
  const fromPlaylist = (p) => ({
    name: p.name,
    loop: p.loop,
    shuffle: p.shuffle,
    transition: p.transition,
    items: withKeys(p.items.map((i) => ({ media_id: i.media_id, seconds: toSeconds(i.duration_ms) }))),
  });
  const [draft, setDraft] = useState(() => fromPlaylist(playlist));
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const [announce, setAnnounce] = useState('');
  const [confirm, confirmUi] = useConfirm();
  const listRef = useRef(null);
  const focusAfter = useRef(null);
  const saved = useRef(JSON.stringify(fromPlaylistPlain(playlist)));
  // A new version from the server replaces the draft only when nothing is being edited: someone
  // else's change (or the reload after our own save) does not throw away edits in progress.
  // The functional update compares the latest draft (an effect's closure holds the draft of the render
  // that scheduled it, which missed an edit made just after a save).
  useLayoutEffect(() => {
    const before = saved.current;
    saved.current = JSON.stringify(fromPlaylistPlain(playlist));
    setDraft((d) => (JSON.stringify(plain(d)) !== before ? d : fromPlaylist(playlist)));
  }, [playlist.id, playlist.updated_at]);
  const dirty = JSON.stringify(plain(draft)) !== saved.current;
  const media = useMemo(() => new Map((data.media ?? []).map((m) => [m.id, m])), [data.media]);
  const id = encodeURIComponent(playlist.id);

  // After a move by keyboard the same button of the moved item keeps the focus (in the same commit
  // as the move: the button that moved to the top is disabled there and must not hold the focus).
  useLayoutEffect(() => {
    const f = focusAfter.current;
    if (!f) return;
    focusAfter.current = null;
    const li = listRef.current?.querySelector(`li[data-index="${f.index}"]`);
    const b = li?.querySelector(`button[data-move="${f.dir}"]`);
    (b && !b.disabled ? b : li?.querySelector('button[data-move]:not(:disabled)'))?.focus();
  });

  const set = (patch) => setDraft((d) => ({ ...d, ...patch }));
  const move = (from, to, dir) => {
    if (to < 0 || to >= draft.items.length || from === to) return;
    const items = [...draft.items];
    const [it] = items.splice(from, 1);
    items.splice(to, 0, it);
    set({ items });
    setAnnounce(t('sched.moved', { name: media.get(it.media_id)?.name ?? it.media_id, n: to + 1, count: items.length }));
    if (dir) focusAfter.current = { index: to, dir };
  };
  const remove = (index) => set({ items: draft.items.filter((_, i) => i !== index) });
  const setDuration = (index, seconds) => set({ items: draft.items.map((it, i) => (i === index ? { ...it, seconds } : it)) });
  const add = (m) => {
    set({ items: [...draft.items, ...withKeys([{ media_id: m.id, seconds: '' }])] });
    setAnnounce(t('sched.added', { name: m.name }));
  };

  // Drag and drop within the list: over the upper half of a row drops before it, else after it.
  const [dragState, setDragState] = useState({ from: null, over: null, where: 'before' });
  const drag = {
    ...dragState,
    start: (e, index) => {
      if (!manage) return;
      e.dataTransfer.setData(ITEM_DRAG_TYPE, String(index));
      e.dataTransfer.setData('text/plain', media.get(draft.items[index].media_id)?.name ?? '');
      e.dataTransfer.effectAllowed = 'move';
      setDragState({ from: index, over: null, where: 'before' });
    },
    over_: (e, index) => {
      if (!manage || !e.dataTransfer.types.includes(ITEM_DRAG_TYPE)) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = 'move';
      const r = e.currentTarget.getBoundingClientRect();
      const where = e.clientY < r.top + r.height / 2 ? 'before' : 'after';
      if (dragState.over !== index || dragState.where !== where) setDragState((s) => ({ ...s, over: index, where }));
    },
    leave: (index) => dragState.over === index && setDragState((s) => ({ ...s, over: null })),
    drop: (e, index) => {
      if (!manage || !e.dataTransfer.types.includes(ITEM_DRAG_TYPE)) return;
      e.preventDefault();
      const from = Number(e.dataTransfer.getData(ITEM_DRAG_TYPE));
      const r = e.currentTarget.getBoundingClientRect();
      const after = e.clientY >= r.top + r.height / 2;
      let to = index + (after ? 1 : 0);
      if (from < to) to -= 1;
      setDragState({ from: null, over: null, where: 'before' });
      if (Number.isInteger(from)) move(from, to);
    },
    end: () => setDragState({ from: null, over: null, where: 'before' }),
  };

  const save = async () => {
    setError(null);
    const bad = draft.items.find((it) => Number.isNaN(toMs(it.seconds)));
    if (bad) return setError(t('sched.duration_invalid', { name: media.get(bad.media_id)?.name ?? bad.media_id }));
    setBusy(true);
    try {
      const body = plain(draft);
      const p = await api('PUT', `/api/v1/playlists/${id}`, body);
      saved.current = JSON.stringify(fromPlaylistPlain(p));
      setDraft((d) => ({ ...d, name: p.name }));
      await data.reload('playlists');
      toast(t('sched.playlist_saved', { name: body.name }), 'ok');
    } catch (e) {
      setError(e);
    }
    setBusy(false);
  };
  const duplicate = async () => {
    try {
      const p = await api('POST', `/api/v1/playlists/${id}/duplicate`);
      await data.reload('playlists');
      toast(t('sched.playlist_duplicated', { name: p.name }), 'ok');
      location.hash = `#/schedule/playlists/${encodeURIComponent(p.id)}`;
    } catch (e) {
      toast(errorText(e), 'error');
    }
  };
  const del = async () => {
    if (!(await confirm(t('sched.playlist_delete_confirm', { name: playlist.name }), t('action.delete')))) return;
    try {
      await api('DELETE', `/api/v1/playlists/${id}`);
      toast(t('sched.playlist_deleted', { name: playlist.name }), 'ok');
      await data.reload('playlists');
      location.hash = '#/schedule/playlists';
    } catch (e) {
      toast(errorText(e), 'error');
    }
  };

  return (
    <section class="card sched-main" aria-labelledby="playlist-title" data-testid="playlist-editor">
      <div class="row sched-head">
        <h2 id="playlist-title">{playlist.name}</h2>
        <span class="muted small">{plural('sched.items', playlist.items.length)}</span>
        <span class="spacer" />
        {manage && <button type="button" onClick={duplicate}>{t('sched.duplicate')}</button>}
        {manage && <button type="button" class="danger" onClick={del}>{t('action.delete')}</button>}
      </div>
      <div class="pl-settings">
        {manage && (
          <div class="field pl-name-field">
            <label for="playlist-name">{t('sched.name')}</label>
            <input id="playlist-name" value={draft.name} maxLength={100} onInput={(e) => set({ name: e.currentTarget.value })} />
          </div>
        )}
        <label class="inline-check">
          <input type="checkbox" checked={draft.loop} disabled={!manage} onChange={(e) => set({ loop: e.currentTarget.checked })} data-testid="pl-loop" />
          {t('sched.loop')}
        </label>
        <label class="inline-check">
          <input type="checkbox" checked={draft.shuffle} disabled={!manage} onChange={(e) => set({ shuffle: e.currentTarget.checked })} data-testid="pl-shuffle" />
          {t('sched.shuffle')}
        </label>
        <label class="inline-check">
          {t('sched.transition')}
          <select value={draft.transition} disabled={!manage} onChange={(e) => set({ transition: e.currentTarget.value })} data-testid="pl-transition">
            <option value="none">{t('sched.transition.none')}</option>
            <option value="fade">{t('sched.transition.fade')}</option>
          </select>
        </label>
      </div>
      <div class={manage ? 'pl-grid' : ''}>
        <div>
          <h3 id="pl-items-title">{t('sched.items_title')}</h3>
          {manage && draft.items.length > 1 && <p class="hint pl-hint">{t('sched.reorder_hint')}</p>}
          {draft.items.length === 0 ? (
            <p class="muted pl-empty">{manage ? t('sched.items_none_edit') : t('sched.items_none')}</p>
          ) : (
            <ol class="pl-items" ref={listRef} aria-labelledby="pl-items-title" data-testid="playlist-items">
              {draft.items.map((it, i) => (
                <ItemRow
                  key={it.key}
                  item={it}
                  index={i}
                  count={draft.items.length}
                  media={media.get(it.media_id)}
                  manage={manage}
                  onMove={move}
                  onRemove={remove}
                  onDuration={setDuration}
                  drag={drag}
                />
              ))}
            </ol>
          )}
          <div class="visually-hidden" role="status" aria-live="polite" data-testid="pl-announce">
            {announce}
          </div>
        </div>
        {manage && <MediaPicker onAdd={add} />}
      </div>
      <FormError error={error} />
      {manage && (
        <div class="row sched-save">
          <button type="button" class="primary" disabled={!dirty || busy} onClick={save} data-testid="playlist-save">
            {busy ? t('org.saving') : t('action.save')}
          </button>
          {dirty && (
            <button type="button" onClick={() => setDraft(fromPlaylist(playlist))}>
              {t('sched.revert')}
            </button>
          )}
          {dirty && <span class="muted small">{t('sched.unsaved')}</span>}
        </div>
      )}
      {confirmUi}
    </section>
  );
}

// The body of a PUT from the draft (durations in ms; "" is none).
function plain(d) {
  return {
    name: d.name.trim(),
    loop: d.loop,
    shuffle: d.shuffle,
    transition: d.transition,
    items: d.items.map((it) => {
      const ms = toMs(it.seconds);
      return ms == null ? { media_id: it.media_id } : { media_id: it.media_id, duration_ms: ms };
    }),
  };
}
function fromPlaylistPlain(p) {
  return plain({ ...p, items: p.items.map((i) => ({ media_id: i.media_id, seconds: toSeconds(i.duration_ms) })) });
}

export default function PlaylistsTab({ path }) {
  const app = useApp();
  const data = useSched();
  const [adding, setAdding] = useState(false);
  const selectedId = path[0] ? decodeURIComponent(path[0]) : null;
  const playlists = data.playlists ?? [];
  const selected = playlists.find((p) => p.id === selectedId) ?? (selectedId ? null : playlists[0]);
  return (
    <div class="sched-split">
      <div class="sched-aside">
        {app.can('manage_content') && (
          <button type="button" class="primary sched-new" onClick={() => setAdding(true)} data-testid="playlist-new">
            {t('sched.playlist_new')}
          </button>
        )}
        <SideList
          label={t('sched.tab.playlists')}
          items={playlists}
          selectedId={selected?.id}
          href={(p) => `#/schedule/playlists/${encodeURIComponent(p.id)}`}
          render={(p) => (
            <>
              <span class="side-name">{p.name}</span>
              <span class="muted small">{plural('sched.items', p.items.length)}</span>
            </>
          )}
          empty={t('sched.playlists_none')}
          testid="playlist-list"
        />
      </div>
      {selected ? (
        <PlaylistEditor key={selected.id} playlist={selected} />
      ) : selectedId ? (
        <div class="alert error">{t('sched.not_found')}</div>
      ) : (
        <div class="empty card sched-main">{t('sched.playlists_intro')}</div>
      )}
      {adding && (
        <NewPlaylistDialog
          onClose={() => setAdding(false)}
          onCreated={async (p) => {
            setAdding(false);
            await data.reload('playlists');
            location.hash = `#/schedule/playlists/${encodeURIComponent(p.id)}`;
          }}
        />
      )}
    </div>
  );
}
