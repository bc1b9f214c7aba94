// Users of the organisation: who has which role and whether they may sign in. Admins create users
// with a role and an initial password, change roles, reset passwords, disable/enable and delete;
// nobody does those to their own account here (the server refuses, and the row says why).
import { useState } from 'preact/hooks';
import './org.css';
import { api } from '../common/api.js';
import { formatTime, t } from '../common/i18n.js';
import { Modal, errorText, toast, useConfirm } from '../common/ui.jsx';
import { useApp } from './context.js';
import { Field, FormError, PasswordField, RoleSelect, SubmitButton, orgScope, query, useAction, usePaged } from './org/shared.jsx';

function CreateUserDialog({ user, onClose, onCreated }) {
  const [username, setUsername] = useState('');
  const [role, setRole] = useState('viewer');
  const [password, setPassword] = useState('');
  const { busy, error, run } = useAction();
  const submit = async (e) => {
    e.preventDefault();
    try {
      const created = await run(() => api('POST', '/api/v1/users', { username: username.trim(), password, role }));
      toast(t('users.created', { name: created.username }), 'ok');
      onCreated(created);
    } catch {}
  };
  return (
    <Modal title={t('users.create_title')} onClose={onClose}>
      <form onSubmit={submit} data-testid="user-create-form">
        <Field id="user-name" label={t('users.username')} hint={t('users.username_hint')}>
          <input
            id="user-name"
            autocomplete="off"
            autocapitalize="none"
            spellcheck={false}
            value={username}
            onInput={(e) => setUsername(e.currentTarget.value)}
            aria-describedby="user-name-hint"
            required
          />
        </Field>
        <div class="field">
          <label for="user-role">{t('users.role')}</label>
          <RoleSelect id="user-role" value={role} onChange={setRole} user={user} />
        </div>
        <PasswordField id="user-password" label={t('users.initial_password')} value={password} onInput={setPassword} />
        <p class="hint">{t('users.initial_password_note')}</p>
        <FormError error={error} />
        <div class="actions">
          <button type="button" onClick={onClose}>
            {t('action.cancel')}
          </button>
          <SubmitButton busy={busy} label={t('users.create')} busyLabel={t('users.creating')} />
        </div>
      </form>
    </Modal>
  );
}

function RoleDialog({ user, target, onClose, onSaved }) {
  const [role, setRole] = useState(target.role);
  const { busy, error, run } = useAction();
  const submit = async (e) => {
    e.preventDefault();
    try {
      const u = await run(() => api('PATCH', `/api/v1/users/${encodeURIComponent(target.id)}`, { role }));
      toast(t('users.role_changed', { name: u.username, role: t(`role.${u.role}`) }), 'ok');
      onSaved(u);
    } catch {}
  };
  return (
    <Modal title={t('users.role_title', { name: target.username })} onClose={onClose}>
      <form onSubmit={submit}>
        <div class="field">
          <label for="role-change">{t('users.role')}</label>
          <RoleSelect id="role-change" value={role} onChange={setRole} user={user} />
        </div>
        <FormError error={error} />
        <div class="actions">
          <button type="button" onClick={onClose}>
            {t('action.cancel')}
          </button>
          <SubmitButton busy={busy} label={t('users.role_save')} disabled={busy || role === target.role} />
        </div>
      </form>
    </Modal>
  );
}

function PasswordResetDialog({ target, onClose, onSaved }) {
  const [password, setPassword] = useState('');
  const { busy, error, run } = useAction();
  const submit = async (e) => {
    e.preventDefault();
    try {
      const u = await run(() => api('PATCH', `/api/v1/users/${encodeURIComponent(target.id)}`, { password }));
      toast(t('users.password_reset_done', { name: u.username }), 'ok');
      onSaved(u);
    } catch {}
  };
  return (
    <Modal title={t('users.password_title', { name: target.username })} onClose={onClose}>
      <form onSubmit={submit}>
        <PasswordField id="reset-password" label={t('users.new_password')} value={password} onInput={setPassword} />
        <div class="alert warn">{t('users.password_reset_note')}</div>
        <FormError error={error} />
        <div class="actions">
          <button type="button" onClick={onClose}>
            {t('action.cancel')}
          </button>
          <SubmitButton busy={busy} label={t('users.password_reset')} />
        </div>
      </form>
    </Modal>
  );
}

