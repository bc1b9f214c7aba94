// The superadmin's organisations: create one with a plan (and limits other than the plan's), change
// plan and limits, deactivate (its people and keys are shut out, nothing is lost) or reactivate,
// delete with everything it owns, and act in one (X-Organization-Id for every request of this tab).
import { useEffect, useState } from 'preact/hooks';
import './org.css';
import { actingOrganization, api, setActingOrganization } from '../common/api.js';
import { formatTime, t } from '../common/i18n.js';
import { Modal, errorText, toast, useConfirm } from '../common/ui.jsx';
import { useApp } from './context.js';
import { PLANS, planLimits } from './org/plans.js';
import { Field, FormError, GB, SubmitButton, TimeZoneSelect, currentOrgId, decimalBytes, formatCount, query, useAction, usePaged } from './org/shared.jsx';

// A slug from a name: Latin letters (Cyrillic transliterated), digits and '-'.
const CYR = {
  а: 'a', б: 'b', в: 'v', г: 'g', д: 'd', е: 'e', ё: 'e', ж: 'zh', з: 'z', и: 'i', й: 'y', к: 'k', л: 'l', м: 'm',
  н: 'n', о: 'o', п: 'p', р: 'r', с: 's', т: 't', у: 'u', ф: 'f', х: 'h', ц: 'ts', ч: 'ch', ш: 'sh', щ: 'sch',
  ъ: '', ы: 'y', ь: '', э: 'e', ю: 'yu', я: 'ya',
};
export function slugify(name) {
  return [...name.toLowerCase()]
    .map((c) => CYR[c] ?? c)
    .join('')
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
}

// Limit overrides as the form holds them: strings, '' = the plan's value; storage in GB.
function overridesOf(org) {
  const s = (v) => (v == null ? '' : String(v));
  return {
    max_devices: s(org?.max_devices),
    max_users: s(org?.max_users),
    max_storage_gb: org?.max_storage_bytes == null ? '' : String(org.max_storage_bytes / GB),
  };
}
function overridesBody(o) {
  const n = (v) => (v.trim() === '' ? null : Number(v));
  const gb = n(o.max_storage_gb);
  return { max_devices: n(o.max_devices), max_users: n(o.max_users), max_storage_bytes: gb == null ? null : Math.round(gb * GB) };
}
function overridesValid(o) {
  return [o.max_devices, o.max_users].every((v) => v.trim() === '' || /^\d+$/.test(v.trim())) && (o.max_storage_gb.trim() === '' || Number(o.max_storage_gb) >= 0);
}

const limitText = (v, format = formatCount) => (v == null ? t('orgs.unlimited') : format(v));

function LimitFields({ plan, value, onChange }) {
  const base = planLimits(plan);
  const set = (k) => (e) => onChange({ ...value, [k]: e.currentTarget.value });
  const ph = (v, format) => t('orgs.plan_value', { value: limitText(v, format) });
  return (
    <fieldset class="field limits">
      <legend>{t('orgs.limits')}</legend>
      <p class="hint" id="org-limits-hint">
        {t('orgs.limits_hint')}
      </p>
      <div class="field-row three">
        <Field id="org-max-devices" label={t('orgs.max_devices')}>
          <input id="org-max-devices" type="number" min="0" step="1" inputMode="numeric" value={value.max_devices} onInput={set('max_devices')} placeholder={ph(base.devices)} aria-describedby="org-limits-hint" />
        </Field>
        <Field id="org-max-users" label={t('orgs.max_users')}>
          <input id="org-max-users" type="number" min="0" step="1" inputMode="numeric" value={value.max_users} onInput={set('max_users')} placeholder={ph(base.users)} aria-describedby="org-limits-hint" />
        </Field>
        <Field id="org-max-storage" label={t('orgs.max_storage_gb')}>
          <input
            id="org-max-storage"
            type="number"
            min="0"
            step="any"
            inputMode="decimal"
            value={value.max_storage_gb}
            onInput={set('max_storage_gb')}
            placeholder={ph(base.storage_bytes, decimalBytes)}
            aria-describedby="org-limits-hint"
          />
        </Field>
      </div>
    </fieldset>
  );
}

