// The chosen device's files, without its placeholder (idle content is not something to present):
// kind icon, name, page count (when known), what plays now. Tapping a file selects it; the selected
// row offers its own Play button (on a phone the big buttons may be scrolled away), whose ack shows
// in the row.
import { useState } from 'preact/hooks';
import { formatBytes, plural, t } from '../common/i18n.js';
import { AckLine } from './controls.jsx';
import { isPaged } from './data.js';
import { Icon, kindIcon } from './icons.jsx';

const SHOWN = 300;

export function FileList({ deviceName, files, loading, error, more, selected, onSelect, playing, pageCounts, canControl, onPlay, ack }) {
  const [filter, setFilter] = useState('');
  const q = filter.trim().toLocaleLowerCase();
  const matching = q ? files.filter((f) => f.name.toLocaleLowerCase().includes(q)) : files;
  const shown = matching.slice(0, SHOWN);
  const active = playing?.file && playing.state !== 'stopped' && playing.state !== 'idle' ? playing.file : null;
  return (
    <section class="sp-files" aria-labelledby="files-h">
      <div class="sp-section-head">
        <h2 id="files-h">{deviceName ? t('speaker.files.title_on', { device: deviceName }) : t('speaker.files.title')}</h2>
        {files.length > 0 && <span class="muted sp-count">{plural('speaker.files.count', files.length)}</span>}
      </div>
      {files.length > 8 && (
        <div class="sp-filter">
          <Icon name="search" size={18} />
          <input
            type="search"
            value={filter}
            onInput={(e) => setFilter(e.currentTarget.value)}
            placeholder={t('speaker.files.filter')}
            aria-label={t('speaker.files.filter')}
            data-testid="file-filter"
          />
        </div>
      )}
      {loading && files.length === 0 && <p class="muted sp-pad">{t('common.loading')}</p>}
      {error && <p class="alert error">{error}</p>}
      {!loading && !error && files.length === 0 && <p class="empty">{t('speaker.files.none')}</p>}
      {q && matching.length === 0 && <p class="empty">{t('speaker.files.no_match')}</p>}
      <ul class="sp-list" data-testid="file-list">
        {shown.map((f) => {
          const isSel = selected === f.name;
          const pages = f.page_count ?? pageCounts[f.id];
          const row = (
            <>
              <span class={`sp-kind kind-${f.kind}`}>
                <Icon name={kindIcon(f.kind)} />
              </span>
              <span class="sp-row-main">
                <span class="sp-row-name">{f.name}</span>
                <span class="sp-row-meta">
                  {t(`speaker.kind.${kindKey(f.kind)}`)}
                  {isPaged(f.kind) && pages ? ` · ${plural('speaker.files.pages', pages)}` : ''}
                  {` · ${formatBytes(f.size)}`}
                  {f.status && f.status !== 'ready' ? ` · ${t('speaker.files.processing')}` : ''}
                </span>
              </span>
              {active === f.name && (
                <span class={`badge ${playing.state === 'paused' ? 'warn' : 'ok'}`} data-testid="file-now">
                  {t(playing.state === 'paused' ? 'speaker.state.paused' : 'speaker.files.now')}
                </span>
              )}
            </>
          );
          return (
            <li key={f.name} class={isSel ? 'selected' : ''}>
              {canControl ? (
                <button type="button" class="sp-row sp-file" aria-pressed={isSel} onClick={() => onSelect(isSel ? null : f.name)} data-testid="file" data-name={f.name}>
                  {row}
                </button>
              ) : (
                <div class="sp-row sp-file" data-testid="file" data-name={f.name}>
                  {row}
                </div>
              )}
              {isSel && canControl && (
                <div class="sp-rowplay">
                  <button type="button" class="primary sp-rowplay-btn" onClick={() => onPlay(f)} data-testid="row-play">
                    <Icon name="play" size={20} />
                    {t('speaker.files.play_here')}
                  </button>
                  <AckLine ack={ack} group="file" testid="ack-file" />
                </div>
              )}
            </li>
          );
        })}
      </ul>
      {(matching.length > SHOWN || more) && <p class="hint sp-pad">{t('speaker.files.truncated', { shown: shown.length })}</p>}
    </section>
  );
}

const knownKinds = new Set(['video', 'audio', 'image', 'pdf', 'pptx', 'document', 'zip']);
function kindKey(kind) {
  return knownKinds.has(kind) ? kind : 'other';
}
