// What the scheduling views share: the organisation's devices, groups, playlists, media library and
// time zone (one load, reloaded when the server says scheduling or devices changed), schedule
// descriptions in the page's language, and wall-clock arithmetic in an IANA zone (a day of a
// device's time zone, for the timeline).
import { createContext } from 'preact';
import { useContext, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api } from '../common/api.js';
import { lang, t } from '../common/i18n.js';
import { useApp } from './context.js';
import { currentOrgId, loadAll, timeZones } from './org/shared.jsx';

export const SchedContext = createContext(null);
export const useSched = () => useContext(SchedContext);

const byName = (a, b) => a.name.localeCompare(b.name, lang);

// {devices, groups, playlists, media, orgZone, error, loading, reload(what?)} for the section.
export function useScheduleData() {
  const app = useApp();
  const [state, setState] = useState({ devices: null, groups: null, playlists: null, media: null, orgZone: 'UTC', error: null });
  const loaders = {
    devices: () => loadAll('/api/v1/devices', 10000).then((l) => l.sort(byName)),
    groups: () => api('GET', '/api/v1/groups').then((r) => r.items ?? []),
    playlists: () => api('GET', '/api/v1/playlists').then((r) => r.items ?? []),
    media: () => loadAll('/api/v1/media', 5000).then((l) => l.sort(byName)),
    orgZone: () => api('GET', `/api/v1/organizations/${encodeURIComponent(currentOrgId(app.user))}`).then((o) => o?.timezone || 'UTC', () => 'UTC'),
  };
  const reload = async (...what) => {
    const keys = what.length ? what : Object.keys(loaders);
    try {
      const values = await Promise.all(keys.map((k) => loaders[k]()));
      setState((s) => ({ ...s, ...Object.fromEntries(keys.map((k, i) => [k, values[i]])), error: null }));
    } catch (error) {
      setState((s) => ({ ...s, error }));
    }
  };
  useEffect(() => {
    reload();
  }, []);
  // Changes made elsewhere (another tab, another person): schedule/updated names what changed.
  const timer = useRef(0);
  const pending = useRef(new Set());
  useEffect(() => {
    const s = app.socket;
    if (!s) return;
    const on = (p) => {
      const what = { group: 'groups', playlist: 'playlists', assignment: null, override: null }[p?.what];
      if (what) pending.current.add(what);
      clearTimeout(timer.current);
      timer.current = setTimeout(() => {
        const keys = [...pending.current];
        pending.current.clear();
        if (keys.length) reload(...keys);
        setState((st) => ({ ...st, version: (st.version ?? 0) + 1 }));
      }, 300);
    };
    s.on('schedule/updated', on);
    return () => s.off('schedule/updated', on);
  }, [app.socket]);
  const first = useRef(true);
  useEffect(() => {
    if (first.current) return void (first.current = false);
    reload('devices', 'media');
  }, [app.version]);
  const loading = !state.error && (state.devices === null || state.groups === null || state.playlists === null || state.media === null);
  return useMemo(() => ({ ...state, loading, reload }), [state]);
}

// ---- names ----------------------------------------------------------------------------------------
export const deviceName = (data, id) => data.devices?.find((d) => d.device_id === id)?.name ?? id;
export const groupName = (data, id) => data.groups?.find((g) => g.id === id)?.name ?? id;
export const playlistName = (data, id) => data.playlists?.find((p) => p.id === id)?.name ?? id;
export const mediaName = (data, id) => data.media?.find((m) => m.id === id)?.name ?? id;

// ---- schedules ------------------------------------------------------------------------------------
export const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

// "Mon–Fri", "Mon, Wed, Sat–Sun": consecutive days as a range.
export function dayList(days) {
  if (!days || days.length === 0 || days.length === 7) return t('sched.every_day');
  const idx = DAYS.map((d, i) => (days.includes(d) ? i : -1)).filter((i) => i >= 0);
  const runs = [];
  for (const i of idx) {
    const last = runs[runs.length - 1];
    if (last && last[1] === i - 1) last[1] = i;
    else runs.push([i, i]);
  }
  const name = (i) => t(`sched.day.${DAYS[i]}`);
  return runs.map(([a, b]) => (a === b ? name(a) : b === a + 1 ? `${name(a)}, ${name(b)}` : `${name(a)}–${name(b)}`)).join(', ');
}

// A schedule in the page's language (the API's description is English: shown as it is in English).
export function describeSchedule(s, apiDescription) {
  if (lang === 'en' && apiDescription) return apiDescription;
  if (!s) return t('sched.kind.always');
  let text;
  if (s.kind === 'weekly' || s.kind === 'daily')
    text = (s.ranges ?? []).map((r) => `${dayList(r.days)} ${r.start}–${r.end}`).join('; ');
  else if (s.kind === 'cron') text = t('sched.cron_text', { cron: s.cron ?? '', minutes: s.duration_minutes ?? 60 });
  else text = t('sched.kind.always');
  if (s.from_date) text += `, ${t('sched.from_text', { date: s.from_date })}`;
  if (s.until_date) text += `, ${t('sched.until_text', { date: s.until_date })}`;
  return text;
}

