// Webhooks of the organisation: HTTP(S) endpoints the server calls, signed, when something happens.
// An admin registers a URL and the events it wants; the signing secret is shown once, at creation
// and after a rotation, with a copy button. Each webhook can be edited, switched off and on, sent a
// test "ping", and deleted; #/webhooks/<id> is its delivery log (newest first, paged) with
// redelivery of finished deliveries. Same REST API as docs/openapi.json, tag "webhooks".
import { useEffect, useRef, useState } from 'preact/hooks';
import './org.css';
import { api } from '../common/api.js';
import { formatAgo, formatTime, t } from '../common/i18n.js';
import { Modal, errorText, toast, useConfirm } from '../common/ui.jsx';
import { useApp } from './context.js';
import { Field, SecretField, SubmitButton, query, useAction } from './org/shared.jsx';

// The events a webhook may subscribe to (webhook_events() in the library, without "ping").
export const EVENTS = [
  'device.created',
  'device.renamed',
  'device.deleted',
  'device.online',
  'device.offline',
  'playback.changed',
  'media.added',
  'media.deleted',
  'media.ready',
  'media.failed',
  'placeholder.changed',
  'schedule.changed',
  'user.changed',
  'api_key.changed',
];

const DELIVERY_PAGE = 20;

// A label from the catalogue, or `fallback` when the catalogue has none (a newer server's value).
function labelOr(key, fallback) {
  const s = t(key);
  return s === key ? fallback : s;
}

const eventLabel = (e) => labelOr(`webhooks.event.${e}`, e);

// The server's refusal in the person's language where it can be recognised: an address webhooks
// may not reach (the SSRF rules) or a URL that is not http(s); otherwise the generic text with the
// server's own message.
export function webhookErrorText(e) {
  if (!e || typeof e === 'string') return e || '';
  if (e.status === 400 || e.status === 422) {
    const m = /'([^']*)' resolves to (\S+) \(([\w-]+)\), which webhooks may not reach/.exec(e.message ?? '');
    if (m) return t('webhooks.error.private_address', { host: m[1], address: m[2], kind: labelOr(`webhooks.address_kind.${m[3]}`, m[3]) });
    if (/^url: must start with http/.test(e.message ?? '')) return t('webhooks.error.scheme');
    if (/^events must name at least one event/.test(e.message ?? '')) return t('webhooks.events_missing');
  }
  return errorText(e);
}

function WebhookError({ error }) {
  if (!error) return null;
  return (
    <div class="alert error" role="alert" data-testid="form-error">
      {webhookErrorText(error)}
    </div>
  );
}

// ---- forms --------------------------------------------------------------------------------------
function EventChoices({ value, onChange }) {
  const toggle = (e) => onChange(value.includes(e) ? value.filter((x) => x !== e) : [...value, e]);
  return (
    <fieldset class="field choices webhook-events">
      <legend>{t('webhooks.events')}</legend>
      <div class="choice-tools">
        <button type="button" class="link" onClick={() => onChange([...EVENTS])} data-testid="hook-events-all">
          {t('webhooks.events_all')}
        </button>
        <button type="button" class="link" onClick={() => onChange([])}>
          {t('webhooks.events_none')}
        </button>
      </div>
      <div class="event-grid">
        {EVENTS.map((e) => {
          const id = `hook-event-${e.replace(/\./g, '-')}`;
          return (
            <div class="choice" key={e}>
              <input type="checkbox" id={id} checked={value.includes(e)} onChange={() => toggle(e)} />
              <label for={id}>
                {eventLabel(e)}
                <code class="hint">{e}</code>
              </label>
            </div>
          );
        })}
      </div>
    </fieldset>
  );
}

function UrlField({ value, onInput }) {
  return (
    <Field id="hook-url" label={t('webhooks.url')} hint={t('webhooks.url_hint')}>
      <input
        id="hook-url"
        type="url"
        inputMode="url"
        autocomplete="off"
        spellcheck={false}
        placeholder="https://"
        value={value}
        onInput={(e) => onInput(e.currentTarget.value)}
        aria-describedby="hook-url-hint"
        required
      />
    </Field>
  );
}

