// Picking the screen to drive: the organisation's devices, online ones first, each with a live
// online/offline badge and what it shows now. On a phone the list folds behind a button naming the
// chosen device; on a tablet it is always open beside the stage.
import { useState } from 'preact/hooks';
import { t } from '../common/i18n.js';
import { Icon } from './icons.jsx';

export function OnlineBadge({ online }) {
  return (
    <span class={`badge ${online ? 'ok' : 'off'}`} data-testid="online-badge" data-online={online ? 'yes' : 'no'}>
      {t(online ? 'speaker.device.online' : 'speaker.device.offline')}
    </span>
  );
}

export function DevicePicker({ devices, loading, error, selectedId, isOnline, nowPlaying, onPick }) {
  const [open, setOpen] = useState(false);
  const current = devices.find((d) => d.device_id === selectedId);
  const expanded = open || !current;
  const onlineCount = devices.filter((d) => isOnline(d)).length;
  return (
    <section class="sp-devices" aria-labelledby="devices-h">
      <div class="sp-section-head">
        <h2 id="devices-h">{t('speaker.devices.title')}</h2>
        {devices.length > 0 && <span class="muted sp-count">{t('speaker.devices.count', { online: onlineCount, total: devices.length })}</span>}
      </div>
      <button
        type="button"
        class="sp-devtoggle"
        aria-expanded={expanded}
        aria-controls="sp-devlist"
        onClick={() => setOpen(!expanded)}
        data-testid="device-toggle"
      >
        <Icon name="screen" />
        <span class="sp-devtoggle-name">{current ? current.name || current.device_id : t('speaker.devices.pick')}</span>
        {current && <OnlineBadge online={isOnline(current)} />}
        <Icon name="chevron" size={20} class={expanded ? 'flip' : ''} />
      </button>
      <div id="sp-devlist" class="sp-devlist" data-open={expanded ? 'true' : 'false'}>
        {loading && devices.length === 0 && <p class="muted sp-pad">{t('common.loading')}</p>}
        {error && <p class="alert error">{error}</p>}
        {!loading && !error && devices.length === 0 && <p class="empty">{t('speaker.devices.none')}</p>}
        <ul class="sp-list" data-testid="device-list">
          {devices.map((d) => {
            const on = isOnline(d);
            const np = nowPlaying(d);
            return (
              <li key={d.device_id}>
                <button
                  type="button"
                  class="sp-row sp-device"
                  aria-pressed={d.device_id === selectedId}
                  onClick={() => {
                    setOpen(false);
                    onPick(d.device_id);
                  }}
                  data-testid="device"
                  data-device-id={d.device_id}
                >
                  <Icon name="screen" />
                  <span class="sp-row-main">
                    <span class="sp-row-name">{d.name || d.device_id}</span>
                    <span class="sp-row-meta">
                      {np?.file ? t('speaker.devices.showing', { file: np.file }) : d.name && d.name !== d.device_id ? d.device_id : ''}
                    </span>
                  </span>
                  <OnlineBadge online={on} />
                </button>
              </li>
            );
          })}
        </ul>
      </div>
    </section>
  );
}
