// Assignments: a playlist on a device or a group, with a priority and a schedule (always; weekly
// time ranges; cron with a duration; optional first and last dates). The editor previews the
// schedule as it is typed (POST /schedules/preview, debounced): its description and next runs on the
// clock of the time zone it will be evaluated in, or the server's reason it is not valid.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api } from '../common/api.js';
import { t } from '../common/i18n.js';
import { errorText, toast, useConfirm } from '../common/ui.jsx';
import { useApp } from './context.js';
import { FormError } from './org/shared.jsx';
import { DAYS, deviceName, describeSchedule, groupName, localStamp, playlistName, useSched } from './schedule_shared.jsx';

const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri'];

// The editor's form ↔ the API's schedule.
function formOf(s) {
  const f = {
    kind: s?.kind === 'daily' ? 'weekly' : s?.kind ?? 'always',
    ranges: (s?.ranges?.length ? s.ranges : [{ days: WEEKDAYS, start: '08:00', end: '18:00' }]).map((r) => ({
      days: r.days?.length ? [...r.days] : [...DAYS],
      start: r.start,
      end: r.end === '24:00' ? '00:00' : r.end,
    })),
    cron: s?.cron ?? '0 9 * * mon-fri',
    minutes: String(s?.duration_minutes ?? 60),
    from_date: s?.from_date ?? '',
    until_date: s?.until_date ?? '',
  };
  return f;
}
function scheduleOf(f) {
  const s = { kind: f.kind };
  if (f.kind === 'weekly') s.ranges = f.ranges.map((r) => ({ days: DAYS.filter((d) => r.days.includes(d)), start: r.start, end: r.end }));
  if (f.kind === 'cron') {
    s.cron = f.cron.trim();
    const n = Number(f.minutes);
    s.duration_minutes = f.minutes.trim() === '' || !Number.isFinite(n) ? f.minutes : n;
  }
  if (f.from_date) s.from_date = f.from_date;
  if (f.until_date) s.until_date = f.until_date;
  return s;
}

// The preview of a schedule in a zone, asked for 400 ms after the last change.
function usePreview(schedule, zone) {
  const key = JSON.stringify([schedule, zone]);
  const [state, setState] = useState({ loading: true, result: null, error: null });
  useEffect(() => {
    const ctl = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    const timer = setTimeout(() => {
      api('POST', '/api/v1/schedules/preview', { schedule, timezone: zone, count: 5 }, { signal: ctl.signal }).then(
        (result) => setState({ loading: false, result, error: null }),
        (error) => error.name !== 'AbortError' && setState({ loading: false, result: null, error }),
      );
    }, 400);
    return () => {
      clearTimeout(timer);
      ctl.abort();
    };
  }, [key]);
  return state;
}

function Preview({ schedule, zone }) {
  const p = usePreview(schedule, zone);
  return (
    <section class="sched-preview" aria-labelledby="preview-title" aria-busy={p.loading ? 'true' : undefined} data-testid="schedule-preview">
      <h3 id="preview-title">{t('sched.preview')}</h3>
      <p class="muted small">{t('sched.preview_zone', { zone })}</p>
      {p.error ? (
        <div class="alert error" role="alert" data-testid="preview-error">
          {errorText(p.error)}
        </div>
      ) : p.result ? (
        <>
          <p class="preview-desc" data-testid="preview-description">
            {describeSchedule(p.result.schedule, p.result.description)}
          </p>
          {p.result.next.length === 0 ? (
            <p class="muted">{t('sched.preview_none')}</p>
          ) : (
            <ol class="preview-runs" data-testid="preview-runs">
              {p.result.next.map((n) => (
                <li key={n.from} data-from={n.from}>
                  {localStamp(n.local_from)} – {sameDay(n.local_from, n.local_to) ? n.local_to.slice(11, 16) : localStamp(n.local_to)}
                </li>
              ))}
            </ol>
          )}
        </>
      ) : (
        <p class="muted">{t('common.loading')}</p>
      )}
    </section>
  );
}
const sameDay = (a, b) => a?.slice(0, 10) === b?.slice(0, 10);