// Create (hook null) or edit one. onSaved(webhook) gets the server's answer (with "secret" on create).
function WebhookForm({ hook, onCancel, onSaved }) {
  const [url, setUrl] = useState(hook?.url ?? '');
  const [events, setEvents] = useState(hook?.events ?? []);
  const [enabled, setEnabled] = useState(hook?.enabled ?? true);
  const { busy, error, setError, run } = useAction();
  const submit = async (e) => {
    e.preventDefault();
    if (!events.length) return setError(t('webhooks.events_missing'));
    const ordered = EVENTS.filter((x) => events.includes(x)).concat(events.filter((x) => !EVENTS.includes(x)));
    try {
      if (!hook) {
        onSaved(await run(() => api('POST', '/api/v1/webhooks', { url: url.trim(), events: ordered, enabled })));
        return;
      }
      const body = {};
      if (url.trim() !== hook.url) body.url = url.trim();
      if (ordered.join(',') !== hook.events.join(',')) body.events = ordered;
      if (enabled !== hook.enabled) body.enabled = enabled;
      onSaved(Object.keys(body).length ? await run(() => api('PATCH', `/api/v1/webhooks/${encodeURIComponent(hook.id)}`, body)) : hook);
    } catch {}
  };
  return (
    <form onSubmit={submit} data-testid="hook-form">
      <UrlField value={url} onInput={setUrl} />
      <EventChoices value={events} onChange={setEvents} />
      <div class="field">
        <label class="inline-check" for="hook-enabled">
          <input type="checkbox" id="hook-enabled" checked={enabled} onChange={(e) => setEnabled(e.currentTarget.checked)} aria-describedby="hook-enabled-hint" />
          {t('webhooks.enabled_label')}
        </label>
        <div class="hint" id="hook-enabled-hint">
          {t(hook ? 'webhooks.enabled_hint_edit' : 'webhooks.enabled_hint')}
        </div>
      </div>
      <WebhookError error={error} />
      <div class="actions">
        <button type="button" onClick={onCancel}>
          {t('action.cancel')}
        </button>
        {hook ? (
          <SubmitButton busy={busy} label={t('action.save')} data-testid="hook-save" />
        ) : (
          <SubmitButton busy={busy} label={t('webhooks.create')} busyLabel={t('webhooks.creating')} data-testid="hook-save" />
        )}
      </div>
    </form>
  );
}

// The signing secret, once: selected, with a copy button that falls back to the selection.
function SecretView({ hook, rotated, onDone }) {
  return (
    <div data-testid="hook-secret-view">
      <div class="alert warn" role="alert">
        <strong>{t('webhooks.secret_once')}</strong> {t(rotated ? 'webhooks.secret_once_rotated' : 'webhooks.secret_once_detail')}
      </div>
      <SecretField id="hook-secret" label={t('webhooks.secret_label')} value={hook.secret} testid="hook"
                   manualHint={t('webhooks.copy_manual')} />
      <p class="hint">
        {t('webhooks.signature_hint')} <code>X-VideoControl-Signature: sha256=HMAC(secret, timestamp + "." + body)</code>
      </p>
      <div class="actions">
        <button type="button" class="primary" onClick={onDone} data-testid="hook-done">
          {t('webhooks.done')}
        </button>
      </div>
    </div>
  );
}

function CreateDialog({ onClose, onCreated }) {
  const [created, setCreated] = useState(null);
  return (
    <Modal title={created ? t('webhooks.secret_title') : t('webhooks.create_title')} onClose={onClose}>
      {created ? (
        <SecretView hook={created} onDone={onClose} />
      ) : (
        <WebhookForm
          onCancel={onClose}
          onSaved={(h) => {
            setCreated(h);
            onCreated(h);
          }}
        />
      )}
    </Modal>
  );
}

// ---- the list -----------------------------------------------------------------------------------
function StatusBadge({ status }) {
  const cls = { succeeded: 'ok', failed: 'danger', pending: 'warn' }[status] ?? '';
  return (
    <span class={`badge ${cls}`} data-status={status}>
      {labelOr(`webhooks.status.${status}`, status)}
    </span>
  );
}

function EventBadges({ events }) {
  if (EVENTS.every((e) => events.includes(e)))
    return <span class="badge accent">{t('webhooks.events_every')}</span>;
  const shown = events.slice(0, 3);
  const rest = events.slice(3);
  return (
    <span class="badges">
      {shown.map((e) => (
        <span class="badge" key={e} title={e}>
          {eventLabel(e)}
        </span>
      ))}
      {rest.length > 0 && (
        <span class="badge" title={rest.map(eventLabel).join(', ')}>
          {t('webhooks.events_more', { n: rest.length })}
        </span>
      )}
    </span>
  );
}

