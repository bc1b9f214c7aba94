// What plays on a device (or on each device of a group) through one day of its time zone, and why:
// a strip of coloured segments, one per timeline entry, as wide as it lasts, with a legend of the
// causes (an assignment and its priority, the default playlist, an override, the placeholder,
// nothing). For one device, also its default playlist and time zone.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api } from '../common/api.js';
import { t } from '../common/i18n.js';
import { toast } from '../common/ui.jsx';
import { useApp } from './context.js';
import { FormError } from './org/shared.jsx';
import { ZoneSelect, clockIn, deviceName, groupName, longDate, mediaName, playlistName, shiftDate, todayIn, useSched, zonedInstant } from './schedule_shared.jsx';

// Colours of the assignments (by their order in the day), then one per other cause.
const PALETTE = 6;

function causeOf(e) {
  if (e.source === 'assignment') return `a:${e.assignment_id}`;
  if (e.source === 'default_playlist') return `p:${e.playlist_id}`;
  if (e.source === 'override') return `o:${e.override_id}`;
  return e.source;
}

function explain(data, e, assignments) {
  switch (e.source) {
    case 'assignment': {
      const a = assignments.get(e.assignment_id);
      const via = e.group_id ? t('sched.via_group', { group: groupName(data, e.group_id) }) : '';
      return t('sched.why.assignment', { playlist: playlistName(data, e.playlist_id), priority: e.priority ?? a?.priority ?? 0 }) + via;
    }
    case 'default_playlist':
      return t('sched.why.default_playlist', { playlist: playlistName(data, e.playlist_id) });
    case 'override': {
      const what = [e.message, e.media_id ? mediaName(data, e.media_id) : ''].filter(Boolean).join(' · ');
      return t('sched.why.override', { what: what || '—' });
    }
    case 'placeholder':
      return t('sched.why.placeholder');
    default:
      return t('sched.why.nothing');
  }
}

// One device's day.
function Strip({ deviceId, date, assignments, showName }) {
  const data = useSched();
  const [tl, setTl] = useState(null);
  const [error, setError] = useState(null);
  const [zone, setZone] = useState(null);
  // A refresh of the same day (a change event, a saved assignment) keeps the strip on screen until
  // the new timeline arrives instead of blinking to "loading"; another day shows "loading".
  useEffect(() => {
    let live = true;
    setError(null);
    (async () => {
      // The day is the device's: its own zone, else the organisation's.
      const s = await api('GET', `/api/v1/devices/${encodeURIComponent(deviceId)}/schedule`);
      const z = s?.timezone || data.orgZone || 'UTC';
      const from = zonedInstant(z, date);
      const to = zonedInstant(z, shiftDate(date, 1));
      const r = await api('GET', `/api/v1/devices/${encodeURIComponent(deviceId)}/timeline?from=${encodeURIComponent(new Date(from).toISOString())}&to=${encodeURIComponent(new Date(to).toISOString())}`);
      if (live) {
        setZone(z);
        setTl({ ...r, date, fromMs: from, toMs: to });
      }
    })().catch((e) => live && setError(e));
    return () => {
      live = false;
    };
  }, [deviceId, date, data.orgZone, data.version, assignments]);

  const name = deviceName(data, deviceId);
  if (error) return <FormError error={error} />;
  if (!tl || tl.date !== date) return <div class="strip-row muted small" aria-busy="true">{name}: {t('common.loading')}</div>;
  const total = tl.toMs - tl.fromMs;
  const order = [];
  for (const e of tl.entries) if (e.source === 'assignment' && !order.includes(e.assignment_id)) order.push(e.assignment_id);
  const colour = (e) => (e.source === 'assignment' ? `seg-a${order.indexOf(e.assignment_id) % PALETTE}` : `seg-${e.source}`);
  // Hour marks every 3 hours of the zone's clock (a daylight-saving day has 23 or 25 hours).
  const marks = [0, 3, 6, 9, 12, 15, 18, 21].map((h) => ({ h, at: (zonedInstant(zone, date, h) - tl.fromMs) / total }));
  const legend = new Map();
  for (const e of tl.entries) if (!legend.has(causeOf(e))) legend.set(causeOf(e), e);
  return (
    <div class="strip-row" data-device={deviceId} data-window-from={new Date(tl.fromMs).toISOString()} data-window-to={new Date(tl.toMs).toISOString()} data-testid="strip">
      {showName && <h3 class="strip-name">{name}</h3>}
      <div class="strip-zone muted small">{t('sched.strip_zone', { zone: tl.timezone })}</div>
      <div class="strip" role="list" aria-label={t('sched.strip_label', { name, date: longDate(date) })}>
        {tl.entries.map((e) => {
          const from = Math.max(Date.parse(e.from), tl.fromMs);
          const to = Math.min(Date.parse(e.to), tl.toMs);
          const label = `${clockIn(zone, from)}–${to >= tl.toMs ? '24:00' : clockIn(zone, to)} · ${explain(data, e, assignments)}`;
          return (
            <div
              key={e.from}
              role="listitem"
              class={`seg ${colour(e)}`}
              style={{ flexGrow: (to - from) / total, flexBasis: 0 }}
              title={label}
              aria-label={label}
              tabIndex={0}
              data-source={e.source}
              data-from={e.from}
              data-to={e.to}
            >
              <span class="seg-text" aria-hidden="true">
                {e.source === 'assignment' || e.source === 'default_playlist' ? playlistName(data, e.playlist_id) : t(`sched.source.${e.source}`)}
              </span>
            </div>
          );
        })}
      </div>
      <div class="strip-marks" aria-hidden="true">
        {marks.map((m) => (
          <span key={m.h} style={{ left: `${m.at * 100}%` }}>
            {String(m.h).padStart(2, '0')}
          </span>
        ))}
      </div>
      <ul class="legend" aria-label={t('sched.legend')}>
        {[...legend.values()].map((e) => (
          <li key={causeOf(e)}>
            <span class={`swatch ${colour(e)}`} aria-hidden="true" />
            {explain(data, e, assignments)}
          </li>
        ))}
      </ul>
    </div>
  );
}

