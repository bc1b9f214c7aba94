// API keys of the organisation: for scripts and integrations (X-API-Key header). An admin names a
// key, picks its scopes and an optional expiry; the secret is shown once, right after creating it,
// with a copy button. Revoking is immediate.
import { useState } from 'preact/hooks';
import './org.css';
import { api } from '../common/api.js';
import { formatAgo, formatTime, t } from '../common/i18n.js';
import { Modal, errorText, toast, useConfirm } from '../common/ui.jsx';
import { useApp } from './context.js';
import { Field, FormError, SecretField, SubmitButton, formatDate, query, useAction, usePaged } from './org/shared.jsx';

const SCOPES = ['read', 'control', 'write'];
const EXPIRY = [
  { id: 'never', days: 0 },
  { id: '30', days: 30 },
  { id: '90', days: 90 },
  { id: '365', days: 365 },
  { id: 'date', days: 0 },
];

// 'YYYY-MM-DD' for a date input, in local time.
function isoDay(d) {
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

// The RFC 3339 time a choice of expiry means: the end of the chosen local day.
function expiryOf(choice, date) {
  if (choice === 'never') return null;
  let d;
  if (choice === 'date') {
    if (!date) return undefined;
    d = new Date(`${date}T23:59:59`);
  } else {
    d = new Date();
    d.setDate(d.getDate() + Number(choice));
    d.setHours(23, 59, 59, 0);
  }
  return isNaN(d) ? undefined : d.toISOString();
}

function keyState(k) {
  if (k.revoked_at) return 'revoked';
  if (k.expires_at && new Date(k.expires_at) <= new Date()) return 'expired';
  return 'active';
}

function CreateKeyForm({ onCancel, onCreated }) {
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState(['read']);
  const [expiry, setExpiry] = useState('never');
  const [date, setDate] = useState('');
  const { busy, error, setError, run } = useAction();
  const tomorrow = new Date();
  tomorrow.setDate(tomorrow.getDate() + 1);
  const toggle = (s) => setScopes((list) => (list.includes(s) ? list.filter((x) => x !== s) : [...list, s]));
  const submit = async (e) => {
    e.preventDefault();
    if (!scopes.length) return setError(t('keys.scopes_missing'));
    const expires_at = expiryOf(expiry, date);
    if (expires_at === undefined) return setError(t('keys.expiry_missing'));
    try {
      const body = { name: name.trim(), scopes: SCOPES.filter((s) => scopes.includes(s)) };
      if (expires_at) body.expires_at = expires_at;
      onCreated(await run(() => api('POST', '/api/v1/api-keys', body)));
    } catch {}
  };
  return (
    <form onSubmit={submit} data-testid="key-create-form">
      <Field id="key-name" label={t('keys.name')} hint={t('keys.name_hint')}>
        <input id="key-name" autocomplete="off" value={name} onInput={(e) => setName(e.currentTarget.value)} aria-describedby="key-name-hint" required />
      </Field>
      <fieldset class="field choices">
        <legend>{t('keys.scopes')}</legend>
        {SCOPES.map((s) => (
          <div class="choice" key={s}>
            <input type="checkbox" id={`key-scope-${s}`} checked={scopes.includes(s)} onChange={() => toggle(s)} aria-describedby={`key-scope-${s}-hint`} />
            <label for={`key-scope-${s}`}>
              {t(`keys.scope.${s}`)}
              <span class="hint" id={`key-scope-${s}-hint`}>
                {t(`keys.scope_hint.${s}`)}
              </span>
            </label>
          </div>
        ))}
      </fieldset>
      <div class="field-row">
        <Field id="key-expiry" label={t('keys.expiry')}>
          <select id="key-expiry" value={expiry} onChange={(e) => setExpiry(e.currentTarget.value)}>
            {EXPIRY.map((x) => (
              <option key={x.id} value={x.id}>
                {t(`keys.expiry_option.${x.id === 'never' || x.id === 'date' ? x.id : `days_${x.id}`}`)}
              </option>
            ))}
          </select>
        </Field>
        {expiry === 'date' && (
          <Field id="key-expiry-date" label={t('keys.expiry_date')}>
            <input id="key-expiry-date" type="date" min={isoDay(tomorrow)} value={date} onInput={(e) => setDate(e.currentTarget.value)} required />
          </Field>
        )}
      </div>
      <FormError error={error} />
      <div class="actions">
        <button type="button" onClick={onCancel}>
          {t('action.cancel')}
        </button>
        <SubmitButton busy={busy} label={t('keys.create')} busyLabel={t('keys.creating')} />
      </div>
    </form>
  );
}

// The secret, once: selected, with a copy button that falls back to the selection.
function SecretView({ created, onDone }) {
  return (
    <div data-testid="key-secret-view">
      <div class="alert warn" role="alert">
        <strong>{t('keys.secret_once')}</strong> {t('keys.secret_once_detail')}
      </div>
      <SecretField id="key-secret" label={t('keys.secret_label', { name: created.name })} value={created.key} testid="key"
                   manualHint={t('keys.copy_manual')} />
      <p class="hint">
        {t('keys.usage_hint')} <code>X-API-Key: {created.prefix}…</code>
      </p>
      <div class="actions">
        <button type="button" class="primary" onClick={onDone} data-testid="key-done">
          {t('keys.done')}
        </button>
      </div>
    </div>
  );
}

function CreateKeyDialog({ onClose, onCreated }) {
  const [created, setCreated] = useState(null);
  return (
    <Modal title={created ? t('keys.secret_title') : t('keys.create_title')} onClose={onClose}>
      {created ? (
        <SecretView created={created} onDone={onClose} />
      ) : (
        <CreateKeyForm
          onCancel={onClose}
          onCreated={(k) => {
            setCreated(k);
            onCreated(k);
          }}
        />
      )}
    </Modal>
  );
}

export default function ApiKeysView() {
  const { user, can } = useApp();
  const list = usePaged((cursor) => api('GET', `/api/v1/api-keys${query({ limit: 50, cursor })}`), [user?.id]);
  const [creating, setCreating] = useState(false);
  const [rowBusy, setRowBusy] = useState('');
  const [rowError, setRowError] = useState(null);
  const [confirm, confirmUi] = useConfirm();
  const admin = can('manage_api_keys');

  const revoke = async (k) => {
    if (!(await confirm(t('keys.revoke_confirm', { name: k.name }), t('keys.revoke')))) return;
    setRowBusy(k.id);
    setRowError(null);
    try {
      await api('DELETE', `/api/v1/api-keys/${encodeURIComponent(k.id)}`);
      list.update(k.id, (x) => ({ ...x, revoked_at: new Date().toISOString() }));
      list.reload(); // the server's own revoked_at and last_used_at
      toast(t('keys.revoked_done', { name: k.name }), 'ok');
    } catch (e) {
      setRowError({ id: k.id, text: errorText(e) });
    } finally {
      setRowBusy('');
    }
  };

  return (
    <section class="org-view" aria-labelledby="keys-title">
      <div class="view-head">
        <h1 id="keys-title">{t('nav.api_keys')}</h1>
        <span class="spacer" />
        {admin && (
          <button type="button" class="primary" onClick={() => setCreating(true)} data-testid="key-create">
            {t('keys.create_button')}
          </button>
        )}
      </div>
      <p class="muted view-intro">{t('keys.intro')}</p>
      <FormError error={list.error} />
      <div class="table-wrap">
        <table class="list org-table" data-testid="keys-table">
          <caption class="visually-hidden">{t('nav.api_keys')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('keys.name')}</th>
              <th scope="col">{t('keys.scopes')}</th>
              <th scope="col">{t('keys.created_at')}</th>
              <th scope="col">{t('keys.expires_at')}</th>
              <th scope="col">{t('keys.last_used')}</th>
              <th scope="col">{t('keys.status')}</th>
              {admin && (
                <th scope="col" class="actions-col">
                  {t('org.actions')}
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {list.items.map((k) => {
              const state = keyState(k);
              return (
                <tr key={k.id} data-testid={`key-row-${k.name}`} class={state === 'active' ? '' : 'inactive'}>
                  <td data-label={t('keys.name')}>
                    <strong>{k.name}</strong>
                    <div class="muted small">
                      <code>{k.prefix}…</code>
                    </div>
                  </td>
                  <td data-label={t('keys.scopes')}>
                    <span class="badges">
                      {k.scopes.map((s) => (
                        <span class="badge" key={s}>
                          {t(`keys.scope.${s}`)}
                        </span>
                      ))}
                    </span>
                  </td>
                  <td class="date" data-label={t('keys.created_at')}>{formatTime(k.created_at)}</td>
                  <td data-label={t('keys.expires_at')}>{k.expires_at ? formatDate(k.expires_at) : t('keys.never_expires')}</td>
                  <td data-label={t('keys.last_used')}>
                    {k.last_used_at ? <span title={formatTime(k.last_used_at)}>{formatAgo(k.last_used_at)}</span> : <span class="muted">{t('keys.never_used')}</span>}
                  </td>
                  <td data-label={t('keys.status')} data-testid="key-status">
                    {state === 'active' && <span class="badge ok">{t('keys.state.active')}</span>}
                    {state === 'expired' && <span class="badge warn">{t('keys.state.expired')}</span>}
                    {state === 'revoked' && (
                      <>
                        <span class="badge off">{t('keys.state.revoked')}</span>
                        <div class="muted small">{formatTime(k.revoked_at)}</div>
                      </>
                    )}
                  </td>
                  {admin && (
                    <td class="actions-cell" data-label={t('org.actions')}>
                      {k.revoked_at && <span class="muted">—</span>}
                      {!k.revoked_at && (
                        <button
                          type="button"
                          class="danger"
                          disabled={rowBusy === k.id}
                          onClick={() => revoke(k)}
                          data-testid={`key-revoke-${k.name}`}
                          aria-label={t('keys.revoke_for', { name: k.name })}
                        >
                          {rowBusy === k.id ? t('keys.revoking') : t('keys.revoke')}
                        </button>
                      )}
                      {rowError?.id === k.id && (
                        <div class="alert error small" role="alert">
                          {rowError.text}
                        </div>
                      )}
                    </td>
                  )}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {!list.loading && !list.error && list.items.length === 0 && <p class="empty">{t('keys.none')}</p>}
      <div class="list-foot">
        {list.loading && <span class="muted">{t('common.loading')}</span>}
        {list.cursor && !list.loading && (
          <button type="button" onClick={list.more}>
            {t('org.show_more')}
          </button>
        )}
      </div>
      {creating && <CreateKeyDialog onClose={() => setCreating(false)} onCreated={() => list.reload()} />}
      {confirmUi}
    </section>
  );
}
