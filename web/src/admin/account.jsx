// The signed-in person's menu: change own password, sign out, sign out everywhere.
import { useState } from 'preact/hooks';
import { changePassword, logout } from '../common/api.js';
import { t } from '../common/i18n.js';
import { LanguageSelect, Modal, ThemeSelect, errorText, toast } from '../common/ui.jsx';

function PasswordDialog({ onClose }) {
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

export function AccountMenu({ user }) {
  const [open, setOpen] = useState(false);
  const [dialog, setDialog] = useState(false);
  const out = async (everywhere) => {
    try {
      await logout(everywhere);
    } catch {}
    location.replace('/signin');
  };
  return (
    <div class="menu">
      <button type="button" aria-haspopup="true" aria-expanded={open} onClick={() => setOpen(!open)} data-testid="account-menu">
        {user.username} <span class="muted">({t(`role.${user.role}`)})</span>
      </button>
      {open && (
        <div class="menu-list" role="menu" onKeyDown={(e) => e.key === 'Escape' && setOpen(false)}>
          <button type="button" role="menuitem" onClick={() => { setOpen(false); setDialog(true); }}>{t('account.change_password')}</button>
          <button type="button" role="menuitem" onClick={() => out(false)} data-testid="sign-out">{t('account.sign_out')}</button>
          <button type="button" role="menuitem" onClick={() => out(true)}>{t('account.sign_out_everywhere')}</button>
          <div class="menu-settings">
            <LanguageSelect />
            <ThemeSelect />
          </div>
        </div>
      )}
      {dialog && <PasswordDialog onClose={() => setDialog(false)} />}
    </div>
  );
}