// ---- wall clocks ---------------------------------------------------------------------------------
const zoneFormats = new Map();
function zoneFormat(zone) {
  if (!zoneFormats.has(zone))
    zoneFormats.set(
      zone,
      new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' }),
    );
  return zoneFormats.get(zone);
}

// The zone's wall clock at instant `ms`: {y, m (1-12), d, h, min}.
export function wallClock(zone, ms) {
  try {
    const p = Object.fromEntries(zoneFormat(zone).formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
    return { y: +p.year, m: +p.month, d: +p.day, h: +p.hour % 24, min: +p.minute, s: +p.second };
  } catch {
    const d = new Date(ms);
    return { y: d.getUTCFullYear(), m: d.getUTCMonth() + 1, d: d.getUTCDate(), h: d.getUTCHours(), min: d.getUTCMinutes(), s: d.getUTCSeconds() };
  }
}

function offsetAt(zone, ms) {
  const w = wallClock(zone, ms);
  return Date.UTC(w.y, w.m - 1, w.d, w.h, w.min, w.s) - Math.floor(ms / 1000) * 1000;
}

// The instant the zone's clock reads `date` ("YYYY-MM-DD") at `hour`:00 (in a spring gap: just after).
export function zonedInstant(zone, date, hour = 0) {
  const [y, m, d] = date.split('-').map(Number);
  const guess = Date.UTC(y, m - 1, d, hour);
  let ms = guess - offsetAt(zone, guess);
  ms = guess - offsetAt(zone, ms);
  return ms;
}

// Today's date in a zone, and a date shifted by days ("YYYY-MM-DD").
const pad = (n) => String(n).padStart(2, '0');
export function todayIn(zone) {
  const w = wallClock(zone, Date.now());
  return `${w.y}-${pad(w.m)}-${pad(w.d)}`;
}
export function shiftDate(date, days) {
  const [y, m, d] = date.split('-').map(Number);
  const x = new Date(Date.UTC(y, m - 1, d + days));
  return `${x.getUTCFullYear()}-${pad(x.getUTCMonth() + 1)}-${pad(x.getUTCDate())}`;
}

// "HH:MM" of an instant on the zone's clock.
export function clockIn(zone, ms) {
  const w = wallClock(zone, ms);
  return `${pad(w.h)}:${pad(w.min)}`;
}

// A date ("YYYY-MM-DD") as the page's language writes it, with the weekday.
export function longDate(date) {
  const [y, m, d] = date.split('-').map(Number);
  try {
    return new Date(Date.UTC(y, m - 1, d, 12)).toLocaleDateString(lang, { timeZone: 'UTC', weekday: 'long', year: 'numeric', month: 'long', day: 'numeric' });
  } catch {
    return date;
  }
}

// A local time as the API writes it ("2026-03-29T03:00:00+02:00") → "Sun, 29 Mar 2026, 03:00".
export function localStamp(text) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(text ?? '');
  if (!m) return text ?? '';
  const day = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], 12));
  let date;
  try {
    date = day.toLocaleDateString(lang, { timeZone: 'UTC', weekday: 'short', day: 'numeric', month: 'short', year: 'numeric' });
  } catch {
    date = `${m[1]}-${m[2]}-${m[3]}`;
  }
  return `${date}, ${m[4]}:${m[5]}`;
}

// A select of IANA zones with a first option for "none" (the organisation's zone).
export function ZoneSelect({ id, value, onChange, noneLabel, disabled }) {
  const list = timeZones();
  return (
    <select id={id} value={value ?? ''} onChange={(e) => onChange(e.currentTarget.value || null)} disabled={disabled}>
      <option value="">{noneLabel}</option>
      {value && !list.some((z) => z.name === value) && <option value={value}>{value}</option>}
      {list.map((z) => (
        <option key={z.name} value={z.name}>
          {z.name.replace(/_/g, ' ')}
          {z.offset ? ` (${z.offset})` : ''}
        </option>
      ))}
    </select>
  );
}

// The list on the left of a tab: items as links to #/schedule/<tab>/<id>.
export function SideList({ label, items, selectedId, href, render, empty, testid }) {
  return (
    <nav class="sched-side card" aria-label={label} data-testid={testid}>
      {items.length === 0 ? (
        <p class="muted small">{empty}</p>
      ) : (
        <ul>
          {items.map((x) => (
            <li key={x.id}>
              <a href={href(x)} aria-current={x.id === selectedId ? 'true' : undefined} data-id={x.id}>
                {render(x)}
              </a>
            </li>
          ))}
        </ul>
      )}
    </nav>
  );
}