function RangeEditor({ range, index, count, onChange, onRemove }) {
  const set = (patch) => onChange({ ...range, ...patch });
  return (
    <fieldset class="range" data-testid="range">
      <legend>{t('sched.range_n', { n: index + 1 })}</legend>
      <div class="range-days" role="group" aria-label={t('sched.days')}>
        {DAYS.map((d) => (
          <label key={d} class="day-check">
            <input
              type="checkbox"
              checked={range.days.includes(d)}
              onChange={(e) => set({ days: e.currentTarget.checked ? [...range.days, d] : range.days.filter((x) => x !== d) })}
              data-day={d}
            />
            <span>{t(`sched.day.${d}`)}</span>
          </label>
        ))}
      </div>
      <div class="row range-times">
        <label class="inline-check">
          {t('sched.start')}
          <input type="time" value={range.start} onInput={(e) => set({ start: e.currentTarget.value })} required data-testid="range-start" />
        </label>
        <label class="inline-check">
          {t('sched.end')}
          <input type="time" value={range.end} onInput={(e) => set({ end: e.currentTarget.value })} required data-testid="range-end" />
        </label>
        {count > 1 && (
          <button type="button" class="link" onClick={onRemove}>
            {t('sched.range_remove')}
          </button>
        )}
      </div>
    </fieldset>
  );
}

// The zone a target's schedules are evaluated in: the device's own, else the organisation's.
function useTargetZone(target) {
  const data = useSched();
  const [zone, setZone] = useState(null);
  useEffect(() => {
    setZone(null);
    if (!target.startsWith('d:')) return;
    api('GET', `/api/v1/devices/${encodeURIComponent(target.slice(2))}/schedule`).then(
      (s) => setZone(s?.timezone ?? null),
      () => setZone(null),
    );
  }, [target]);
  return zone ?? data.orgZone ?? 'UTC';
}

