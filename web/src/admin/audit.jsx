// The audit log: who did what, to what, from where, newest first. Filters (action, actor, object,
// time range) go to the server; pages are followed with its cursors, and the cursors of the pages
// already seen make "Newer" work. A superadmin reads the organisation it acts in, or every one.
import { useEffect, useLayoutEffect, useMemo, useState } from 'preact/hooks';
import './org.css';
import { api } from '../common/api.js';
import { formatBytes, t } from '../common/i18n.js';
import { useApp } from './context.js';
import { FormError, currentOrgId, formatMoment, loadAll, query, shortId } from './org/shared.jsx';

// The actions the server writes (libvideocontrol's services); a filter may name any other too.
const ACTIONS = [
  'auth.login',
  'auth.login_failed',
  'auth.login_rate_limited',
  'auth.logout',
  'auth.logout_all',
  'auth.refresh_reuse',
  'user.create',
  'user.update',
  'user.password_reset',
  'user.password_change',
  'user.delete',
  'api_key.create',
  'api_key.revoke',
  'organization.create',
  'organization.update',
  'organization.delete',
  'device.create',
  'device.rename',
  'device.delete',
  'device.credential_rotate',
  'device.credential_clear',
  'device.placeholder_set',
  'device.placeholder_clear',
  'media.upload',
  'media.rename',
  'media.move',
  'media.link',
  'media.unlink',
  'media.delete',
  'webhook.create',
  'webhook.update',
  'webhook.rotate_secret',
  'webhook.redeliver',
  'webhook.disable',
  'webhook.delete',
  'system.bootstrap',
];
const OBJECT_TYPES = ['user', 'api_key', 'device', 'media', 'organization', 'webhook'];
const PAGE_SIZES = [25, 50, 100];

// A label from the catalogue when there is one, else the server's own word.
const labelOr = (key, fallback) => {
  const s = t(key);
  return s === key ? fallback : s;
};
const actionLabel = (a) => labelOr(`audit.action.${a}`, a);
const objectTypeLabel = (o) => labelOr(`audit.object.${o}`, o);

// datetime-local value → RFC 3339 (the browser's time zone), '' when empty or invalid.
function rfc3339(local) {
  if (!local) return '';
  const d = new Date(local);
  return isNaN(d) ? '' : d.toISOString();
}

const EMPTY = { action: '', actor_id: '', object_type: '', object_id: '', since: '', until: '', all: false };

// Names for the ids in the log: users, API keys and organisations the person may list.
function useNames(user, can, all) {
  const [names, setNames] = useState({ users: new Map(), keys: new Map(), orgs: new Map() });
  useEffect(() => {
    let live = true;
    const scope = user.role === 'superadmin' && !all ? `?organization_id=${encodeURIComponent(currentOrgId(user))}` : '';
    Promise.all([
      loadAll(`/api/v1/users${scope}`).catch(() => []),
      can('manage_api_keys') ? loadAll('/api/v1/api-keys').catch(() => []) : [],
      loadAll('/api/v1/organizations').catch(() => []),
    ]).then(([users, keys, orgs]) => {
      if (!live) return;
      const u = new Map(users.map((x) => [x.id, x.username]));
      u.set(user.id, user.username);
      setNames({ users: u, keys: new Map(keys.map((x) => [x.id, x.name])), orgs: new Map(orgs.map((x) => [x.id, x.name])) });
    });
    return () => {
      live = false;
    };
  }, [user.id, all]);
  return names;
}

