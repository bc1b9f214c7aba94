// The organisation one works in: its name and time zone (admins change them), its plan, and how
// much of the plan's devices, users and storage it uses. Everyone else reads the same, unchanged.
import { useEffect, useState } from 'preact/hooks';
import './org.css';
import { api } from '../common/api.js';
import { formatTime, t } from '../common/i18n.js';
import { toast } from '../common/ui.jsx';
import { useApp } from './context.js';
import { FormError, SubmitButton, TimeZoneSelect, UsageBar, currentOrgId, decimalBytes, nowIn, useAction } from './org/shared.jsx';

function Settings({ org, editable, superadmin, onSaved }) {
  const [name, setName] = useState(org.name);
  const [timezone, setTimezone] = useState(org.timezone);
  const { busy, error, run } = useAction();
  useEffect(() => {
    setName(org.name);
    setTimezone(org.timezone);
  }, [org.id, org.updated_at]);
  const changed = name.trim() !== org.name || timezone !== org.timezone;

  if (!editable)
    return (
      <div class="card" data-testid="org-settings-readonly">
        <h2>{t('org.settings')}</h2>
        <dl class="facts">
          <div>
            <dt>{t('org.name')}</dt>
            <dd data-testid="org-name">{org.name}</dd>
          </div>
          <div>
            <dt>{t('org.timezone')}</dt>
            <dd>
              {org.timezone} <span class="muted">({t('org.now_there', { time: nowIn(org.timezone) })})</span>
            </dd>
          </div>
          <div>
            <dt>{t('org.slug')}</dt>
            <dd>
              <code>{org.slug}</code>
            </dd>
          </div>
        </dl>
        <p class="hint">{t('org.read_only')}</p>
      </div>
    );

  const submit = async (e) => {
    e.preventDefault();
    const body = {};
    if (name.trim() !== org.name) body.name = name.trim();
    if (timezone !== org.timezone) body.timezone = timezone;
    try {
      const o = await run(() => api('PATCH', `/api/v1/organizations/${encodeURIComponent(org.id)}`, body));
      toast(t('org.saved'), 'ok');
      onSaved(o);
    } catch {}
  };
  return (
    <form class="card" onSubmit={submit} data-testid="org-settings-form">
      <h2>{t('org.settings')}</h2>
      <div class="field">
        <label for="org-name">{t('org.name')}</label>
        <input id="org-name" value={name} onInput={(e) => setName(e.currentTarget.value)} required maxLength={200} />
      </div>
      <div class="field">
        <label for="org-timezone">{t('org.timezone')}</label>
        <TimeZoneSelect id="org-timezone" value={timezone} onChange={setTimezone} describedBy="org-timezone-hint" />
        <div class="hint" id="org-timezone-hint">
          {t('org.timezone_hint')} {t('org.now_there', { time: nowIn(timezone) })}
        </div>
      </div>
      <div class="field">
        <span class="field-label">{t('org.slug')}</span>
        <div>
          <code>{org.slug}</code> <span class="hint">{t('org.slug_hint')}</span>
        </div>
      </div>
      {superadmin && (
        <p class="hint">
          <a href="#/organizations">{t('org.plan_in_orgs')}</a>
        </p>
      )}
      <FormError error={error} />
      <div class="actions">
        <SubmitButton busy={busy} label={t('action.save')} disabled={busy || !changed || !name.trim()} data-testid="org-save" />
      </div>
    </form>
  );
}

export function Usage({ org, usage, error }) {
  const limits = usage?.limits ?? org.limits;
  return (
    <div class="card" data-testid="org-usage">
      <h2>{t('org.usage')}</h2>
      <p class="plan-line">
        {t('org.plan')}: <span class="badge accent" data-testid="org-plan">{t(`orgs.plan.${org.plan}`)}</span>
      </p>
      {error && (error.status === 403 ? <p class="muted">{t('org.usage_hidden')}</p> : <FormError error={error} />)}
      {usage && (
        <div class="usage-list">
          <UsageBar id="devices" label={t('org.usage_devices')} used={usage.devices} limit={limits.devices} />
          <UsageBar id="users" label={t('org.usage_users')} used={usage.users} limit={limits.users} />
          <UsageBar id="storage" label={t('org.usage_storage')} used={usage.storage_bytes} limit={limits.storage_bytes} format={decimalBytes} />
        </div>
      )}
      {!usage && !error && <p class="muted">{t('common.loading')}</p>}
    </div>
  );
}

export default function OrganizationView() {
  const { user, can, version } = useApp();
  const id = currentOrgId(user);
  const [org, setOrg] = useState(null);
  const [error, setError] = useState(null);
  const [usage, setUsage] = useState(null);
  const [usageError, setUsageError] = useState(null);

  useEffect(() => {
    if (!id) return;
    api('GET', `/api/v1/organizations/${encodeURIComponent(id)}`).then(setOrg, setError);
  }, [id]);
  // Usage follows the live "lists changed" signal (a device added elsewhere moves the bar).
  useEffect(() => {
    if (!id) return;
    api('GET', `/api/v1/organizations/${encodeURIComponent(id)}/usage`).then(
      (u) => {
        setUsage(u);
        setUsageError(null);
      },
      setUsageError,
    );
  }, [id, version]);

  if (!id)
    return (
      <section class="org-view">
        <h1>{t('nav.organization')}</h1>
        <p class="alert warn">{t('org.no_home')}</p>
      </section>
    );

  return (
    <section class="org-view" aria-labelledby="org-title">
      <div class="view-head">
        <h1 id="org-title">
          {t('nav.organization')}
          {org && <span class="muted">: {org.name}</span>}
        </h1>
        <span class="spacer" />
        {org && !org.active && <span class="badge warn">{t('orgs.inactive')}</span>}
      </div>
      <FormError error={error} />
      {!org && !error && <p class="muted">{t('common.loading')}</p>}
      {org && (
        <div class="org-grid">
          <Settings org={org} editable={can('manage_users')} superadmin={user.role === 'superadmin'} onSaved={setOrg} />
          <Usage org={org} usage={usage} error={usageError} />
          <p class="muted small org-meta">
            {t('org.created', { time: formatTime(org.created_at) })} · {t('org.updated', { time: formatTime(org.updated_at) })}
          </p>
        </div>
      )}
    </section>
  );
}