export function AssignmentEditor({ assignment, onClose, onSaved }) {
  const data = useSched();
  const [playlist, setPlaylist] = useState(assignment?.playlist_id ?? data.playlists?.[0]?.id ?? '');
  const [target, setTarget] = useState(
    assignment ? (assignment.device_id ? `d:${assignment.device_id}` : `g:${assignment.group_id}`) : data.devices?.[0] ? `d:${data.devices[0].device_id}` : `g:${data.groups?.[0]?.id ?? ''}`,
  );
  const [priority, setPriority] = useState(String(assignment?.priority ?? 0));
  const [form, setForm] = useState(() => formOf(assignment?.schedule));
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const zone = useTargetZone(target);
  const schedule = useMemo(() => scheduleOf(form), [form]);
  const set = (patch) => setForm((f) => ({ ...f, ...patch }));
  const first = useRef(null);
  useEffect(() => first.current?.focus(), []);

  const submit = async (e) => {
    e.preventDefault();
    setError(null);
    const p = Number(priority);
    if (!Number.isInteger(p) || p < -1000 || p > 1000) return setError(t('sched.priority_invalid'));
    if (!playlist) return setError(t('sched.playlist_required'));
    const body = { playlist_id: playlist, priority: p, schedule };
    if (target.startsWith('d:')) body.device_id = target.slice(2);
    else body.group_id = target.slice(2);
    setBusy(true);
    try {
      const a = assignment ? await api('PUT', `/api/v1/assignments/${encodeURIComponent(assignment.id)}`, body) : await api('POST', '/api/v1/assignments', body);
      toast(t(assignment ? 'sched.assignment_saved' : 'sched.assignment_created'), 'ok');
      onSaved(a);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <form class="card sched-editor" onSubmit={submit} aria-labelledby="assignment-title" data-testid="assignment-editor">
      <h2 id="assignment-title">{t(assignment ? 'sched.assignment_edit' : 'sched.assignment_new')}</h2>
      <div class="editor-grid">
        <div>
          <div class="field-row">
            <div class="field">
              <label for="as-playlist">{t('sched.playlist')}</label>
              <select id="as-playlist" ref={first} value={playlist} onChange={(e) => setPlaylist(e.currentTarget.value)} required>
                {(data.playlists ?? []).map((p) => (
                  <option key={p.id} value={p.id}>
                    {p.name}
                  </option>
                ))}
              </select>
            </div>
            <div class="field">
              <label for="as-target">{t('sched.target')}</label>
              <select id="as-target" value={target} onChange={(e) => setTarget(e.currentTarget.value)} required>
                {(data.devices ?? []).length > 0 && (
                  <optgroup label={t('sched.devices')}>
                    {data.devices.map((d) => (
                      <option key={d.device_id} value={`d:${d.device_id}`}>
                        {d.name}
                      </option>
                    ))}
                  </optgroup>
                )}
                {(data.groups ?? []).length > 0 && (
                  <optgroup label={t('sched.groups')}>
                    {data.groups.map((g) => (
                      <option key={g.id} value={`g:${g.id}`}>
                        {g.name}
                      </option>
                    ))}
                  </optgroup>
                )}
              </select>
            </div>
            <div class="field">
              <label for="as-priority">{t('sched.priority')}</label>
              <input id="as-priority" type="number" min="-1000" max="1000" step="1" value={priority} onInput={(e) => setPriority(e.currentTarget.value)} aria-describedby="as-priority-hint" required />
              <div class="hint" id="as-priority-hint">
                {t('sched.priority_hint')}
              </div>
            </div>
          </div>
          <fieldset class="kind-choice">
            <legend>{t('sched.when')}</legend>
            <div class="row">
              {['always', 'weekly', 'cron'].map((k) => (
                <label key={k} class="inline-check">
                  <input type="radio" name="as-kind" value={k} checked={form.kind === k} onChange={() => set({ kind: k })} data-kind={k} />
                  {t(`sched.kind.${k}`)}
                </label>
              ))}
            </div>
          </fieldset>
          {form.kind === 'weekly' && (
            <div class="ranges">
              {form.ranges.map((r, i) => (
                <RangeEditor
                  key={i}
                  range={r}
                  index={i}
                  count={form.ranges.length}
                  onChange={(nr) => set({ ranges: form.ranges.map((x, j) => (j === i ? nr : x)) })}
                  onRemove={() => set({ ranges: form.ranges.filter((_, j) => j !== i) })}
                />
              ))}
              <button type="button" onClick={() => set({ ranges: [...form.ranges, { days: [...DAYS], start: '09:00', end: '17:00' }] })} data-testid="range-add">
                {t('sched.range_add')}
              </button>
            </div>
          )}
          {form.kind === 'cron' && (
            <div class="field-row">
              <div class="field">
                <label for="as-cron">{t('sched.cron')}</label>
                <input id="as-cron" value={form.cron} onInput={(e) => set({ cron: e.currentTarget.value })} spellcheck={false} autocomplete="off" aria-describedby="as-cron-hint" required />
                <div class="hint" id="as-cron-hint">
                  {t('sched.cron_hint')}
                </div>
              </div>
              <div class="field">
                <label for="as-minutes">{t('sched.duration_minutes')}</label>
                <input id="as-minutes" type="number" min="1" max="10080" value={form.minutes} onInput={(e) => set({ minutes: e.currentTarget.value })} required />
              </div>
            </div>
          )}
          <div class="field-row">
            <div class="field">
              <label for="as-from">{t('sched.from_date')}</label>
              <input id="as-from" type="date" value={form.from_date} onInput={(e) => set({ from_date: e.currentTarget.value })} />
            </div>
            <div class="field">
              <label for="as-until">{t('sched.until_date')}</label>
              <input id="as-until" type="date" value={form.until_date} onInput={(e) => set({ until_date: e.currentTarget.value })} />
            </div>
          </div>
        </div>
        <Preview schedule={schedule} zone={zone} />
      </div>
      <FormError error={error} />
      <div class="actions">
        <button type="button" onClick={onClose}>
          {t('action.cancel')}
        </button>
        <button type="submit" class="primary" disabled={busy} data-testid="assignment-save">
          {busy ? t('org.saving') : t('action.save')}
        </button>
      </div>
    </form>
  );
}

export default function AssignmentsTab() {
  const app = useApp();
  const data = useSched();
  const manage = app.can('manage_content');
  const [list, setList] = useState(null);
  const [error, setError] = useState(null);
  const [editing, setEditing] = useState(null); // null | 'new' | assignment
  const [confirm, confirmUi] = useConfirm();
  const load = () =>
    api('GET', '/api/v1/assignments').then(
      (r) => {
        setList(r.items ?? []);
        setError(null);
      },
      setError,
    );
  useEffect(() => {
    load();
  }, [data.version, data.playlists, data.groups]);

  const remove = async (a) => {
    if (!(await confirm(t('sched.assignment_delete_confirm', { playlist: playlistName(data, a.playlist_id) }), t('action.delete')))) return;
    try {
      await api('DELETE', `/api/v1/assignments/${encodeURIComponent(a.id)}`);
      toast(t('sched.assignment_deleted'), 'ok');
      load();
    } catch (e) {
      toast(errorText(e), 'error');
    }
  };
  const sorted = (list ?? []).slice().sort((a, b) => b.priority - a.priority || playlistName(data, a.playlist_id).localeCompare(playlistName(data, b.playlist_id)));
  const canCreate = (data.playlists ?? []).length > 0 && ((data.devices ?? []).length > 0 || (data.groups ?? []).length > 0);

  return (
    <div class="sched-assignments">
      <div class="row sched-subhead">
        <p class="muted small sched-intro">{t('sched.assignments_intro')}</p>
        <span class="spacer" />
        {manage && !editing && (
          <button type="button" class="primary" onClick={() => setEditing('new')} disabled={!canCreate} data-testid="assignment-new">
            {t('sched.assignment_new')}
          </button>
        )}
      </div>
      {manage && !canCreate && <p class="alert warn">{t('sched.assignment_needs')}</p>}
      {editing && (
        <AssignmentEditor
          key={editing === 'new' ? 'new' : editing.id}
          assignment={editing === 'new' ? null : editing}
          onClose={() => setEditing(null)}
          onSaved={() => {
            setEditing(null);
            load();
          }}
        />
      )}
      <FormError error={error} />
      {list === null ? (
        <div class="empty" aria-busy="true">{t('common.loading')}</div>
      ) : sorted.length === 0 ? (
        <div class="empty card">{t('sched.assignments_none')}</div>
      ) : (
        <div class="table-wrap">
          <table class="list" data-testid="assignment-table">
            <thead>
              <tr>
                <th>{t('sched.playlist')}</th>
                <th>{t('sched.target')}</th>
                <th>{t('sched.priority')}</th>
                <th>{t('sched.when')}</th>
                {manage && <th class="actions-col"><span class="visually-hidden">{t('org.actions')}</span></th>}
              </tr>
            </thead>
            <tbody>
              {sorted.map((a) => (
                <tr key={a.id} data-id={a.id}>
                  <td>
                    <a href={`#/schedule/playlists/${encodeURIComponent(a.playlist_id)}`}>{playlistName(data, a.playlist_id)}</a>
                  </td>
                  <td>
                    {a.device_id ? (
                      <a href={`#/schedule/timeline/d/${encodeURIComponent(a.device_id)}`}>{deviceName(data, a.device_id)}</a>
                    ) : (
                      <a href={`#/schedule/timeline/g/${encodeURIComponent(a.group_id)}`}>
                        {groupName(data, a.group_id)} <span class="badge">{t('sched.group')}</span>
                      </a>
                    )}
                  </td>
                  <td class="num">{a.priority}</td>
                  <td data-testid="assignment-when">{describeSchedule(a.schedule, a.description)}</td>
                  {manage && (
                    <td class="actions-cell">
                      <div class="row-actions">
                        <button type="button" onClick={() => setEditing(a)} aria-label={t('sched.edit_for', { name: playlistName(data, a.playlist_id) })}>
                          {t('sched.edit')}
                        </button>
                        <button type="button" class="danger" onClick={() => remove(a)} aria-label={t('sched.delete_for', { name: playlistName(data, a.playlist_id) })}>
                          {t('action.delete')}
                        </button>
                      </div>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {confirmUi}
    </div>
  );
}
