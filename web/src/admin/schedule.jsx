// The Scheduling section (#/schedule/<tab>/…): playlists, device groups, assignments with their
// schedules, and the timeline of a device or a group, over the REST API of docs/scheduling.md; the
// emergency overrides in force sit above every tab, with the button that starts one. Loaded when
// first opened (main.jsx imports it lazily), so the devices view's first load does not carry it.
import './schedule.css';
import { useState } from 'preact/hooks';
import { t } from '../common/i18n.js';
import { useApp } from './context.js';
import { FormError } from './org/shared.jsx';
import { SchedContext, useSched, useScheduleData } from './schedule_shared.jsx';
import PlaylistsTab from './schedule_playlists.jsx';
import GroupsTab from './schedule_groups.jsx';
import AssignmentsTab from './schedule_assignments.jsx';
import TimelineTab from './schedule_timeline.jsx';
import { OverrideBanner, OverrideDialog, useOverrides } from './schedule_overrides.jsx';

const TABS = [
  { id: 'playlists', View: PlaylistsTab },
  { id: 'groups', View: GroupsTab },
  { id: 'assignments', View: AssignmentsTab },
  { id: 'timeline', View: TimelineTab },
];

export default function ScheduleView({ path }) {
  const data = useScheduleData();
  return (
    <SchedContext.Provider value={data}>
      <Section path={path ?? []} />
    </SchedContext.Provider>
  );
}

function Section({ path }) {
  const app = useApp();
  const data = useSched();
  const [overrides, reloadOverrides] = useOverrides();
  const [starting, setStarting] = useState(false);
  const [tabId = 'playlists', ...rest] = path;
  const tab = TABS.find((x) => x.id === tabId) ?? TABS[0];
  const View = tab.View;
  return (
    <div class="schedule">
      <div class="row view-head">
        <h1>{t('nav.schedule')}</h1>
        <nav class="sched-tabs" aria-label={t('sched.tabs')}>
          {TABS.map((x) => (
            <a key={x.id} href={`#/schedule/${x.id}`} aria-current={x === tab ? 'page' : undefined}>
              {t(`sched.tab.${x.id}`)}
            </a>
          ))}
        </nav>
        <span class="spacer" />
        {app.can('control') && !data.loading && (
          <button type="button" class="danger emergency" onClick={() => setStarting(true)} data-testid="override-open">
            {t('sched.override_button')}
          </button>
        )}
      </div>
      <FormError error={data.error} />
      {!data.loading && <OverrideBanner list={overrides} reload={reloadOverrides} />}
      {data.loading ? <div class="empty" aria-busy="true">{t('common.loading')}</div> : <View path={rest} />}
      {starting && (
        <OverrideDialog
          onClose={() => setStarting(false)}
          onStarted={() => {
            setStarting(false);
            reloadOverrides();
          }}
        />
      )}
    </div>
  );
}