// One detail's value in words: roles, scopes, plans, changed fields, sizes and reasons translated;
// anything else as the server wrote it.
function detailValue(k, v) {
  if (Array.isArray(v)) return v.map((x) => detailValue(k === 'fields' ? 'field' : k, x)).join(', ');
  if (v !== null && typeof v === 'object') return JSON.stringify(v);
  if (typeof v === 'boolean') return t(v ? 'audit.yes' : 'audit.no');
  if (k === 'role') return labelOr(`role.${v}`, String(v));
  if (k === 'plan') return labelOr(`orgs.plan.${v}`, String(v));
  if (k === 'scopes') return String(v).split(',').map((x) => labelOr(`keys.scope.${x}`, x)).join(', ');
  if (k === 'field') return labelOr(`audit.field.${v}`, String(v));
  if (k === 'reason') return labelOr(`audit.reason.${String(v).replace(/ /g, '_')}`, String(v));
  if (k === 'size' && typeof v === 'number') return formatBytes(v);
  return String(v);
}

function Details({ details }) {
  const entries = Object.entries(details ?? {}).filter(([k]) => k !== 'as_superadmin' && k !== 'home_organization_id');
  if (!entries.length) return <span class="muted">—</span>;
  return (
    <dl class="details">
      {entries.map(([k, v]) => (
        <div key={k}>
          <dt>{labelOr(`audit.detail.${k}`, k)}</dt>
          <dd>{detailValue(k, v)}</dd>
        </div>
      ))}
    </dl>
  );
}

