// Change own password: a dialog both panels open from their account menu. The server signs the
// person out everywhere on a change; changePassword signs this page in again with the new password.
import { useState } from 'preact/hooks';
import { changePassword } from './api.js';
import { t } from './i18n.js';
import { Modal, errorText, toast } from './ui.jsx';

export function PasswordDialog({ onClose }) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    if (next !== again) return setError(t('account.password_mismatch'));
    setBusy(true);
    setError('');
    try {
      await changePassword(current, next);
      toast(t('account.password_changed'), 'ok');
      onClose();
    } catch (err) {
      setError(err.status === 401 ? t('account.password_wrong') : errorText(err));
      setBusy(false);
    }
  };
  return (
    <Modal title={t('account.change_password')} onClose={onClose}>
      <form onSubmit={submit}>
        <div class="field">
          <label for="pw-current">{t('account.current_password')}</label>
          <input id="pw-current" type="password" autocomplete="current-password" value={current} onInput={(e) => setCurrent(e.currentTarget.value)} required />
        </div>
        <div class="field">
          <label for="pw-next">{t('account.new_password')}</label>
          <input id="pw-next" type="password" autocomplete="new-password" value={next} onInput={(e) => setNext(e.currentTarget.value)} required />
          <div class="hint">{t('account.password_rules')}</div>
        </div>
        <div class="field">
          <label for="pw-again">{t('account.repeat_password')}</label>
          <input id="pw-again" type="password" autocomplete="new-password" value={again} onInput={(e) => setAgain(e.currentTarget.value)} required />
        </div>
        {error && <div class="alert error" role="alert">{error}</div>}
        <div class="actions">
          <button type="button" onClick={onClose}>{t('action.cancel')}</button>
          <button type="submit" class="primary" disabled={busy}>{t('account.change_password')}</button>
        </div>
      </form>
    </Modal>
  );
}