// Create (org = null) or change an organisation.
function OrgDialog({ org, onClose, onSaved }) {
  const [name, setName] = useState(org?.name ?? '');
  const [slug, setSlug] = useState(org?.slug ?? '');
  const [slugTouched, setSlugTouched] = useState(!!org);
  const [plan, setPlan] = useState(org?.plan ?? 'FREE');
  const [timezone, setTimezone] = useState(org?.timezone ?? (Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'));
  const [limits, setLimits] = useState(overridesOf(org));
  const { busy, error, setError, run } = useAction();

  const submit = async (e) => {
    e.preventDefault();
    if (!overridesValid(limits)) return setError(t('orgs.limits_invalid'));
    const wanted = overridesBody(limits);
    try {
      const saved = await run(async () => {
        if (org) {
          const body = { ...wanted };
          if (name.trim() !== org.name) body.name = name.trim();
          if (slug !== org.slug) body.slug = slug;
          if (plan !== org.plan) body.plan = plan;
          if (timezone !== org.timezone) body.timezone = timezone;
          return api('PATCH', `/api/v1/organizations/${encodeURIComponent(org.id)}`, body);
        }
        // POST takes no limits: they are set right after, in a second call.
        const created = await api('POST', '/api/v1/organizations', { name: name.trim(), slug, plan, timezone });
        if (Object.values(wanted).every((v) => v == null)) return created;
        try {
          return await api('PATCH', `/api/v1/organizations/${encodeURIComponent(created.id)}`, wanted);
        } catch (err) {
          // It exists now: say that its limits are the plan's, and why.
          toast(`${t('orgs.created_limits_failed')} ${errorText(err)}`, 'error');
          return created;
        }
      });
      toast(t(org ? 'orgs.saved' : 'orgs.created', { name: saved.name }), 'ok');
      onSaved(saved);
    } catch {}
  };

  return (
    <Modal title={org ? t('orgs.edit_title', { name: org.name }) : t('orgs.create_title')} onClose={onClose}>
      <form onSubmit={submit} data-testid="org-form">
        <Field id="org-form-name" label={t('org.name')}>
          <input
            id="org-form-name"
            value={name}
            onInput={(e) => {
              const v = e.currentTarget.value;
              setName(v);
              if (!slugTouched) setSlug(slugify(v));
            }}
            required
            maxLength={200}
            autocomplete="off"
          />
        </Field>
        <Field id="org-form-slug" label={t('org.slug')} hint={t('orgs.slug_hint')}>
          <input
            id="org-form-slug"
            value={slug}
            onInput={(e) => {
              setSlug(e.currentTarget.value);
              setSlugTouched(true);
            }}
            pattern="[a-z0-9][a-z0-9\-]*[a-z0-9]"
            minLength={2}
            maxLength={63}
            required
            autocomplete="off"
            spellcheck={false}
            aria-describedby="org-form-slug-hint"
          />
        </Field>
        <div class="field-row">
          <Field id="org-form-plan" label={t('org.plan')}>
            <select id="org-form-plan" value={plan} onChange={(e) => setPlan(e.currentTarget.value)}>
              {PLANS.map((p) => (
                <option key={p} value={p}>
                  {t(`orgs.plan.${p}`)}
                </option>
              ))}
            </select>
          </Field>
          <Field id="org-form-timezone" label={t('org.timezone')}>
            <TimeZoneSelect id="org-form-timezone" value={timezone} onChange={setTimezone} />
          </Field>
        </div>
        <LimitFields plan={plan} value={limits} onChange={setLimits} />
        <FormError error={error} />
        <div class="actions">
          <button type="button" onClick={onClose}>
            {t('action.cancel')}
          </button>
          <SubmitButton busy={busy} label={org ? t('action.save') : t('orgs.create')} busyLabel={org ? t('org.saving') : t('orgs.creating')} />
        </div>
      </form>
    </Modal>
  );
}

// Deleting asks for the slug, and says what goes with the organisation.
function DeleteDialog({ org, usage, home, onClose, onDeleted }) {
  const [typed, setTyped] = useState('');
  const { busy, error, run } = useAction();
  const submit = async (e) => {
    e.preventDefault();
    try {
      await run(() => api('DELETE', `/api/v1/organizations/${encodeURIComponent(org.id)}`));
      toast(t('orgs.deleted', { name: org.name }), 'ok');
      onDeleted(org);
    } catch {}
  };
  return (
    <Modal title={t('orgs.delete_title', { name: org.name })} onClose={onClose}>
      <form onSubmit={submit} data-testid="org-delete-form">
        <p>{t('orgs.delete_intro', { name: org.name })}</p>
        <ul class="loss-list" data-testid="org-delete-loss">
          <li>{usage ? t('orgs.delete_devices', { n: formatCount(usage.devices) }) : t('orgs.delete_devices_all')}</li>
          <li>{usage ? t('orgs.delete_media', { size: decimalBytes(usage.storage_bytes) }) : t('orgs.delete_media_all')}</li>
          <li>{usage ? t('orgs.delete_users', { n: formatCount(usage.users) }) : t('orgs.delete_users_all')}</li>
          <li>{t('orgs.delete_rest')}</li>
        </ul>
        {home && <div class="alert warn">{t('orgs.delete_home')}</div>}
        <div class="alert error">{t('orgs.delete_final')}</div>
        <Field id="org-delete-confirm" label={t('orgs.delete_type', { slug: org.slug })}>
          <input id="org-delete-confirm" value={typed} onInput={(e) => setTyped(e.currentTarget.value)} autocomplete="off" spellcheck={false} />
        </Field>
        <FormError error={error} />
        <div class="actions">
          <button type="button" onClick={onClose}>
            {t('action.cancel')}
          </button>
          <SubmitButton class="danger" busy={busy} label={t('orgs.delete')} busyLabel={t('orgs.deleting')} disabled={busy || typed.trim() !== org.slug} data-testid="org-delete-submit" />
        </div>
      </form>
    </Modal>
  );
}

function actIn(user, id) {
  setActingOrganization(id === user.organization_id ? '' : id);
  location.hash = '#/organization';
  location.reload();
}

export default function OrganizationsView() {
  const { user } = useApp();
  const list = usePaged((cursor) => api('GET', `/api/v1/organizations${query({ limit: 50, cursor })}`), [user?.id]);
  const [usage, setUsage] = useState({}); // id → usage
  const [dialog, setDialog] = useState(null);
  const [rowBusy, setRowBusy] = useState('');
  const [rowError, setRowError] = useState(null);
  const [confirm, confirmUi] = useConfirm();
  const acting = currentOrgId(user);

  // Usage of the listed organisations, a few at a time.
  useEffect(() => {
    let live = true;
    const missing = list.items.filter((o) => !(o.id in usage)).map((o) => o.id);
    (async () => {
      for (let i = 0; i < missing.length && live; i += 6) {
        const part = await Promise.all(
          missing.slice(i, i + 6).map((id) => api('GET', `/api/v1/organizations/${encodeURIComponent(id)}/usage`).then((u) => [id, u], () => [id, null])),
        );
        if (live) setUsage((m) => ({ ...m, ...Object.fromEntries(part) }));
      }
    })();
    return () => {
      live = false;
    };
  }, [list.items]);

  const setActive = async (o, active) => {
    if (!active && !(await confirm(t('orgs.deactivate_confirm', { name: o.name }), t('orgs.deactivate')))) return;
    setRowBusy(o.id);
    setRowError(null);
    try {
      const saved = await api('PATCH', `/api/v1/organizations/${encodeURIComponent(o.id)}`, { active });
      list.update(o.id, () => saved);
      toast(t(active ? 'orgs.reactivated' : 'orgs.deactivated', { name: o.name }), 'ok');
    } catch (e) {
      setRowError({ id: o.id, text: errorText(e) });
    } finally {
      setRowBusy('');
    }
  };

  return (
    <section class="org-view" aria-labelledby="orgs-title">
      <div class="view-head">
        <h1 id="orgs-title">{t('nav.organizations')}</h1>
        <span class="spacer" />
        <button type="button" class="primary" onClick={() => setDialog({ kind: 'create' })} data-testid="org-create">
          {t('orgs.create_button')}
        </button>
      </div>
      <p class="muted view-intro">{t('orgs.intro')}</p>
      <FormError error={list.error} />
      <div class="table-wrap">
        <table class="list org-table" data-testid="orgs-table">
          <caption class="visually-hidden">{t('nav.organizations')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('org.name')}</th>
              <th scope="col">{t('org.plan')}</th>
              <th scope="col">{t('orgs.devices')}</th>
              <th scope="col">{t('orgs.users')}</th>
              <th scope="col">{t('orgs.storage')}</th>
              <th scope="col">{t('orgs.status')}</th>
              <th scope="col" class="actions-col">
                {t('org.actions')}
              </th>
            </tr>
          </thead>
          <tbody>
            {list.items.map((o) => {
              const u = usage[o.id];
              const busy = rowBusy === o.id;
              const here = o.id === acting;
              // '…' while the usage is loading, '—' if it could not be read.
              const count = (used, limit, format = formatCount, override) => (
                <span class={override ? 'override' : ''} title={override ? t('orgs.override') : undefined}>
                  {u ? format(used) : u === null ? '—' : '…'} / {limitText(limit, format)}
                  {override && <span class="visually-hidden"> ({t('orgs.override')})</span>}
                </span>
              );
              return (
                <tr key={o.id} data-testid={`org-row-${o.slug}`} class={o.active ? '' : 'inactive'}>
                  <td data-label={t('org.name')}>
                    <strong>{o.name}</strong> {here && <span class="badge accent">{t('orgs.acting_here')}</span>}
                    {o.id === user.organization_id && <span class="badge">{t('orgs.home')}</span>}
                    <div class="muted small">
                      <code>{o.slug}</code> · {o.timezone} · {formatTime(o.created_at)}
                    </div>
                  </td>
                  <td data-label={t('org.plan')}>
                    <span class="badge">{t(`orgs.plan.${o.plan}`)}</span>
                  </td>
                  <td data-label={t('orgs.devices')}>{count(u?.devices, o.limits.devices, formatCount, o.max_devices != null)}</td>
                  <td data-label={t('orgs.users')}>{count(u?.users, o.limits.users, formatCount, o.max_users != null)}</td>
                  <td data-label={t('orgs.storage')}>{count(u?.storage_bytes, o.limits.storage_bytes, decimalBytes, o.max_storage_bytes != null)}</td>
                  <td data-label={t('orgs.status')} data-testid="org-status">
                    {o.active ? <span class="badge ok">{t('orgs.active')}</span> : <span class="badge warn">{t('orgs.inactive')}</span>}
                  </td>
                  <td class="actions-cell" data-label={t('org.actions')}>
                    <div class="row-actions">
                      <button
                        type="button"
                        class={here ? '' : 'primary'}
                        disabled={here || busy}
                        onClick={() => actIn(user, o.id)}
                        data-testid={`org-act-${o.slug}`}
                        aria-label={here ? undefined : t('orgs.act_in_for', { name: o.name })}
                      >
                        {here ? t('orgs.acting_here') : t('orgs.act_in')}
                      </button>
                      <button type="button" disabled={busy} onClick={() => setDialog({ kind: 'edit', org: o })} aria-label={t('orgs.edit_for', { name: o.name })} data-testid={`org-edit-${o.slug}`}>
                        {t('orgs.edit')}
                      </button>
                      <button
                        type="button"
                        disabled={busy}
                        onClick={() => setActive(o, !o.active)}
                        aria-label={t(o.active ? 'orgs.deactivate_for' : 'orgs.reactivate_for', { name: o.name })}
                        data-testid={`org-toggle-${o.slug}`}
                      >
                        {o.active ? t('orgs.deactivate') : t('orgs.reactivate')}
                      </button>
                      <button
                        type="button"
                        class="danger"
                        disabled={busy}
                        onClick={() => setDialog({ kind: 'delete', org: o })}
                        aria-label={t('orgs.delete_for', { name: o.name })}
                        data-testid={`org-delete-${o.slug}`}
                      >
                        {t('action.delete')}
                      </button>
                    </div>
                    {rowError?.id === o.id && (
                      <div class="alert error small" role="alert">
                        {rowError.text}
                      </div>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {!list.loading && !list.error && list.items.length === 0 && <p class="empty">{t('orgs.none')}</p>}
      <div class="list-foot">
        {list.loading && <span class="muted">{t('common.loading')}</span>}
        {list.cursor && !list.loading && (
          <button type="button" onClick={list.more}>
            {t('org.show_more')}
          </button>
        )}
      </div>

      {(dialog?.kind === 'create' || dialog?.kind === 'edit') && (
        <OrgDialog
          org={dialog.org ?? null}
          onClose={() => setDialog(null)}
          onSaved={(o) => {
            if (dialog.kind === 'edit') list.update(o.id, () => o);
            else list.reload();
            setDialog(null);
          }}
        />
      )}
      {dialog?.kind === 'delete' && (
        <DeleteDialog
          org={dialog.org}
          usage={usage[dialog.org.id]}
          home={dialog.org.id === user.organization_id}
          onClose={() => setDialog(null)}
          onDeleted={(o) => {
            setDialog(null);
            // Acting in it, or it was home with nothing else chosen: back to home (or none).
            if (o.id === actingOrganization() || o.id === acting) {
              setActingOrganization('');
              location.hash = '#/organizations';
              location.reload();
              return;
            }
            list.update(o.id, () => null);
          }}
        />
      )}
      {confirmUi}
    </section>
  );
}
