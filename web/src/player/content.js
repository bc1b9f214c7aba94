// What a file is and where the player fetches it (PROTOCOL.md, "HTTP routes players use"). No DOM:
// the protocol tests import this module in Node.

const IMAGE = /\.(png|jpe?g|gif|webp|avif|bmp|svg)$/i;
const AUDIO = /\.(mp3|m4a|aac|ogg|oga|opus|wav|flac)$/i;

// PROTOCOL.md's type inference, for names that come without a type (the placeholder, preview mode).
export function inferType(name) {
  const n = String(name ?? '');
  if (!n.includes('.')) return 'folder';
  if (/\.pdf$/i.test(n)) return 'pdf';
  if (/\.pptx$/i.test(n)) return 'pptx';
  if (IMAGE.test(n)) return 'image';
  if (/\.zip$/i.test(n)) return 'folder';
  return 'video';
}

// Audio plays through the video element (the server calls it "video" too); the view shows a card
// instead of a black picture. Decided by the name here, and by the absence of a picture later.
export const isAudioName = (name) => AUDIO.test(String(name ?? ''));

export const isPaged = (type) => type === 'pdf' || type === 'pptx' || type === 'folder';

const KNOWN = new Set(['video', 'image', 'pdf', 'pptx', 'folder', 'audio']);
export const knownType = (type) => KNOWN.has(type);

// URLs for one device; `token` (the device credential, when the server requires it) rides as ?token=
// because a <video> element cannot send headers.
export function urls(deviceId, token = '') {
  const dev = encodeURIComponent(deviceId);
  const q = token ? `?token=${encodeURIComponent(token)}` : '';
  return {
    file: (name) => `/api/files/resolve/${dev}/${encodeURIComponent(name)}${q}`,
    page: (type, name, n) =>
      type === 'folder'
        ? `/api/devices/${dev}/folder/${encodeURIComponent(name)}/image/${n}${q}`
        : `/api/devices/${dev}/converted/${encodeURIComponent(name)}/${type === 'pptx' ? 'slide' : 'page'}/${n}${q}`,
    // What the service worker keeps for a paged document: every page under this prefix.
    pagePrefix: (type, name) =>
      type === 'folder'
        ? `/api/devices/${dev}/folder/${encodeURIComponent(name)}/`
        : `/api/devices/${dev}/converted/${encodeURIComponent(name)}/`,
    placeholder: () => `/api/devices/${dev}/placeholder${q}`,
  };
}
