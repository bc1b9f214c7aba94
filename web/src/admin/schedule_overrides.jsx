// Emergency overrides: the ones in force (everyone sees them; people with the control permission
// can clear them) and the dialog that starts one — a message and/or a media item, for every device
// or one group, until cleared or until a time — which asks for an explicit confirmation first.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../common/api.js';
import { formatTime, t } from '../common/i18n.js';
import { Modal, errorText, toast, useConfirm } from '../common/ui.jsx';
import { useApp } from './context.js';
import { FormError } from './org/shared.jsx';
import { groupName, mediaName, useSched } from './schedule_shared.jsx';

export function useOverrides() {
  const data = useSched();
  const [list, setList] = useState([]);
  const load = () => api('GET', '/api/v1/overrides').then((r) => setList(r.items ?? []), () => {});
  useEffect(() => {
    load();
    // One that ends by itself leaves the list when it ends.
    const timer = setInterval(load, 60000);
    return () => clearInterval(timer);
  }, [data.version]);
  return [list, load];
}

function scopeOf(data, o) {
  return o.group_id ? t('sched.override_group', { group: groupName(data, o.group_id) }) : t('sched.override_all');
}

export function OverrideBanner({ list, reload }) {
  const app = useApp();
  const data = useSched();
  const [confirm, confirmUi] = useConfirm();
  if (list.length === 0) return null;
  const clear = async (o) => {
    if (!(await confirm(t('sched.override_clear_confirm', { scope: scopeOf(data, o) }), t('sched.override_clear')))) return;
    try {
      await api('DELETE', `/api/v1/overrides/${encodeURIComponent(o.id)}`);
      toast(t('sched.override_cleared'), 'ok');
    } catch (e) {
      toast(errorText(e), 'error');
    }
    reload();
  };
  return (
    <section class="override-banner" aria-labelledby="overrides-title" data-testid="overrides">
      <h2 id="overrides-title">{t('sched.overrides_active')}</h2>
      <ul>
        {list.map((o) => (
          <li key={o.id} data-id={o.id} class="row">
            <span class="badge danger">{scopeOf(data, o)}</span>
            <span class="override-what">
              {o.message && <strong>{o.message}</strong>}
              {o.media_id && <span>{o.message ? ' · ' : ''}{mediaName(data, o.media_id)}</span>}
            </span>
            <span class="muted small">
              {t('sched.override_since', { time: formatTime(o.starts_at) })} · {o.ends_at ? t('sched.override_until', { time: formatTime(o.ends_at) }) : t('sched.override_until_cleared')}
            </span>
            <span class="spacer" />
            {app.can('control') && (
              <button type="button" class="danger" onClick={() => clear(o)} data-testid="override-clear">
                {t('sched.override_clear')}
              </button>
            )}
          </li>
        ))}
      </ul>
      {confirmUi}
    </section>
  );
}

export function OverrideDialog({ onClose, onStarted }) {
  const data = useSched();
  const [message, setMessage] = useState('');
  const [media, setMedia] = useState('');
  const [group, setGroup] = useState('');
  const [ends, setEnds] = useState('');
  const [step, setStep] = useState('form');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const confirmRef = useRef(null);
  // The confirmation takes the focus (it is read out), not its Start button: Enter twice starts nothing.
  useEffect(() => {
    if (step === 'confirm') confirmRef.current?.focus();
  }, [step]);
  const count = group ? data.groups?.find((g) => g.id === group)?.device_ids.length ?? 0 : (data.devices ?? []).length;
  const next = (e) => {
    e.preventDefault();
    setError(null);
    if (!message.trim() && !media) return setError(t('sched.override_needs'));
    if (ends && !(new Date(ends).getTime() > Date.now())) return setError(t('sched.override_end_past'));
    setStep('confirm');
  };
  const start = async () => {
    setBusy(true);
    setError(null);
    const body = {};
    if (message.trim()) body.message = message.trim();
    if (media) body.media_id = media;
    if (group) body.group_id = group;
    if (ends) body.ends_at = new Date(ends).toISOString();
    try {
      await api('POST', '/api/v1/overrides', body);
      toast(t('sched.override_started'), 'ok');
      onStarted();
    } catch (err) {
      setError(err);
      setBusy(false);
      setStep('form');
    }
  };
  const scope = group ? t('sched.override_group', { group: groupName(data, group) }) : t('sched.override_all');
  return (
    <Modal title={t('sched.override_title')} onClose={onClose}>
      {step === 'form' ? (
        <form onSubmit={next} data-testid="override-form">
          <p class="muted">{t('sched.override_intro')}</p>
          <div class="field">
            <label for="ov-message">{t('sched.override_message')}</label>
            <textarea id="ov-message" rows="3" maxLength={500} value={message} onInput={(e) => setMessage(e.currentTarget.value)} />
          </div>
          <div class="field">
            <label for="ov-media">{t('sched.override_media')}</label>
            <select id="ov-media" value={media} onChange={(e) => setMedia(e.currentTarget.value)}>
              <option value="">{t('sched.override_no_media')}</option>
              {(data.media ?? []).map((m) => (
                <option key={m.id} value={m.id}>
                  {m.name}
                </option>
              ))}
            </select>
          </div>
          <div class="field">
            <label for="ov-group">{t('sched.override_where')}</label>
            <select id="ov-group" value={group} onChange={(e) => setGroup(e.currentTarget.value)}>
              <option value="">{t('sched.override_all')}</option>
              {(data.groups ?? []).map((g) => (
                <option key={g.id} value={g.id}>
                  {g.name}
                </option>
              ))}
            </select>
          </div>
          <div class="field">
            <label for="ov-ends">{t('sched.override_ends')}</label>
            <input id="ov-ends" type="datetime-local" value={ends} onInput={(e) => setEnds(e.currentTarget.value)} aria-describedby="ov-ends-hint" />
            <div class="hint" id="ov-ends-hint">
              {t('sched.override_ends_hint')}
            </div>
          </div>
          <FormError error={error} />
          <div class="actions">
            <button type="button" onClick={onClose}>
              {t('action.cancel')}
            </button>
            <button type="submit" class="primary" data-testid="override-next">
              {t('sched.override_review')}
            </button>
          </div>
        </form>
      ) : (
        <div data-testid="override-confirm" ref={confirmRef} tabIndex={-1} class="override-confirm">
          <div class="alert warn" role="alert">
            {t('sched.override_confirm_text', { scope, n: count })}
          </div>
          <dl class="facts">
            {message.trim() && (
              <div>
                <dt>{t('sched.override_message')}</dt>
                <dd>{message.trim()}</dd>
              </div>
            )}
            {media && (
              <div>
                <dt>{t('sched.override_media')}</dt>
                <dd>{mediaName(data, media)}</dd>
              </div>
            )}
            <div>
              <dt>{t('sched.override_where')}</dt>
              <dd>{scope}</dd>
            </div>
            <div>
              <dt>{t('sched.override_ends')}</dt>
              <dd>{ends ? formatTime(new Date(ends).toISOString()) : t('sched.override_until_cleared')}</dd>
            </div>
          </dl>
          <FormError error={error} />
          <div class="actions">
            <button type="button" onClick={() => setStep('form')}>
              {t('sched.back')}
            </button>
            <button type="button" class="danger" onClick={start} disabled={busy} data-testid="override-start">
              {t('sched.override_start')}
            </button>
          </div>
        </div>
      )}
    </Modal>
  );
}
