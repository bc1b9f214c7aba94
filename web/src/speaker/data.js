// What the speaker panel reads over REST (docs/openapi.json), frugally: the server allows a user
// RATE_LIMIT_PER_MINUTE requests (100 by default), and a panel left open on a tablet all day must
// stay well inside it. Lists are read in pages of 200; a 429 is waited out once (Retry-After).
import { api } from '../common/api.js';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function withRetry(f) {
  try {
    return await f();
  } catch (e) {
    if (e.status !== 429) throw e;
    await sleep(Math.min(e.retryAfter ?? 2, 30) * 1000);
    return f();
  }
}

export const get = (path, opts) => withRetry(() => api('GET', path, undefined, opts));

// Every item of a paged list (items + next_cursor), up to `max`; `more` says items were left.
export async function getAll(path, { max = 5000, signal } = {}) {
  const items = [];
  let cursor = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const r = await get(`${path}${sep}limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { signal });
    items.push(...(r?.items ?? []));
    cursor = r?.next_cursor ?? null;
  } while (cursor && items.length < max);
  return { items, more: !!cursor };
}

export const devicePath = (id) => `/api/v1/devices/${encodeURIComponent(id)}`;
export const contentUrl = (mediaId) => `/api/v1/media/${encodeURIComponent(mediaId)}/content`;

// GET /api/v1/media/{id} (kind, page_count), remembered per page load: a device's file list does not
// carry page_count, so the panel asks only for the files it shows pages of.
const media = new Map();
export function mediaInfo(id) {
  if (!id) return Promise.resolve(null);
  let p = media.get(id);
  if (!p) {
    p = get(`/api/v1/media/${encodeURIComponent(id)}`).catch((e) => {
      media.delete(id);
      throw e;
    });
    media.set(id, p);
  }
  return p;
}
// Forget what is known of a media item (its processing may have finished: page count).
export function forgetMedia(id) {
  media.delete(id);
}

// The now-playing type a file plays as (PROTOCOL.md): the stored kind, zip → folder, a document
// (DOCX, ODT, RTF) → pdf (its pages, rendered by the server).
export function playType(kind) {
  return kind === 'zip' ? 'folder' : kind === 'document' ? 'pdf' : kind;
}
export const pagedTypes = new Set(['pdf', 'pptx', 'folder']);
export const isPaged = (kind) => pagedTypes.has(playType(kind));
