// Pieces the organisation-admin views share (users, API keys, audit log, organisation settings and
// the superadmin's organisations): which organisation a request is about, paged lists, form fields,
// password entry with the server's rules, limits and usage.
import { useEffect, useRef, useState } from 'preact/hooks';
import { actingOrganization, api } from '../../common/api.js';
import { lang, t } from '../../common/i18n.js';
import { errorText } from '../../common/ui.jsx';

// The organisation the signed-in person works in: the one a superadmin acts in, else its own.
export function currentOrgId(user) {
  return actingOrganization() || user?.organization_id || '';
}

// '?a=1&b=2' from an object, leaving out empty values.
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

// GET /users and GET /audit span every organisation for the superadmin unless one is named (they
// ignore X-Organization-Id), so the views name the organisation it acts in.
export function orgScope(user) {
  return user?.role === 'superadmin' ? { organization_id: currentOrgId(user) } : {};
}

// Pages of a list endpoint ({items, next_cursor}) loaded one after another ("Show more").
// `load(cursor)` returns the promise of one page; `deps` restart from the first page.
export function usePaged(load, deps) {
  const [state, setState] = useState({ items: [], cursor: null, loading: true, error: null });
  const gen = useRef(0);
  const fetchPage = (cursor, append) => {
    const g = ++gen.current;
    setState((s) => ({ ...s, loading: true, error: null }));
    load(cursor).then(
      (page) => {
        if (g !== gen.current) return;
        setState((s) => ({
          items: append ? [...s.items, ...(page.items ?? [])] : page.items ?? [],
          cursor: page.next_cursor ?? null,
          loading: false,
          error: null,
        }));
      },
      (error) => {
        if (g !== gen.current) return;
        setState((s) => ({ ...s, loading: false, error }));
      },
    );
  };
  useEffect(() => fetchPage('', false), deps);
  return {
    ...state,
    more: () => state.cursor && fetchPage(state.cursor, true),
    reload: () => fetchPage('', false),
    // Changes one item in place (after a PATCH) or drops it (update returns null).
    update: (id, f) =>
      setState((s) => ({ ...s, items: s.items.map((x) => (x.id === id ? f(x) : x)).filter(Boolean) })),
  };
}

