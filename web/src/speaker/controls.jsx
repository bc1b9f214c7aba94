// The big playback buttons, the page controls and the acknowledgement line beside each group.
// Every press shows "sending…" at once and the server's ack (done, or refused with its reason)
// when it comes, in an aria-live region right under the buttons pressed.
import { useEffect, useState } from 'preact/hooks';
import { t } from '../common/i18n.js';
import { Icon } from './icons.jsx';

// An ack line: {group, label, status: pending|ok|error, reason, ms}. The region exists before any
// press (screen readers announce changes only in regions already on the page).
export function AckLine({ ack, group, testid }) {
  const mine = ack && ack.group === group ? ack : null;
  let text = '';
  if (mine?.status === 'pending') text = t('speaker.ack.pending', { action: mine.label });
  else if (mine?.status === 'ok') text = t('speaker.ack.done', { action: mine.label, ms: mine.ms });
  else if (mine?.status === 'error') text = t('speaker.ack.refused', { action: mine.label, reason: mine.reason });
  return (
    <p class={`sp-ack ${mine ? mine.status : ''}`} role="status" aria-live="polite" aria-atomic="true" data-testid={testid} data-status={mine?.status ?? ''}>
      {mine && mine.status !== 'pending' && <Icon name={mine.status === 'ok' ? 'check' : 'cross'} size={18} />}
      <span>{text}</span>
    </p>
  );
}

function Big({ icon, label, onClick, testid, primary, active, disabled, wide, hint, iconEnd }) {
  return (
    <button
      type="button"
      class={`sp-big${primary ? ' primary' : ''}${active ? ' active' : ''}${wide ? ' wide' : ''}${iconEnd ? ' icon-end' : ''}`}
      onClick={onClick}
      disabled={disabled}
      data-testid={testid}
      title={hint}
    >
      <Icon name={icon} size={wide ? 26 : 28} />
      <span class="sp-big-label">{label}</span>
    </button>
  );
}

// state: the device's now-playing {type, file, state, page?}; selected: the file chosen in the list.
export function Transport({ state, selected, send, ack, onPickFile }) {
  const s = state?.state ?? 'idle';
  return (
    <div class="sp-group" role="group" aria-labelledby="transport-h" id="controls">
      <h3 id="transport-h" class="visually-hidden">{t('speaker.controls.title')}</h3>
      <Big
        wide
        primary={!!selected}
        icon="play"
        testid="btn-play"
        label={selected ? t('speaker.action.play_file', { file: selected.name }) : t('speaker.controls.play_pick')}
        onClick={() =>
          selected ? send('transport', 'control/play', { file: selected.name }, t('speaker.action.play_file', { file: selected.name })) : onPickFile()
        }
      />
      <div class="sp-transport">
        <Big icon="pause" testid="btn-pause" label={t('speaker.controls.pause')} active={s === 'paused'} onClick={() => send('transport', 'control/pause', {}, t('speaker.controls.pause'))} />
        <Big icon="resume" testid="btn-resume" label={t('speaker.controls.resume')} onClick={() => send('transport', 'control/play', {}, t('speaker.controls.resume'))} />
        <Big icon="restart" testid="btn-restart" label={t('speaker.controls.restart')} onClick={() => send('transport', 'control/restart', {}, t('speaker.controls.restart'))} />
        <Big icon="stop" testid="btn-stop" label={t('speaker.controls.stop')} onClick={() => send('transport', 'control/stop', {}, t('speaker.controls.stop'))} />
      </div>
      <AckLine ack={ack} group="transport" testid="ack-transport" />
      <button
        type="button"
        class="sp-schedule"
        data-testid="btn-resume-schedule"
        title={t('speaker.controls.resume_schedule_hint')}
        onClick={() => send('transport', 'control/resumeSchedule', {}, t('speaker.controls.resume_schedule'))}
      >
        <Icon name="restart" size={18} />
        <span>{t('speaker.controls.resume_schedule')}</span>
      </button>
    </div>
  );
}

// Previous / next page and a jump to page n. They stay pressable whatever plays: the server says why
// a page change does not apply (an image, nothing playing), and the ack line shows it.
export function Pages({ state, pageCount, paged, send, refuse, ack }) {
  const page = state?.page ?? null;
  const [value, setValue] = useState(page ? String(page) : '');
  useEffect(() => setValue(page ? String(page) : ''), [page, state?.file]);
  const jump = (e) => {
    e.preventDefault();
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) return refuse('pages', t('speaker.pages.go_label', { page: value || '?' }), t('speaker.pages.bad_number'));
    if (pageCount && n > pageCount) return refuse('pages', t('speaker.pages.go_label', { page: n }), t('speaker.pages.beyond', { count: pageCount }));
    send('pages', 'control/page', { page: n }, t('speaker.pages.go_label', { page: n }));
  };
  return (
    <div class={`sp-group sp-pages${paged ? '' : ' dim'}`} role="group" aria-labelledby="pages-h">
      <h3 id="pages-h" class="visually-hidden">{t('speaker.pages.title')}</h3>
      <div class="sp-pagerow">
        <Big icon="prev" testid="btn-prev" label={t('speaker.pages.prev')} onClick={() => send('pages', 'control/pdfPrev', {}, t('speaker.pages.prev'))} />
        <form class="sp-jump" onSubmit={jump}>
          <label for="sp-page" class="sp-jump-label">
            {pageCount ? t('speaker.pages.page_of', { count: pageCount }) : t('speaker.pages.page')}
          </label>
          <div class="sp-jump-row">
            <input
              id="sp-page"
              type="number"
              inputMode="numeric"
              min="1"
              max={pageCount || undefined}
              value={value}
              onInput={(e) => setValue(e.currentTarget.value)}
              data-testid="page-input"
            />
            <button type="submit" class="sp-go" data-testid="btn-go">{t('speaker.pages.go')}</button>
          </div>
        </form>
        <Big icon="next" iconEnd testid="btn-next" label={t('speaker.pages.next')} onClick={() => send('pages', 'control/pdfNext', {}, t('speaker.pages.next'))} />
      </div>
      {!paged && <p class="hint sp-hint">{t('speaker.pages.hint')}</p>}
      <AckLine ack={ack} group="pages" testid="ack-pages" />
    </div>
  );
}
