// The live preview: what the device shows now, from its now-playing state (preview/refresh events
// and acks, whichever panel sent the command). An image shows itself; a video shows its frames
// (playing muted while the device plays); PDF/PPTX/folders show their page image once the content
// pipeline renders pages, else a card with the page number; stopped/idle shows the placeholder.
// Swipe left/right (touch, pen or mouse) or the arrow keys on the focused preview change the page.
import { useEffect, useRef, useState } from 'preact/hooks';
import { t } from '../common/i18n.js';
import { contentUrl, playType } from './data.js';
import { Icon, kindIcon } from './icons.jsx';

const stateKeys = { playing: 'speaker.state.playing', paused: 'speaker.state.paused', stopped: 'speaker.state.stopped', idle: 'speaker.state.idle' };

function VideoFrame({ src, playing, label }) {
  const ref = useRef(null);
  useEffect(() => {
    const v = ref.current;
    if (!v) return;
    if (playing) v.play().catch(() => {});
    else v.pause();
  }, [playing, src]);
  // #t= asks for a frame a little in, so a paused or not yet playing preview is not a black first frame.
  return <video ref={ref} class="sp-media-el" src={`${src}#t=0.5`} muted playsInline loop preload="metadata" aria-label={label} data-testid="preview-video" />;
}

// A page image of a paged file, from the player routes (PROTOCOL.md); they answer only once the
// content pipeline has rendered pages, so the card is shown until the image loads.
function pageImageUrl(deviceId, type, file, page) {
  const d = encodeURIComponent(deviceId), f = encodeURIComponent(file);
  if (type === 'folder') return `/api/devices/${d}/folder/${f}/image/${page}`;
  return `/api/devices/${d}/converted/${f}/${type === 'pptx' ? 'slide' : 'page'}/${page}`;
}

function Card({ icon, title, sub }) {
  return (
    <div class="sp-card" data-testid="preview-card">
      <Icon name={icon} size={56} />
      <div class="sp-card-title">{title}</div>
      {sub && <div class="sp-card-sub">{sub}</div>}
    </div>
  );
}

function PagedView({ deviceId, type, file, page, pageCount }) {
  const [failed, setFailed] = useState(false);
  useEffect(() => setFailed(false), [file, page]);
  const card = <Card icon={kindIcon(type)} title={file} sub={page ? t('speaker.preview.page', { page }) : null} />;
  // Only when the pipeline has counted pages is there a page image to ask for.
  if (!pageCount || failed) return card;
  return (
    <img
      class="sp-media-el"
      src={pageImageUrl(deviceId, type, file, page ?? 1)}
      alt={t('speaker.preview.page_alt', { file, page: page ?? 1 })}
      draggable={false}
      onError={() => setFailed(true)}
      data-testid="preview-page"
    />
  );
}

export function Preview({ deviceId, state, file, filesKnown, pageCount, placeholder, onPage, canControl }) {
  const start = useRef(null);
  const s = state?.state ?? 'idle';
  const type = state?.type ?? (file ? playType(file.kind) : null);
  const showing = state?.file ? 'file' : placeholder ? 'placeholder' : 'nothing';

  let body;
  if (showing === 'file') {
    const alt = t('speaker.preview.alt', { file: state.file });
    if (file && type === 'image') body = <img class="sp-media-el" src={contentUrl(file.id)} alt={alt} draggable={false} data-testid="preview-img" data-media-id={file.id} />;
    else if (file && type === 'video') body = <VideoFrame src={contentUrl(file.id)} playing={s === 'playing'} label={alt} />;
    else if (!file && filesKnown) body = <Card icon={kindIcon(type)} title={state.file} sub={t('speaker.preview.gone')} />;
    else if (type === 'pdf' || type === 'pptx' || type === 'folder')
      body = <PagedView deviceId={deviceId} type={type} file={state.file} page={state.page} pageCount={pageCount} />;
    else body = <Card icon={kindIcon(type)} title={state.file} sub={!file && filesKnown ? t('speaker.preview.gone') : null} />;
  } else if (showing === 'placeholder') {
    const alt = t('speaker.preview.placeholder_alt');
    if (placeholder.kind === 'image') body = <img class="sp-media-el" src={contentUrl(placeholder.id)} alt={alt} draggable={false} data-testid="preview-placeholder" />;
    else if (placeholder.kind === 'video') body = <VideoFrame src={contentUrl(placeholder.id)} playing={false} label={alt} />;
    else body = <Card icon={kindIcon(placeholder.kind)} title={t('speaker.preview.placeholder')} />;
  } else {
    body = <Card icon="screen" title={t('speaker.preview.nothing')} sub={t('speaker.preview.nothing_hint')} />;
  }

  // Swipe: a mostly horizontal move of at least 40 px; left → next page, right → previous.
  const down = (e) => {
    if (e.pointerType === 'mouse' && e.button !== 0) return;
    start.current = { x: e.clientX, y: e.clientY, id: e.pointerId };
  };
  const up = (e) => {
    const st = start.current;
    start.current = null;
    if (!st || st.id !== e.pointerId || !canControl) return;
    const dx = e.clientX - st.x, dy = e.clientY - st.y;
    if (Math.abs(dx) >= 40 && Math.abs(dx) > 1.5 * Math.abs(dy)) onPage(dx < 0 ? 'next' : 'prev', 'swipe');
  };
  const key = (e) => {
    if (!canControl) return;
    if (e.key === 'ArrowRight') {
      e.preventDefault();
      onPage('next', 'key');
    } else if (e.key === 'ArrowLeft') {
      e.preventDefault();
      onPage('prev', 'key');
    }
  };

  const pageText = state?.file && state.page ? (pageCount ? t('speaker.preview.page_of', { page: state.page, count: pageCount }) : t('speaker.preview.page', { page: state.page })) : '';
  return (
    <figure class="sp-preview-wrap">
      <div
        class={`sp-preview state-${s}`}
        tabIndex={0}
        role="group"
        aria-roledescription={t('speaker.preview.role')}
        aria-label={canControl ? t('speaker.preview.label_control') : t('speaker.preview.label')}
        onPointerDown={down}
        onPointerUp={up}
        onPointerCancel={() => (start.current = null)}
        onKeyDown={key}
        data-testid="preview"
        data-showing={showing}
      >
        {body}
        <div class="sp-overlay">
          <span class={`sp-state ${s}`} data-testid="now-state" data-state={s}>
            {t(stateKeys[s] ?? 'speaker.state.idle')}
          </span>
          {pageText && (
            <span class="sp-pagebadge" data-testid="now-page">
              {pageText}
            </span>
          )}
          {showing === 'placeholder' && <span class="sp-pagebadge">{t('speaker.preview.placeholder')}</span>}
        </div>
      </div>
      <figcaption class="sp-caption" data-testid="now-file">
        {state?.file ? (
          <>
            <Icon name={kindIcon(type)} size={18} />
            <span class="sp-caption-name">{state.file}</span>
          </>
        ) : (
          <span class="muted">{showing === 'placeholder' ? t('speaker.preview.on_placeholder') : t('speaker.preview.nothing')}</span>
        )}
      </figcaption>
    </figure>
  );
}
