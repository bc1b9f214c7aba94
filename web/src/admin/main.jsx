// The admin panel: devices and their files, and the organisation's users, API keys, webhooks, audit log and
// settings (superadmin: every organisation). Views are addressed by the hash (#/devices/lobby), so
// the server serves one page. Viewers get the same views without anything that changes state.
import { render } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import '../common/base.css';
import './admin.css';
import { actingOrganization, api, currentUser, onSession, session, setActingOrganization, toSignIn } from '../common/api.js';
import { t } from '../common/i18n.js';
import { can } from '../common/roles.js';
import { connectControl } from '../common/socket.js';
import { Toasts, applyTheme, toast, useLang } from '../common/ui.jsx';
import { AppContext } from './context.js';
import { AccountMenu } from './account.jsx';
import DevicesView from './devices.jsx';
import UsersView from './users.jsx';
import ApiKeysView from './apikeys.jsx';
import WebhooksView from './webhooks.jsx';
import AuditView from './audit.jsx';
import OrganizationView from './organization.jsx';
import OrganizationsView from './organizations.jsx';

// The Scheduling section is fetched when first opened: the devices view's first load stays as it was.
let scheduleModule = null;
function ScheduleView(props) {
  const [mod, setMod] = useState(scheduleModule);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    if (!mod) import('./schedule.jsx').then((m) => setMod((scheduleModule = m)), () => setFailed(true));
  }, []);
  if (failed) return <div class="alert error" role="alert">{t('error.network')}</div>;
  return mod ? <mod.default {...props} /> : <div class="empty" aria-busy="true">{t('common.loading')}</div>;
}

applyTheme();

function useHash() {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const f = () => setHash(location.hash);
    addEventListener('hashchange', f);
    return () => removeEventListener('hashchange', f);
  }, []);
  return hash;
}

// Live presence and now-playing from the control socket: players/onlineSnapshot, player/online,
// player/offline, preview/refresh; devices/updated bumps `version` so lists reload. The content
// pipeline's file/processing, file/progress, file/ready and file/error are listened to on the same
// socket (context `socket`) by the file list that shows them (files.jsx).
function useRealtime(user) {
  const [socket, setSocket] = useState(null);
  const [online, setOnline] = useState(() => new Set());
  const [version, setVersion] = useState(0);
  const [connected, setConnected] = useState(false);
  const [playing, setPlaying] = useState({}); // device_id → now-playing state from preview/refresh
  useEffect(() => {
    if (!user) return;
    const s = connectControl();
    s.on('connect', () => setConnected(true));
    s.on('disconnect', () => setConnected(false));
    s.on('players/onlineSnapshot', (ids) => setOnline(new Set(Array.isArray(ids) ? ids : [])));
    s.on('player/online', (p) => setOnline((o) => new Set(o).add(p?.device_id)));
    s.on('player/offline', (p) =>
      setOnline((o) => {
        const n = new Set(o);
        n.delete(p?.device_id);
        return n;
      }),
    );
    s.on('devices/updated', () => setVersion((v) => v + 1));
    // The new state comes with the event (2.x servers sent only device_id: then reload the list).
    s.on('preview/refresh', (p) => {
      if (p?.device_id && p.state) setPlaying((m) => ({ ...m, [p.device_id]: p.state }));
      else setVersion((v) => v + 1);
    });
    setSocket(s);
    return () => s.close();
  }, [user?.id, actingOrganization()]);
  return { socket, online, version, connected, playing };
}

const views = [
  { id: 'devices', label: 'nav.devices', perm: 'read', View: DevicesView },
  { id: 'schedule', label: 'nav.schedule', perm: 'read', View: ScheduleView },
  { id: 'users', label: 'nav.users', perm: 'manage_users', View: UsersView },
  { id: 'api-keys', label: 'nav.api_keys', perm: 'manage_api_keys', View: ApiKeysView },
  // Webhooks need the same permission as API keys (libvideocontrol's services/webhooks.cpp).
  { id: 'webhooks', label: 'nav.webhooks', perm: 'manage_api_keys', View: WebhooksView },
  { id: 'audit', label: 'nav.audit', perm: 'read_audit', View: AuditView },
  { id: 'organization', label: 'nav.organization', perm: 'read', View: OrganizationView },
  { id: 'organizations', label: 'nav.organizations', perm: 'manage_organizations', View: OrganizationsView },
];

// The superadmin picks the organisation it acts in (X-Organization-Id; home when none is picked).
function OrganizationSwitch({ user }) {
  const [orgs, setOrgs] = useState([]);
  useEffect(() => {
    api('GET', '/api/v1/organizations?limit=200').then((r) => setOrgs(r.items ?? []), () => {});
  }, []);
  const current = actingOrganization() || user.organization_id || '';
  return (
    <select
      aria-label={t('nav.acting_in')}
      value={current}
      onChange={(e) => {
        const id = e.currentTarget.value;
        setActingOrganization(id === user.organization_id ? '' : id);
        location.hash = '#/devices';
        location.reload();
      }}
      data-testid="org-switch"
    >
      {orgs.map((o) => (
        <option key={o.id} value={o.id}>
          {o.name}
        </option>
      ))}
    </select>
  );
}

function Admin() {
  useLang();
  const [user, setUser] = useState(currentUser());
  const [ready, setReady] = useState(false);
  const hash = useHash();

  useEffect(() => {
    session().then((u) => {
      if (!u) return toSignIn();
      if (u.role === 'speaker') return location.replace('/speaker');
      setUser(u);
      setReady(true);
    });
    return onSession((u) => {
      if (!u) {
        toast(t('error.signed_out'), 'error');
        setTimeout(toSignIn, 1200);
      } else setUser(u);
    });
  }, []);

  const rt = useRealtime(ready ? user : null);
  const ctx = useMemo(() => ({ user, can: (p) => can(user, p), ...rt }), [user, rt.socket, rt.online, rt.version, rt.connected, rt.playing]);
  if (!ready) return <div class="empty" aria-busy="true">{t('common.loading')}</div>;

  const [, section = 'devices', ...rest] = hash.replace(/^#/, '').split('/');
  const allowed = views.filter((v) => ctx.can(v.perm));
  const current = allowed.find((v) => v.id === section) ?? allowed[0];
  const View = current.View;

  return (
    <AppContext.Provider value={ctx}>
      <a class="skip" href="#main">{t('nav.skip')}</a>
      <header class="topbar">
        <a class="brand" href="#/devices">
          <img src="/favicon.svg" alt="" />
          <span>VideoControl</span>
        </a>
        <nav aria-label={t('nav.sections')}>
          {allowed.map((v) => (
            <a key={v.id} href={`#/${v.id}`} aria-current={v === current ? 'page' : undefined}>
              {t(v.label)}
            </a>
          ))}
          {ctx.can('control') && <a href="/speaker">{t('nav.speaker')}</a>}
        </nav>
        <span class="spacer" />
        {user.role === 'superadmin' && <OrganizationSwitch user={user} />}
        <span class={`badge ${rt.connected ? 'ok' : 'warn'}`} title={t(rt.connected ? 'live.on_hint' : 'live.off_hint')}>
          {t(rt.connected ? 'live.on' : 'live.off')}
        </span>
        {!ctx.can('manage_content') && <span class="badge">{t('role.read_only')}</span>}
        <AccountMenu user={user} />
      </header>
      <main id="main" class="page" tabIndex={-1}>
        <View path={rest} />
      </main>
      <Toasts />
    </AppContext.Provider>
  );
}

render(<Admin />, document.getElementById('app'));