// Every page of a list, for lookups (user names in the audit log); stops after `max` items.
export async function loadAll(path, max = 1000) {
  const out = [];
  let cursor = '';
  do {
    const sep = path.includes('?') ? '&' : '?';
    const page = await api('GET', `${path}${sep}limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    out.push(...(page.items ?? []));
    cursor = page.next_cursor ?? '';
  } while (cursor && out.length < max);
  return out;
}

// A labelled form field; `id` ties the label, the control and the hint together.
export function Field({ id, label, hint, children, class: cls }) {
  return (
    <div class={`field ${cls ?? ''}`}>
      <label for={id}>{label}</label>
      {children}
      {hint && (
        <div class="hint" id={`${id}-hint`}>
          {hint}
        </div>
      )}
    </div>
  );
}

// The server's answer to a failed call, announced to screen readers.
export function FormError({ error }) {
  if (!error) return null;
  return (
    <div class="alert error" role="alert" data-testid="form-error">
      {typeof error === 'string' ? error : errorText(error)}
    </div>
  );
}

// A submit button that says it is working and cannot be pressed twice.
export function SubmitButton({ busy, label, busyLabel, class: cls = 'primary', ...rest }) {
  return (
    <button type="submit" class={cls} disabled={busy} aria-busy={busy ? 'true' : undefined} {...rest}>
      {busy ? busyLabel ?? t('org.saving') : label}
    </button>
  );
}

// Runs an async action with a busy flag and an error for the form.
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const run = async (f) => {
    setBusy(true);
    setError(null);
    try {
      const r = await f();
      setBusy(false);
      return r;
    } catch (e) {
      setError(e);
      setBusy(false);
      throw e;
    }
  };
  return { busy, error, setError, run };
}

// ---- passwords ----------------------------------------------------------------------------------
// A password the server accepts: 16 characters from letters, digits and a few symbols.
export function generatePassword() {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789-_!';
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let s = Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('');
  // Make sure letters and digits are both there.
  if (!/[0-9]/.test(s)) s = s.slice(0, 15) + '7';
  if (!/[A-Za-z]/.test(s)) s = 'k' + s.slice(1);
  return s;
}

// The password field for an initial password or a reset: shown or hidden, generated on request,
// with the rules the server applies.
export function PasswordField({ id, label, value, onInput }) {
  const [shown, setShown] = useState(false);
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <div class="input-with-buttons">
        <input
          id={id}
          type={shown ? 'text' : 'password'}
          autocomplete="new-password"
          spellcheck={false}
          value={value}
          onInput={(e) => onInput(e.currentTarget.value)}
          aria-describedby={`${id}-hint`}
          required
        />
        <button type="button" onClick={() => setShown(!shown)} aria-pressed={shown}>
          {shown ? t('users.password_hide') : t('users.password_show')}
        </button>
        <button
          type="button"
          onClick={() => {
            onInput(generatePassword());
            setShown(true);
          }}
        >
          {t('users.password_generate')}
        </button>
      </div>
      <div class="hint" id={`${id}-hint`}>
        {t('account.password_rules')}
      </div>
    </div>
  );
}

// ---- roles ------------------------------------------------------------------------------------
// Roles an admin may hand out (up to its own; superadmin only by the superadmin).
export function assignableRoles(user) {
  const roles = ['viewer', 'speaker', 'operator', 'admin'];
  return user?.role === 'superadmin' ? [...roles, 'superadmin'] : roles;
}

export function RoleSelect({ id, value, onChange, user }) {
  return (
    <>
      <select id={id} value={value} onChange={(e) => onChange(e.currentTarget.value)} aria-describedby={`${id}-hint`}>
        {assignableRoles(user).map((r) => (
          <option key={r} value={r}>
            {t(`role.${r}`)}
          </option>
        ))}
      </select>
      <div class="hint" id={`${id}-hint`}>
        {t(`users.role_hint.${value}`)}
      </div>
    </>
  );
}

// ---- sizes and limits ---------------------------------------------------------------------------
// Storage limits are set in decimal units (the plans are 5 GB, 50 GB, 500 GB), so usage is shown
// in the same units.
export function decimalBytes(n) {
  if (n == null) return '';
  const units = lang === 'ru' ? ['Б', 'КБ', 'МБ', 'ГБ', 'ТБ'] : ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v.toLocaleString(lang, { maximumFractionDigits: i === 0 ? 0 : v < 10 ? 2 : 1 })} ${units[i]}`;
}
export const GB = 1e9;

export function formatCount(n) {
  return Number(n ?? 0).toLocaleString(lang);
}

// One usage bar: "3 of 20 devices" with a meter; no limit → the count alone and an empty track.
export function UsageBar({ id, label, used, limit, format = formatCount }) {
  const unlimited = limit == null;
  const pct = unlimited ? 0 : limit > 0 ? Math.min(100, (used / limit) * 100) : used > 0 ? 100 : 0;
  const level = unlimited ? '' : pct >= 100 ? 'full' : pct >= 80 ? 'high' : '';
  const text = unlimited
    ? t('org.usage_unlimited', { used: format(used) })
    : t('org.usage_of', { used: format(used), limit: format(limit) });
  return (
    <div class={`usage ${level}`} data-testid={`usage-${id}`}>
      <div class="usage-head">
        <span id={`usage-${id}-label`} class="usage-label">
          {label}
        </span>
        <span class="usage-value" data-testid={`usage-${id}-value`}>
          {text}
        </span>
      </div>
      <div
        class={`usage-track ${unlimited ? 'unlimited' : ''}`}
        role="meter"
        aria-labelledby={`usage-${id}-label`}
        aria-valuemin="0"
        aria-valuemax={unlimited ? undefined : limit}
        aria-valuenow={unlimited ? undefined : Math.min(used, limit)}
        aria-valuetext={text}
      >
        <div style={{ width: `${pct}%` }} />
      </div>
      {level === 'full' && <div class="hint usage-warn">{t('org.usage_full')}</div>}
    </div>
  );
}

// ---- time zones --------------------------------------------------------------------------------
let zones = null;
// Every IANA zone the browser knows, with its current UTC offset, UTC first.
export function timeZones() {
  if (zones) return zones;
  let names = [];
  try {
    names = Intl.supportedValuesOf('timeZone');
  } catch {
    names = [];
  }
  names = ['UTC', ...names.filter((n) => n !== 'UTC')];
  const now = new Date();
  zones = names.map((name) => {
    let offset = '';
    try {
      offset = new Intl.DateTimeFormat('en', { timeZone: name, timeZoneName: 'longOffset' })
        .formatToParts(now)
        .find((p) => p.type === 'timeZoneName')?.value;
    } catch {}
    return { name, offset: offset === 'GMT' ? 'GMT+00:00' : offset ?? '' };
  });
  return zones;
}

// A select of IANA time zones grouped by area; keeps a value the browser does not know.
export function TimeZoneSelect({ id, value, onChange, describedBy }) {
  const list = timeZones();
  const known = list.some((z) => z.name === value);
  const groups = new Map();
  for (const z of list) {
    const area = z.name.includes('/') ? z.name.split('/')[0] : '';
    if (!groups.has(area)) groups.set(area, []);
    groups.get(area).push(z);
  }
  const option = (z) => (
    <option key={z.name} value={z.name}>
      {z.name.replace(/_/g, ' ')}
      {z.offset ? ` (${z.offset})` : ''}
    </option>
  );
  return (
    <select id={id} value={value} onChange={(e) => onChange(e.currentTarget.value)} aria-describedby={describedBy}>
      {!known && value && <option value={value}>{value}</option>}
      {[...groups].map(([area, items]) =>
        area ? (
          <optgroup key={area} label={area}>
            {items.map(option)}
          </optgroup>
        ) : (
          items.map(option)
        ),
      )}
    </select>
  );
}

// What time it is now in a zone ("14:05"), to check the choice.
export function nowIn(zone) {
  try {
    return new Date().toLocaleTimeString(lang, { timeZone: zone, hour: '2-digit', minute: '2-digit' });
  } catch {
    return '';
  }
}

// Seconds matter in an audit log.
export function formatMoment(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return isNaN(d) ? '' : d.toLocaleString(lang, { dateStyle: 'medium', timeStyle: 'medium' });
}

export function formatDate(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return isNaN(d) ? '' : d.toLocaleDateString(lang, { dateStyle: 'medium' });
}

// A short form of a long id for a person to recognise ("01a2…ec").
export function shortId(id) {
  if (!id) return '';
  return id.length > 12 ? `${id.slice(0, 8)}…${id.slice(-4)}` : id;
}

// A secret shown once (an API key, a webhook's signing secret): selected for copying, with a copy
// button that falls back to the old copy command, then to "select and copy by hand".
export function SecretField({ id, label, value, testid, manualHint }) {
  const ref = useRef(null);
  const [copied, setCopied] = useState('');
  useEffect(() => {
    ref.current?.focus();
    ref.current?.select();
  }, []);
  const copy = async () => {
    const input = ref.current;
    try {
      await navigator.clipboard.writeText(value);
      setCopied('ok');
      return;
    } catch {}
    // No clipboard API (plain http on another host, or denied): select it and try the old way.
    input.focus();
    input.select();
    let ok = false;
    try {
      ok = document.execCommand('copy');
    } catch {}
    setCopied(ok ? 'ok' : 'manual');
  };
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <div class="input-with-buttons">
        <input id={id} ref={ref} class="secret" readOnly value={value} spellcheck={false} onFocus={(e) => e.currentTarget.select()} data-testid={`${testid}-secret`} />
        <button type="button" class="primary" onClick={copy} data-testid={`${testid}-copy`}>
          {t('keys.copy')}
        </button>
      </div>
      <div class="hint" aria-live="polite">
        {copied === 'ok' ? t('keys.copied') : copied === 'manual' ? manualHint : ''}
      </div>
    </div>
  );
}