// The newest delivery of one webhook (the list's answer does not carry it); looked at again every
// few seconds while it is pending.
function LastDelivery({ hook, version }) {
  const [last, setLast] = useState(undefined);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    api('GET', `/api/v1/webhooks/${encodeURIComponent(hook.id)}/deliveries?limit=1`).then(
      (page) => live && setLast(page.items?.[0] ?? null),
      () => live && setLast(null),
    );
    return () => {
      live = false;
    };
  }, [hook.id, version, tick]);
  useEffect(() => {
    if (last?.status !== 'pending') return;
    const timer = setTimeout(() => setTick((n) => n + 1), 2000);
    return () => clearTimeout(timer);
  }, [last]);
  if (last === undefined) return <span class="muted">…</span>;
  if (last === null) return <span class="muted">{t('webhooks.no_deliveries')}</span>;
  return (
    <span data-testid="hook-last-delivery">
      <StatusBadge status={last.status} />
      {last.response_code != null && <span class="muted small nowrap"> HTTP {last.response_code}</span>}
      <div class="muted small" title={formatTime(last.updated_at)}>
        {eventLabel(last.event)} · {formatAgo(last.updated_at)}
      </div>
    </span>
  );
}

function WebhookList() {
  const { user } = useApp();
  const [state, setState] = useState({ items: [], cursor: null, loading: true, error: null });
  const [version, setVersion] = useState(0); // bumps the rows' last-delivery lookups
  const [dialog, setDialog] = useState(null); // {kind: 'create'|'edit'|'secret', hook}
  const [rowBusy, setRowBusy] = useState('');
  const [rowError, setRowError] = useState(null); // {id, error}
  const [confirm, confirmUi] = useConfirm();
  const gen = useRef(0);

  const load = (cursor = '', append = false) => {
    const g = ++gen.current;
    setState((s) => ({ ...s, loading: true, error: null }));
    api('GET', `/api/v1/webhooks${query({ limit: 50, cursor })}`).then(
      (page) => {
        if (g !== gen.current) return;
        setState((s) => ({ items: append ? [...s.items, ...(page.items ?? [])] : page.items ?? [], cursor: page.next_cursor ?? null, loading: false, error: null }));
      },
      (error) => g === gen.current && setState((s) => ({ ...s, loading: false, error })),
    );
  };
  useEffect(() => load(), [user?.id]);
  const replace = (h) => setState((s) => ({ ...s, items: s.items.map((x) => (x.id === h.id ? { ...x, ...h, secret: undefined } : x)) }));
  const drop = (id) => setState((s) => ({ ...s, items: s.items.filter((x) => x.id !== id) }));

  const act = async (h, f) => {
    setRowBusy(h.id);
    setRowError(null);
    try {
      await f();
    } catch (e) {
      setRowError({ id: h.id, error: e });
    } finally {
      setRowBusy('');
    }
  };
  const sendTest = (h) =>
    act(h, async () => {
      await api('POST', `/api/v1/webhooks/${encodeURIComponent(h.id)}/test`);
      toast(t('webhooks.test_queued'), 'ok');
      setVersion((v) => v + 1); // pending now; the row looks again until it is done
    });
  const toggle = async (h) => {
    if (h.enabled && !(await confirm(t('webhooks.disable_confirm', { url: h.url }), t('webhooks.disable')))) return;
    await act(h, async () => {
      replace(await api('PATCH', `/api/v1/webhooks/${encodeURIComponent(h.id)}`, { enabled: !h.enabled }));
      toast(t(h.enabled ? 'webhooks.disabled_done' : 'webhooks.enabled_done'), 'ok');
    });
  };
  const rotate = async (h) => {
    if (!(await confirm(t('webhooks.rotate_confirm', { url: h.url }), t('webhooks.rotate')))) return;
    await act(h, async () => {
      const r = await api('POST', `/api/v1/webhooks/${encodeURIComponent(h.id)}/rotate-secret`);
      replace(r);
      setDialog({ kind: 'secret', hook: r });
    });
  };
  const remove = async (h) => {
    if (!(await confirm(t('webhooks.delete_confirm', { url: h.url }), t('webhooks.delete')))) return;
    await act(h, async () => {
      await api('DELETE', `/api/v1/webhooks/${encodeURIComponent(h.id)}`);
      drop(h.id);
      toast(t('webhooks.deleted'), 'ok');
    });
  };

  return (
    <section class="org-view" aria-labelledby="hooks-title">
      <div class="view-head">
        <h1 id="hooks-title">{t('nav.webhooks')}</h1>
        <span class="spacer" />
        <button type="button" class="primary" onClick={() => setDialog({ kind: 'create' })} data-testid="hook-create">
          {t('webhooks.create_button')}
        </button>
      </div>
      <p class="muted view-intro">{t('webhooks.intro')}</p>
      <WebhookError error={state.error} />
      <div class="table-wrap">
        <table class="list org-table webhooks-table" data-testid="hooks-table">
          <caption class="visually-hidden">{t('nav.webhooks')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('webhooks.url')}</th>
              <th scope="col">{t('webhooks.events')}</th>
              <th scope="col">{t('webhooks.state')}</th>
              <th scope="col">{t('webhooks.last_delivery')}</th>
              <th scope="col" class="actions-col">
                {t('org.actions')}
              </th>
            </tr>
          </thead>
          <tbody>
            {state.items.map((h, i) => {
              const busy = rowBusy === h.id;
              return (
                <tr key={h.id} data-testid={`hook-row-${i}`} data-hook-id={h.id} class={h.enabled ? '' : 'inactive'} aria-busy={busy ? 'true' : undefined}>
                  <td data-label={t('webhooks.url')} class="hook-url">
                    <a href={`#/webhooks/${encodeURIComponent(h.id)}`} data-testid="hook-url" title={t('webhooks.deliveries_of', { url: h.url })}>
                      {h.url}
                    </a>
                    <div class="muted small">{t('webhooks.created', { time: formatTime(h.created_at) })}</div>
                  </td>
                  <td data-label={t('webhooks.events')}>
                    <EventBadges events={h.events} />
                  </td>
                  <td data-label={t('webhooks.state')} data-testid="hook-state">
                    {h.enabled ? <span class="badge ok">{t('webhooks.on')}</span> : <span class="badge off">{t('webhooks.off')}</span>}
                    {h.failure_count > 0 && (
                      <div>
                        <span class="badge warn" data-testid="hook-failures">
                          {t('webhooks.failures', { n: h.failure_count })}
                        </span>
                      </div>
                    )}
                    {!h.enabled && h.disabled_reason && (
                      <div class="muted small hook-reason" data-testid="hook-disabled-reason">
                        {t('webhooks.disabled_by_server', { reason: h.disabled_reason })}
                      </div>
                    )}
                  </td>
                  <td data-label={t('webhooks.last_delivery')}>
                    <LastDelivery hook={h} version={version} />
                  </td>
                  <td class="actions-cell" data-label={t('org.actions')}>
                    <div class="row-actions">
                      <a class="button" href={`#/webhooks/${encodeURIComponent(h.id)}`} data-testid="hook-deliveries">
                        {t('webhooks.deliveries')}
                      </a>
                      <button type="button" disabled={busy} onClick={() => sendTest(h)} data-testid="hook-test">
                        {t('webhooks.test')}
                      </button>
                      <button type="button" disabled={busy} onClick={() => setDialog({ kind: 'edit', hook: h })} data-testid="hook-edit">
                        {t('webhooks.edit')}
                      </button>
                      <button type="button" disabled={busy} onClick={() => rotate(h)} data-testid="hook-rotate">
                        {t('webhooks.rotate_button')}
                      </button>
                      <button type="button" disabled={busy} onClick={() => toggle(h)} data-testid="hook-toggle">
                        {h.enabled ? t('webhooks.disable') : t('webhooks.enable')}
                      </button>
                      <button type="button" class="danger" disabled={busy} onClick={() => remove(h)} data-testid="hook-delete">
                        {t('action.delete')}
                      </button>
                    </div>
                    {rowError?.id === h.id && (
                      <div class="alert error small" role="alert" data-testid="hook-row-error">
                        {webhookErrorText(rowError.error)}
                      </div>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {!state.loading && !state.error && state.items.length === 0 && <p class="empty">{t('webhooks.none')}</p>}
      <div class="list-foot">
        {state.loading && <span class="muted" aria-live="polite">{t('common.loading')}</span>}
        {state.cursor && !state.loading && (
          <button type="button" onClick={() => load(state.cursor, true)}>
            {t('org.show_more')}
          </button>
        )}
      </div>
      {dialog?.kind === 'create' && (
        <CreateDialog
          onClose={() => setDialog(null)}
          onCreated={(h) => setState((s) => ({ ...s, items: [{ ...h, secret: undefined }, ...s.items.filter((x) => x.id !== h.id)] }))}
        />
      )}
      {dialog?.kind === 'edit' && (
        <Modal title={t('webhooks.edit_title')} onClose={() => setDialog(null)}>
          <WebhookForm
            hook={dialog.hook}
            onCancel={() => setDialog(null)}
            onSaved={(h) => {
              replace(h);
              setDialog(null);
              toast(t('webhooks.saved'), 'ok');
            }}
          />
        </Modal>
      )}
      {dialog?.kind === 'secret' && (
        <Modal title={t('webhooks.secret_title_rotated')} onClose={() => setDialog(null)}>
          <SecretView hook={dialog.hook} rotated onDone={() => setDialog(null)} />
        </Modal>
      )}
      {confirmUi}
    </section>
  );
}

// ---- deliveries ---------------------------------------------------------------------------------
// Everything loaded so far (up to the API's largest page) is looked at again every few seconds
// while a delivery is pending, and on request, so a row further down settles too; beyond that only
// the first page is, its rows replacing the ones they name.
const MAX_PAGE = 200;
function Deliveries({ id }) {
  const [hook, setHook] = useState(null);
  const [hookError, setHookError] = useState(null);
  const [state, setState] = useState({ items: [], cursor: null, loading: true, error: null });
  const [rowBusy, setRowBusy] = useState('');
  const [rowError, setRowError] = useState(null);
  const path = `/api/v1/webhooks/${encodeURIComponent(id)}`;

  const shown = useRef(0);
  shown.current = state.items.length;
  const refresh = () => {
    const n = shown.current <= MAX_PAGE ? Math.max(DELIVERY_PAGE, shown.current) : DELIVERY_PAGE;
    return api('GET', `${path}/deliveries${query({ limit: n })}`).then(
      (page) =>
        setState((s) => {
          const fresh = page.items ?? [];
          // Everything shown came back: take the answer as it is.
          if (s.items.length <= n) return { ...s, items: fresh, cursor: page.next_cursor ?? null, loading: false, error: null };
          // More rows were shown (or loaded meanwhile): replace those it names, keep the rest.
          const ids = new Set(fresh.map((d) => d.id));
          return { ...s, items: [...fresh, ...s.items.filter((d) => !ids.has(d.id))], loading: false, error: null };
        }),
      (error) => setState((s) => ({ ...s, loading: false, error })),
    );
  };
  const more = () => {
    setState((s) => ({ ...s, loading: true }));
    api('GET', `${path}/deliveries${query({ limit: DELIVERY_PAGE, cursor: state.cursor })}`).then(
      (page) =>
        setState((s) => {
          const have = new Set(s.items.map((d) => d.id));
          return { ...s, items: [...s.items, ...(page.items ?? []).filter((d) => !have.has(d.id))], cursor: page.next_cursor ?? null, loading: false };
        }),
      (error) => setState((s) => ({ ...s, loading: false, error })),
    );
  };
  useEffect(() => {
    api('GET', path).then(setHook, setHookError);
    refresh();
  }, [id]);
  const pending = state.items.some((d) => d.status === 'pending');
  useEffect(() => {
    if (!pending) return;
    const timer = setInterval(refresh, 2000);
    return () => clearInterval(timer);
  }, [pending, id]);

  const redeliver = async (d) => {
    setRowBusy(d.id);
    setRowError(null);
    try {
      const r = await api('POST', `${path}/deliveries/${encodeURIComponent(d.id)}/redeliver`);
      setState((s) => ({ ...s, items: s.items.map((x) => (x.id === r.id ? r : x)) }));
      toast(t('webhooks.redeliver_queued'), 'ok');
    } catch (e) {
      setRowError({ id: d.id, error: e });
    } finally {
      setRowBusy('');
    }
  };
  const sendTest = async () => {
    try {
      const d = await api('POST', `${path}/test`);
      setState((s) => ({ ...s, items: [d, ...s.items.filter((x) => x.id !== d.id)] }));
      toast(t('webhooks.test_queued'), 'ok');
    } catch (e) {
      setRowError({ id: 'test', error: e });
    }
  };

  return (
    <section class="org-view" aria-labelledby="deliveries-title">
      <p class="back-link">
        <a href="#/webhooks" data-testid="hook-back">
          ← {t('nav.webhooks')}
        </a>
      </p>
      <div class="view-head">
        <h1 id="deliveries-title">{t('webhooks.deliveries_title')}</h1>
        <span class="spacer" />
        <button type="button" onClick={refresh} data-testid="deliveries-refresh">
          {t('webhooks.refresh')}
        </button>
        <button type="button" class="primary" onClick={sendTest} disabled={!hook} data-testid="deliveries-test">
          {t('webhooks.test')}
        </button>
      </div>
      {hook && (
        <p class="muted view-intro hook-url" data-testid="deliveries-url">
          <code>{hook.url}</code> {hook.enabled ? <span class="badge ok">{t('webhooks.on')}</span> : <span class="badge off">{t('webhooks.off')}</span>}
        </p>
      )}
      <WebhookError error={hookError} />
      {rowError?.id === 'test' && <WebhookError error={rowError.error} />}
      <WebhookError error={state.error} />
      <div class="table-wrap">
        <table class="list org-table deliveries-table" data-testid="deliveries-table">
          <caption class="visually-hidden">{t('webhooks.deliveries_title')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('webhooks.event')}</th>
              <th scope="col">{t('webhooks.status')}</th>
              <th scope="col">{t('webhooks.attempts')}</th>
              <th scope="col">{t('webhooks.response')}</th>
              <th scope="col">{t('webhooks.last_error')}</th>
              <th scope="col">{t('webhooks.next_attempt')}</th>
              <th scope="col" class="actions-col">
                {t('org.actions')}
              </th>
            </tr>
          </thead>
          <tbody>
            {state.items.map((d, i) => (
              <tr key={d.id} data-testid={`delivery-row-${i}`} data-delivery-id={d.id} data-status={d.status}>
                <td data-label={t('webhooks.event')}>
                  <strong>{eventLabel(d.event)}</strong>
                  <div class="muted small">
                    <span title={formatTime(d.created_at)}>{formatTime(d.created_at)}</span>
                  </div>
                </td>
                <td data-label={t('webhooks.status')} data-testid="delivery-status">
                  <StatusBadge status={d.status} />
                </td>
                <td data-label={t('webhooks.attempts')} data-testid="delivery-attempts">
                  {d.attempts}
                </td>
                <td data-label={t('webhooks.response')} data-testid="delivery-code">
                  {d.response_code != null ? <code>{d.response_code}</code> : <span class="muted">—</span>}
                  {d.response_snippet && (
                    <div class="muted small snippet" title={d.response_snippet}>
                      {d.response_snippet.slice(0, 120)}
                    </div>
                  )}
                </td>
                <td data-label={t('webhooks.last_error')} data-testid="delivery-error" class="delivery-error">
                  {d.last_error ? <span class="small">{d.last_error}</span> : <span class="muted">—</span>}
                </td>
                <td data-label={t('webhooks.next_attempt')} class="date">
                  {d.status === 'pending' && d.next_attempt_at ? formatTime(d.next_attempt_at) : <span class="muted">—</span>}
                </td>
                <td class="actions-cell" data-label={t('org.actions')}>
                  {d.status === 'pending' ? (
                    <span class="muted small">{t('webhooks.in_progress')}</span>
                  ) : (
                    <button type="button" disabled={rowBusy === d.id} onClick={() => redeliver(d)} data-testid="delivery-redeliver">
                      {t('webhooks.redeliver')}
                    </button>
                  )}
                  {rowError?.id === d.id && (
                    <div class="alert error small" role="alert">
                      {webhookErrorText(rowError.error)}
                    </div>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {!state.loading && !state.error && state.items.length === 0 && <p class="empty">{t('webhooks.no_deliveries_yet')}</p>}
      <div class="list-foot">
        {state.loading && <span class="muted" aria-live="polite">{t('common.loading')}</span>}
        {state.cursor && !state.loading && (
          <button type="button" onClick={more} data-testid="deliveries-more">
            {t('webhooks.load_more')}
          </button>
        )}
      </div>
    </section>
  );
}

export default function WebhooksView({ path }) {
  const id = path?.[0] ? decodeURIComponent(path[0]) : '';
  return id ? <Deliveries key={id} id={id} /> : <WebhookList />;
}
