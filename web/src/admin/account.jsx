// The signed-in person's menu: change own password, sign out, sign out everywhere, language, theme.
import { useState } from 'preact/hooks';
import { logout } from '../common/api.js';
import { t } from '../common/i18n.js';
import { PasswordDialog } from '../common/password.jsx';
import { LanguageSelect, ThemeSelect } from '../common/ui.jsx';

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
