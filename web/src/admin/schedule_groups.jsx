// Device groups: the list, creating one, renaming, deleting (after a confirmation) and choosing its
// members from the organisation's devices.
import { useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api } from '../common/api.js';
import { plural, t } from '../common/i18n.js';
import { Modal, errorText, toast, useConfirm } from '../common/ui.jsx';
import { useApp } from './context.js';
import { RenameDialog } from './shared.jsx';
import { FormError } from './org/shared.jsx';
import { SideList, useSched } from './schedule_shared.jsx';

function NewGroupDialog({ onClose, onCreated }) {
  const [name, setName] = useState('');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    try {
      onCreated(await api('POST', '/api/v1/groups', { name: name.trim(), device_ids: [] }));
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return (
    <Modal title={t('sched.group_new')} onClose={onClose}>
      <form onSubmit={submit}>
        <div class="field">
          <label for="group-name">{t('sched.name')}</label>
          <input id="group-name" value={name} onInput={(e) => setName(e.currentTarget.value)} maxLength={100} required />
        </div>
        <FormError error={error} />
        <div class="actions">
          <button type="button" onClick={onClose}>{t('action.cancel')}</button>
          <button type="submit" class="primary" disabled={busy}>{t('sched.create')}</button>
        </div>
      </form>
    </Modal>
  );
}

const sameMembers = (set, ids) => set.size === ids.length && ids.every((d) => set.has(d));

function GroupEditor({ group }) {
  const app = useApp();
  const data = useSched();
  const manage = app.can('manage_content');
  const [members, setMembers] = useState(() => new Set(group.device_ids));
  const [filter, setFilter] = useState('');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const [renaming, setRenaming] = useState(false);
  const [confirm, confirmUi] = useConfirm();
  // A new version from the server (someone else's change, or the reload after our own save) replaces
  // the selection only when it was not being edited; the functional update sees the latest selection.
  const base = useRef({ id: group.id, ids: group.device_ids });
  useLayoutEffect(() => {
    const prev = base.current;
    base.current = { id: group.id, ids: group.device_ids };
    setMembers((m) => (prev.id !== group.id || sameMembers(m, prev.ids) ? new Set(group.device_ids) : m));
  }, [group.id, group.updated_at]);
  const id = encodeURIComponent(group.id);
  const dirty = members.size !== group.device_ids.length || group.device_ids.some((d) => !members.has(d));
  const shown = useMemo(() => {
    const f = filter.trim().toLowerCase();
    return (data.devices ?? []).filter((d) => !f || d.name.toLowerCase().includes(f) || d.device_id.toLowerCase().includes(f));
  }, [data.devices, filter]);

  const toggle = (deviceId, on) =>
    setMembers((m) => {
      const n = new Set(m);
      if (on) n.add(deviceId);
      else n.delete(deviceId);
      return n;
    });
  const save = async () => {
    setBusy(true);
    setError(null);
    try {
      await api('PATCH', `/api/v1/groups/${id}`, { device_ids: [...members].sort() });
      await data.reload('groups');
      toast(t('sched.group_saved', { name: group.name }), 'ok');
    } catch (e) {
      setError(e);
    }
    setBusy(false);
  };
  const remove = async () => {
    if (!(await confirm(t('sched.group_delete_confirm', { name: group.name }), t('action.delete')))) return;
    try {
      await api('DELETE', `/api/v1/groups/${id}`);
      toast(t('sched.group_deleted', { name: group.name }), 'ok');
      await data.reload('groups');
      location.hash = '#/schedule/groups';
    } catch (e) {
      toast(errorText(e), 'error');
    }
  };

  return (
    <section class="card sched-main" aria-labelledby="group-title" data-testid="group-editor">
      <div class="row sched-head">
        <h2 id="group-title">{group.name}</h2>
        <span class="muted small">{plural('sched.members', group.device_ids.length)}</span>
        <span class="spacer" />
        <a class="button" href={`#/schedule/timeline/g/${id}`}>{t('sched.timeline')}</a>
        {manage && <button type="button" onClick={() => setRenaming(true)}>{t('action.rename')}</button>}
        {manage && <button type="button" class="danger" onClick={remove}>{t('action.delete')}</button>}
      </div>
      <fieldset class="sched-members">
        <legend>{t('sched.members_title')}</legend>
        {(data.devices ?? []).length > 8 && (
          <input type="search" class="sched-filter" placeholder={t('devices.filter')} aria-label={t('devices.filter')} value={filter} onInput={(e) => setFilter(e.currentTarget.value)} />
        )}
        {(data.devices ?? []).length === 0 ? (
          <p class="muted">{t('sched.no_devices')}</p>
        ) : (
          <ul class="check-list">
            {shown.map((d) => (
              <li key={d.device_id}>
                <label class="inline-check">
                  <input type="checkbox" checked={members.has(d.device_id)} disabled={!manage} onChange={(e) => toggle(d.device_id, e.currentTarget.checked)} data-device={d.device_id} />
                  <span>{d.name}</span> <span class="muted small">{d.device_id}</span>
                </label>
              </li>
            ))}
          </ul>
        )}
      </fieldset>
      <FormError error={error} />
      {manage && (
        <div class="row">
          <button type="button" class="primary" disabled={!dirty || busy} onClick={save} data-testid="group-save">
            {t('sched.save_members')}
          </button>
          {dirty && <button type="button" onClick={() => setMembers(new Set(group.device_ids))}>{t('sched.revert')}</button>}
          {dirty && <span class="muted small">{t('sched.unsaved')}</span>}
        </div>
      )}
      {renaming && (
        <RenameDialog
          title={t('sched.group_rename')}
          label={t('sched.name')}
          value={group.name}
          onClose={() => setRenaming(false)}
          onSave={async (name) => {
            await api('PATCH', `/api/v1/groups/${id}`, { name });
            await data.reload('groups');
          }}
        />
      )}
      {confirmUi}
    </section>
  );
}

export default function GroupsTab({ path }) {
  const app = useApp();
  const data = useSched();
  const [adding, setAdding] = useState(false);
  const selectedId = path[0] ? decodeURIComponent(path[0]) : null;
  const groups = data.groups ?? [];
  const selected = groups.find((g) => g.id === selectedId) ?? (selectedId ? null : groups[0]);
  return (
    <div class="sched-split">
      <div class="sched-aside">
        {app.can('manage_content') && (
          <button type="button" class="primary sched-new" onClick={() => setAdding(true)} data-testid="group-new">
            {t('sched.group_new')}
          </button>
        )}
        <SideList
          label={t('sched.tab.groups')}
          items={groups}
          selectedId={selected?.id}
          href={(g) => `#/schedule/groups/${encodeURIComponent(g.id)}`}
          render={(g) => (
            <>
              <span class="side-name">{g.name}</span>
              <span class="muted small">{plural('sched.members', g.device_ids.length)}</span>
            </>
          )}
          empty={t('sched.groups_none')}
          testid="group-list"
        />
      </div>
      {selected ? (
        <GroupEditor key={selected.id} group={selected} />
      ) : selectedId ? (
        <div class="alert error">{t('sched.not_found')}</div>
      ) : (
        <div class="empty card sched-main">{t('sched.groups_intro')}</div>
      )}
      {adding && (
        <NewGroupDialog
          onClose={() => setAdding(false)}
          onCreated={async (g) => {
            setAdding(false);
            await data.reload('groups');
            location.hash = `#/schedule/groups/${encodeURIComponent(g.id)}`;
          }}
        />
      )}
    </div>
  );
}
