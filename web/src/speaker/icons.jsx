// Inline SVG icons for the speaker panel: no font or emoji the device may lack, they follow the text
// colour (currentColor) in both themes, and they are decorative (aria-hidden): every button that
// carries one also has a text label.
const paths = {
  play: <path d="M8 5.5v13l10.5-6.5z" fill="currentColor" stroke="none" />,
  pause: (
    <g fill="currentColor" stroke="none">
      <rect x="6.5" y="5" width="4" height="14" rx="1" />
      <rect x="13.5" y="5" width="4" height="14" rx="1" />
    </g>
  ),
  resume: (
    <g fill="currentColor" stroke="none">
      <rect x="5" y="5" width="3" height="14" rx="1" />
      <path d="M10.5 5.5v13l9-6.5z" />
    </g>
  ),
  stop: <rect x="6" y="6" width="12" height="12" rx="1.5" fill="currentColor" stroke="none" />,
  restart: (
    <g>
      <path d="M4.5 12a7.5 7.5 0 1 0 2.2-5.3" />
      <path d="M4.5 4v4.5H9" />
    </g>
  ),
  prev: <path d="M15 5l-7 7 7 7" />,
  next: <path d="M9 5l7 7-7 7" />,
  screen: (
    <g>
      <rect x="3" y="4.5" width="18" height="12" rx="1.5" />
      <path d="M9 20h6M12 16.5V20" />
    </g>
  ),
  image: (
    <g>
      <rect x="3.5" y="4.5" width="17" height="15" rx="2" />
      <circle cx="9" cy="9.5" r="1.6" />
      <path d="M4 17.5l5-5 4 4 2.5-2.5 4.5 4.5" />
    </g>
  ),
  video: (
    <g>
      <rect x="3" y="6" width="13" height="12" rx="2" />
      <path d="M16 10.5l5-3v9l-5-3z" />
    </g>
  ),
  audio: (
    <g>
      <path d="M9 18V6l10-2v12" />
      <circle cx="6.5" cy="18" r="2.5" />
      <circle cx="16.5" cy="16" r="2.5" />
    </g>
  ),
  pdf: (
    <g>
      <path d="M6 3h8l4 4v14H6z" />
      <path d="M14 3v4h4M9 12h6M9 15h6M9 18h4" />
    </g>
  ),
  pptx: (
    <g>
      <rect x="3" y="4" width="18" height="12" rx="1.5" />
      <path d="M12 16v4M8 20h8M7 12l3-3 2.5 2 4-4" />
    </g>
  ),
  folder: <path d="M3 7a1.5 1.5 0 0 1 1.5-1.5h4.5l2 2h8.5A1.5 1.5 0 0 1 21 9v9a1.5 1.5 0 0 1-1.5 1.5h-15A1.5 1.5 0 0 1 3 18z" />,
  file: (
    <g>
      <path d="M6 3h8l4 4v14H6z" />
      <path d="M14 3v4h4" />
    </g>
  ),
  menu: <path d="M4 7h16M4 12h16M4 17h16" />,
  check: <path d="M5 12.5l4.5 4.5L19 7.5" />,
  cross: <path d="M6 6l12 12M18 6L6 18" />,
  chevron: <path d="M6 9l6 6 6-6" />,
  search: (
    <g>
      <circle cx="10.5" cy="10.5" r="6" />
      <path d="M15 15l5 5" />
    </g>
  ),
};

export function Icon({ name, size = 24, class: cls = '' }) {
  return (
    <svg
      class={`icon ${cls}`}
      width={size}
      height={size}
      viewBox="0 0 24 24"
      fill="none"
      stroke="currentColor"
      stroke-width="1.8"
      stroke-linecap="round"
      stroke-linejoin="round"
      aria-hidden="true"
      focusable="false"
    >
      {paths[name] ?? paths.file}
    </svg>
  );
}

// The media kind (server: video, audio, image, pdf, pptx, zip) or the now-playing type (video, image,
// pdf, pptx, folder) → icon name.
export function kindIcon(kind) {
  if (kind === 'zip' || kind === 'folder') return 'folder';
  return kind in paths ? kind : 'file';
}