export default function UsersView() {
  const { user, can } = useApp();
  const list = usePaged((cursor) => api('GET', `/api/v1/users${query({ ...orgScope(user), limit: 50, cursor })}`), [user?.id]);
  const [dialog, setDialog] = useState(null); // {kind, target}
  const [rowBusy, setRowBusy] = useState('');
  const [rowError, setRowError] = useState(null); // {id, text}
  const [confirm, confirmUi] = useConfirm();
  const admin = can('manage_users');

  const patch = async (target, body, done) => {
    setRowBusy(target.id);
    setRowError(null);
    try {
      const u = await api('PATCH', `/api/v1/users/${encodeURIComponent(target.id)}`, body);
      list.update(u.id, () => u);
      toast(done(u), 'ok');
    } catch (e) {
      setRowError({ id: target.id, text: errorText(e) });
    } finally {
      setRowBusy('');
    }
  };
  const toggleActive = async (target) => {
    if (target.active) {
      if (!(await confirm(t('users.disable_confirm', { name: target.username }), t('users.disable')))) return;
      await patch(target, { active: false }, (u) => t('users.disabled_done', { name: u.username }));
    } else {
      await patch(target, { active: true }, (u) => t('users.enabled_done', { name: u.username }));
    }
  };
  const remove = async (target) => {
    if (!(await confirm(t('users.delete_confirm', { name: target.username }), t('users.delete')))) return;
    setRowBusy(target.id);
    setRowError(null);
    try {
      await api('DELETE', `/api/v1/users/${encodeURIComponent(target.id)}`);
      list.update(target.id, () => null);
      toast(t('users.deleted', { name: target.username }), 'ok');
    } catch (e) {
      setRowError({ id: target.id, text: errorText(e) });
    } finally {
      setRowBusy('');
    }
  };

  // The superadmin is managed only by a superadmin; nobody manages their own account here.
  const manageable = (u) => admin && u.id !== user.id && (u.role !== 'superadmin' || user.role === 'superadmin');

  return (
    <section class="org-view" aria-labelledby="users-title">
      <div class="view-head">
        <h1 id="users-title">{t('nav.users')}</h1>
        <span class="spacer" />
        {admin && (
          <button type="button" class="primary" onClick={() => setDialog({ kind: 'create' })} data-testid="user-create">
            {t('users.create_button')}
          </button>
        )}
      </div>
      <p class="muted view-intro">{t('users.intro')}</p>
      <FormError error={list.error} />
      <div class="table-wrap">
        <table class="list org-table" data-testid="users-table">
          <caption class="visually-hidden">{t('nav.users')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('users.username')}</th>
              <th scope="col">{t('users.role')}</th>
              <th scope="col">{t('users.status')}</th>
              <th scope="col">{t('users.created_at')}</th>
              {admin && (
                <th scope="col" class="actions-col">
                  {t('org.actions')}
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {list.items.map((u) => {
              const busy = rowBusy === u.id;
              return (
                <tr key={u.id} data-testid={`user-row-${u.username}`} class={u.active ? '' : 'inactive'} aria-busy={busy ? 'true' : undefined}>
                  <td data-label={t('users.username')}>
                    <strong>{u.username}</strong> {u.id === user.id && <span class="badge accent">{t('users.you')}</span>}
                  </td>
                  <td data-label={t('users.role')}>
                    <span class={`badge role-${u.role}`}>{t(`role.${u.role}`)}</span>
                  </td>
                  <td data-label={t('users.status')}>
                    {u.active ? <span class="badge ok">{t('users.active')}</span> : <span class="badge warn">{t('users.disabled')}</span>}
                  </td>
                  <td class="date" data-label={t('users.created_at')}>{formatTime(u.created_at)}</td>
                  {admin && (
                    <td class="actions-cell" data-label={t('org.actions')}>
                      {manageable(u) ? (
                        <div class="row-actions">
                          <button type="button" disabled={busy} onClick={() => setDialog({ kind: 'role', target: u })} aria-label={t('users.role_for', { name: u.username })}>
                            {t('users.role_button')}
                          </button>
                          <button type="button" disabled={busy} onClick={() => setDialog({ kind: 'password', target: u })} aria-label={t('users.password_for', { name: u.username })}>
                            {t('users.password_button')}
                          </button>
                          <button
                            type="button"
                            disabled={busy}
                            onClick={() => toggleActive(u)}
                            data-testid={`user-toggle-${u.username}`}
                            aria-label={t(u.active ? 'users.disable_for' : 'users.enable_for', { name: u.username })}
                          >
                            {u.active ? t('users.disable') : t('users.enable')}
                          </button>
                          <button
                            type="button"
                            class="danger"
                            disabled={busy}
                            onClick={() => remove(u)}
                            data-testid={`user-delete-${u.username}`}
                            aria-label={t('users.delete_for', { name: u.username })}
                          >
                            {t('action.delete')}
                          </button>
                        </div>
                      ) : (
                        <span class="muted small row-note" data-testid={u.id === user.id ? 'user-self-note' : undefined}>
                          {u.id === user.id ? t('users.self_note') : t('users.superadmin_note')}
                        </span>
                      )}
                      {rowError?.id === u.id && (
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
      {!list.loading && !list.error && list.items.length === 0 && <p class="empty">{t('users.none')}</p>}
      <div class="list-foot">
        {list.loading && <span class="muted" aria-live="polite">{t('common.loading')}</span>}
        {list.cursor && !list.loading && (
          <button type="button" onClick={list.more}>
            {t('org.show_more')}
          </button>
        )}
      </div>

      {dialog?.kind === 'create' && (
        <CreateUserDialog
          user={user}
          onClose={() => setDialog(null)}
          onCreated={() => {
            setDialog(null);
            list.reload();
          }}
        />
      )}
      {dialog?.kind === 'role' && (
        <RoleDialog
          user={user}
          target={dialog.target}
          onClose={() => setDialog(null)}
          onSaved={(u) => {
            setDialog(null);
            list.update(u.id, () => u);
          }}
        />
      )}
      {dialog?.kind === 'password' && (
        <PasswordResetDialog
          target={dialog.target}
          onClose={() => setDialog(null)}
          onSaved={(u) => {
            setDialog(null);
            list.update(u.id, () => u);
          }}
        />
      )}
      {confirmUi}
    </section>
  );
}