function Filters({ value, onApply, onReset, names, user }) {
  const [f, setF] = useState(value);
  // Before paint, so a field typed right after Reset is not overwritten by a late reset of the form.
  useLayoutEffect(() => setF(value), [value]);
  const set = (k) => (e) => setF({ ...f, [k]: e.currentTarget.type === 'checkbox' ? e.currentTarget.checked : e.currentTarget.value });
  const actors = [...names.users].sort((a, b) => a[1].localeCompare(b[1]));
  const keys = [...names.keys].sort((a, b) => a[1].localeCompare(b[1]));
  const knownActor = !f.actor_id || names.users.has(f.actor_id) || names.keys.has(f.actor_id);
  return (
    <form
      class="card filters"
      role="search"
      aria-label={t('audit.filters')}
      onSubmit={(e) => {
        e.preventDefault();
        onApply(f);
      }}
      data-testid="audit-filters"
    >
      <div class="filter-grid">
        <div class="field">
          <label for="audit-action">{t('audit.action')}</label>
          <input id="audit-action" list="audit-actions" value={f.action} onInput={set('action')} placeholder={t('audit.any')} autocomplete="off" spellcheck={false} />
          <datalist id="audit-actions">
            {ACTIONS.map((a) => (
              <option key={a} value={a}>
                {actionLabel(a)}
              </option>
            ))}
          </datalist>
        </div>
        <div class="field">
          <label for="audit-actor">{t('audit.actor')}</label>
          <select id="audit-actor" value={f.actor_id} onChange={set('actor_id')}>
            <option value="">{t('audit.anyone')}</option>
            {!knownActor && <option value={f.actor_id}>{shortId(f.actor_id)}</option>}
            {actors.length > 0 && (
              <optgroup label={t('audit.actor_users')}>
                {actors.map(([id, name]) => (
                  <option key={id} value={id}>
                    {name}
                  </option>
                ))}
              </optgroup>
            )}
            {keys.length > 0 && (
              <optgroup label={t('audit.actor_keys')}>
                {keys.map(([id, name]) => (
                  <option key={id} value={id}>
                    {name}
                  </option>
                ))}
              </optgroup>
            )}
          </select>
        </div>
        <div class="field">
          <label for="audit-object-type">{t('audit.object_type')}</label>
          <select id="audit-object-type" value={f.object_type} onChange={set('object_type')}>
            <option value="">{t('audit.any')}</option>
            {OBJECT_TYPES.map((o) => (
              <option key={o} value={o}>
                {objectTypeLabel(o)}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="audit-object-id">{t('audit.object_id')}</label>
          <input id="audit-object-id" value={f.object_id} onInput={set('object_id')} autocomplete="off" spellcheck={false} />
        </div>
        <div class="field">
          <label for="audit-since">{t('audit.since')}</label>
          <input id="audit-since" type="datetime-local" step="1" value={f.since} onInput={set('since')} />
        </div>
        <div class="field">
          <label for="audit-until">{t('audit.until')}</label>
          <input id="audit-until" type="datetime-local" step="1" value={f.until} onInput={set('until')} />
        </div>
      </div>
      <div class="row">
        {user.role === 'superadmin' && (
          <label class="inline-check">
            <input type="checkbox" checked={f.all} onChange={set('all')} data-testid="audit-all-orgs" />
            {t('audit.all_organizations')}
          </label>
        )}
        <span class="spacer" />
        <button type="button" onClick={onReset}>
          {t('audit.reset')}
        </button>
        <button type="submit" class="primary" data-testid="audit-apply">
          {t('audit.apply')}
        </button>
      </div>
    </form>
  );
}

export default function AuditView() {
  const { user, can } = useApp();
  const [filters, setFilters] = useState(EMPTY);
  const [limit, setLimit] = useState(50);
  // cursors[i] is the cursor of page i (page 0: ''); the last page's next is `next`.
  const [cursors, setCursors] = useState(['']);
  const [page, setPage] = useState({ items: [], next: null, loading: true, error: null });
  const names = useNames(user, can, filters.all);
  const index = cursors.length - 1;

  const params = useMemo(
    () => ({
      action: filters.action.trim(),
      actor_id: filters.actor_id,
      object_type: filters.object_type,
      object_id: filters.object_id.trim(),
      since: rfc3339(filters.since),
      until: rfc3339(filters.until),
      organization_id: user.role === 'superadmin' && !filters.all ? currentOrgId(user) : '',
      limit,
    }),
    [filters, limit, user.id],
  );

  useEffect(() => {
    let live = true;
    setPage((p) => ({ ...p, loading: true, error: null }));
    api('GET', `/api/v1/audit${query({ ...params, cursor: cursors[index] })}`).then(
      (r) => live && setPage({ items: r.items ?? [], next: r.next_cursor ?? null, loading: false, error: null }),
      (error) => live && setPage({ items: [], next: null, loading: false, error }),
    );
    return () => {
      live = false;
    };
  }, [params, cursors]);

  const apply = (f) => {
    setFilters(f);
    setCursors(['']);
  };
  const filterBy = (patch) => apply({ ...filters, ...patch });
  const active = Object.entries(filters).some(([k, v]) => k !== 'all' && v);

  const actorName = (e) => {
    if (e.actor_kind === 'system') return t('audit.system');
    // A superadmin acting here is not one of the organisation's users the admin can list.
    if (e.actor_kind === 'user') return names.users.get(e.actor_id) ?? (e.details?.as_superadmin ? t('role.superadmin') : shortId(e.actor_id));
    if (e.actor_kind === 'api_key') return names.keys.get(e.actor_id) ?? shortId(e.actor_id);
    return e.actor_id ?? '';
  };
  const objectName = (e) => {
    if (!e.object_id) return '';
    if (e.object_type === 'user') return names.users.get(e.object_id) ?? e.details?.username ?? shortId(e.object_id);
    if (e.object_type === 'api_key') return names.keys.get(e.object_id) ?? e.details?.name ?? shortId(e.object_id);
    if (e.object_type === 'organization') return names.orgs.get(e.object_id) ?? shortId(e.object_id);
    return e.object_id.length > 24 ? shortId(e.object_id) : e.object_id;
  };

  return (
    <section class="org-view" aria-labelledby="audit-title">
      <div class="view-head">
        <h1 id="audit-title">{t('nav.audit')}</h1>
      </div>
      <p class="muted view-intro">{t('audit.intro')}</p>
      <Filters value={filters} onApply={apply} onReset={() => apply({ ...EMPTY, all: filters.all })} names={names} user={user} />
      <FormError error={page.error} />
      <div class="audit-status row" aria-live="polite">
        <span class="muted" data-testid="audit-summary">
          {page.loading
            ? t('common.loading')
            : page.items.length
              ? t('audit.page_of', { page: index + 1, n: page.items.length })
              : active
                ? t('audit.none_matching')
                : t('audit.none')}
        </span>
      </div>
      {page.items.length > 0 && (
        <div class="table-wrap">
          <table class="list org-table audit-table" data-testid="audit-table" aria-busy={page.loading ? 'true' : undefined}>
            <caption class="visually-hidden">{t('nav.audit')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('audit.time')}</th>
                <th scope="col">{t('audit.actor')}</th>
                <th scope="col">{t('audit.action')}</th>
                <th scope="col">{t('audit.object')}</th>
                <th scope="col">{t('audit.address')}</th>
                <th scope="col">{t('audit.details')}</th>
              </tr>
            </thead>
            <tbody>
              {page.items.map((e) => (
                <tr key={e.id} data-testid="audit-row" data-action={e.action} data-id={e.id}>
                  <td data-label={t('audit.time')} class="nowrap">
                    <time datetime={e.at}>{formatMoment(e.at)}</time>
                  </td>
                  <td data-label={t('audit.actor')}>
                    {e.actor_id ? (
                      <button type="button" class="link" onClick={() => filterBy({ actor_id: e.actor_id })} title={`${t('audit.filter_actor')} (${e.actor_id})`}>
                        {actorName(e)}
                      </button>
                    ) : (
                      <span>{actorName(e)}</span>
                    )}{' '}
                    {e.actor_kind !== 'user' && e.actor_kind !== 'system' && <span class="badge">{labelOr(`audit.kind.${e.actor_kind}`, e.actor_kind)}</span>}
                    {e.details?.as_superadmin && <span class="badge accent">{t('audit.as_superadmin')}</span>}
                  </td>
                  <td data-label={t('audit.action')}>
                    <button type="button" class="link action-link" onClick={() => filterBy({ action: e.action })} title={t('audit.filter_action')}>
                      {actionLabel(e.action)}
                    </button>
                    <div class="muted small">
                      <code>{e.action}</code>
                    </div>
                  </td>
                  <td data-label={t('audit.object')}>
                    {e.object_type ? (
                      <>
                        <span class="muted small">{objectTypeLabel(e.object_type)}</span>{' '}
                        {e.object_id && (
                          <button
                            type="button"
                            class="link"
                            onClick={() => filterBy({ object_type: e.object_type, object_id: e.object_id })}
                            title={t('audit.filter_object')}
                          >
                            {objectName(e)}
                          </button>
                        )}
                      </>
                    ) : (
                      <span class="muted">—</span>
                    )}
                    {filters.all && e.organization_id && <div class="muted small">{names.orgs.get(e.organization_id) ?? shortId(e.organization_id)}</div>}
                  </td>
                  <td data-label={t('audit.address')}>{e.address ?? <span class="muted">—</span>}</td>
                  <td data-label={t('audit.details')}>
                    <Details details={e.details} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <nav class="pager row" aria-label={t('audit.paging')}>
        <button type="button" onClick={() => setCursors((c) => c.slice(0, -1))} disabled={index === 0 || page.loading} data-testid="audit-newer">
          {t('audit.newer')}
        </button>
        <span class="muted">{t('audit.page', { page: index + 1 })}</span>
        <button type="button" onClick={() => page.next && setCursors((c) => [...c, page.next])} disabled={!page.next || page.loading} data-testid="audit-older">
          {t('audit.older')}
        </button>
        <span class="spacer" />
        <label for="audit-limit" class="inline-label">
          {t('audit.per_page')}
        </label>
        <select
          id="audit-limit"
          value={limit}
          onChange={(e) => {
            setLimit(Number(e.currentTarget.value));
            setCursors(['']);
          }}
        >
          {PAGE_SIZES.map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </select>
      </nav>
    </section>
  );
}