// A device's default playlist and time zone.
function DeviceSettings({ deviceId, onSaved }) {
  const app = useApp();
  const data = useSched();
  const manage = app.can('manage_content');
  const [saved, setSaved] = useState(null);
  const [draft, setDraft] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const url = `/api/v1/devices/${encodeURIComponent(deviceId)}/schedule`;
  useEffect(() => {
    api('GET', url).then(
      (s) => {
        setSaved(s);
        setDraft(s);
      },
      setError,
    );
  }, [deviceId]);
  if (!draft) return <FormError error={error} />;
  const dirty = draft.default_playlist_id !== saved.default_playlist_id || draft.timezone !== saved.timezone;
  const save = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const s = await api('PUT', url, { default_playlist_id: draft.default_playlist_id || null, timezone: draft.timezone || null });
      setSaved(s);
      setDraft(s);
      toast(t('sched.device_saved', { name: deviceName(data, deviceId) }), 'ok');
      onSaved();
    } catch (err) {
      setError(err);
    }
    setBusy(false);
  };
  return (
    <form class="card device-sched" onSubmit={save} aria-labelledby="device-sched-title" data-testid="device-settings">
      <h2 id="device-sched-title">{t('sched.device_settings')}</h2>
      <div class="field-row">
        <div class="field">
          <label for="ds-playlist">{t('sched.default_playlist')}</label>
          <select id="ds-playlist" value={draft.default_playlist_id ?? ''} disabled={!manage} onChange={(e) => setDraft({ ...draft, default_playlist_id: e.currentTarget.value || null })} aria-describedby="ds-playlist-hint">
            <option value="">{t('sched.default_none')}</option>
            {(data.playlists ?? []).map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
          <div class="hint" id="ds-playlist-hint">
            {t('sched.default_hint')}
          </div>
        </div>
        <div class="field">
          <label for="ds-zone">{t('sched.timezone')}</label>
          <ZoneSelect id="ds-zone" value={draft.timezone} disabled={!manage} onChange={(z) => setDraft({ ...draft, timezone: z })} noneLabel={t('sched.zone_org', { zone: data.orgZone })} />
        </div>
      </div>
      <FormError error={error} />
      {manage && (
        <div class="row">
          <button type="submit" class="primary" disabled={!dirty || busy} data-testid="device-settings-save">
            {busy ? t('org.saving') : t('action.save')}
          </button>
        </div>
      )}
    </form>
  );
}

export default function TimelineTab({ path }) {
  const data = useSched();
  const [kind, rawId] = path;
  const target = kind && rawId ? `${kind}:${decodeURIComponent(rawId)}` : data.devices?.[0] ? `d:${data.devices[0].device_id}` : '';
  const [date, setDate] = useState(() => todayIn(data.orgZone || 'UTC'));
  const [assignments, setAssignments] = useState(new Map());
  const [bump, setBump] = useState(0);
  useEffect(() => {
    api('GET', '/api/v1/assignments').then((r) => setAssignments(new Map((r.items ?? []).map((a) => [a.id, a]))), () => {});
  }, [data.version, bump]);
  const devices = useMemo(() => {
    if (target.startsWith('d:')) return [target.slice(2)];
    if (target.startsWith('g:')) return data.groups?.find((g) => g.id === target.slice(2))?.device_ids ?? [];
    return [];
  }, [target, data.groups]);
  const choose = (v) => {
    location.hash = `#/schedule/timeline/${v.slice(0, 1)}/${encodeURIComponent(v.slice(2))}`;
  };

  return (
    <div class="sched-timeline">
      <div class="row timeline-controls">
        <label class="inline-check">
          {t('sched.show_for')}
          <select value={target} onChange={(e) => choose(e.currentTarget.value)} data-testid="timeline-target">
            {!target && <option value="">—</option>}
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
        </label>
        <span class="spacer" />
        <div class="row day-picker" role="group" aria-label={t('sched.day')}>
          <button type="button" onClick={() => setDate(shiftDate(date, -1))} data-testid="day-prev">
            ← {t('sched.day_prev')}
          </button>
          <input type="date" value={date} onChange={(e) => e.currentTarget.value && setDate(e.currentTarget.value)} aria-label={t('sched.day')} data-testid="day-input" />
          <button type="button" onClick={() => setDate(shiftDate(date, 1))} data-testid="day-next">
            {t('sched.day_next')} →
          </button>
          <button type="button" onClick={() => setDate(todayIn(data.orgZone || 'UTC'))}>
            {t('sched.today')}
          </button>
        </div>
      </div>
      <section class="card" aria-labelledby="timeline-title">
        <h2 id="timeline-title">
          {target.startsWith('g:') ? groupName(data, target.slice(2)) : target ? deviceName(data, target.slice(2)) : t('sched.timeline')}
          <span class="muted timeline-date"> · {longDate(date)}</span>
        </h2>
        {devices.length === 0 ? (
          <p class="muted">{target.startsWith('g:') ? t('sched.group_empty') : t('sched.no_devices')}</p>
        ) : (
          devices.map((id) => <Strip key={id} deviceId={id} date={date} assignments={assignments} showName={target.startsWith('g:')} />)
        )}
      </section>
      {target.startsWith('d:') && <DeviceSettings key={target} deviceId={target.slice(2)} onSaved={() => setBump((b) => b + 1)} />}
    </div>
  );
}
