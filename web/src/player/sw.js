// The player's service worker, served at the fixed path /player-sw.js and registered with scope
// /player (which covers /player and /player-videojs.html, and no other page). It serves what the
// player pages fetch, so a screen keeps showing its placeholder and current content while the
// server is unreachable, and starts again from its cache after a reboot:
//
// - the player pages: from the network, else (offline, or a proxy's 5xx) the cached copy;
// - the player's assets (/assets/…, content-hashed) and the icon: precached at install, cache-first;
// - content bytes (/api/files/resolve/…, /content/…, page and folder images): cache-first, with
//   single-range requests answered from the cached bytes (206), revalidated in the background with
//   the ETag (at most every few minutes per file); not cached yet → the network;
// - the device's placeholder answer (/api/devices/{id}/placeholder): network first, else cached.
//
// The page says what to keep ({type:'keep', device, urls, prefixes}): the placeholder, the current
// file (downloaded whole in the background, since a <video> only ever asks for ranges) or the current
// document's pages; everything else of that device is dropped, so the cache holds what the screen
// may need, not its history. Never cached: /api/v1 (the REST API) and /socket.io.
//
// build.mjs replaces __VC_SW_VERSION__ (a hash of this worker and the shell) and __VC_SW_SHELL__ (the
// pages and their assets), so a new player build installs a new worker, which drops the old shell.
/* global __VC_SW_VERSION__, __VC_SW_SHELL__, __VC_SW_PAGES__ */
const VERSION = __VC_SW_VERSION__;
const SHELL = __VC_SW_SHELL__;
const PAGES = new Set(__VC_SW_PAGES__);
const SHELL_CACHE = `vc-player-shell-${VERSION}`;
const CONTENT_CACHE = 'vc-player-content';
const NETWORK_TIMEOUT_MS = 5000;
const REVALIDATE_EVERY_MS = 5 * 60 * 1000;

const origin = self.location.origin;
const checked = new Map(); // cache key → when it was last revalidated
const inflight = new Set(); // cache keys being downloaded

self.addEventListener('install', (e) => {
  e.waitUntil(
    caches
      .open(SHELL_CACHE)
      .then((c) => c.addAll(SHELL.map((p) => new Request(p, { cache: 'reload' }))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (e) => {
  e.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((n) => n.startsWith('vc-player-shell-') && n !== SHELL_CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

// What a path is: 'page', 'asset', 'meta' (the placeholder answer), 'bytes' (content), or null
// (not ours: the network, untouched).
function classify(p) {
  if (p.startsWith('/api/v1/') || p.startsWith('/socket.io')) return null;
  if (PAGES.has(p)) return 'page';
  if (p.startsWith('/assets/') || p === '/favicon.svg') return 'asset';
  if (/^\/api\/devices\/[^/]+\/placeholder$/.test(p)) return 'meta';
  if (/^\/(api\/files\/resolve|content)\/[^/]+\/[^/]+$/.test(p)) return 'bytes';
  if (/^\/api\/devices\/[^/]+\/(converted\/[^/]+\/(page|slide)|folder\/[^/]+\/image)\/\d+$/.test(p)) return 'bytes';
  return null;
}

// One key per thing, whatever the query (?token=, ?t=): /content/… is the resolver's old name.
function keyOf(url) {
  const p = url.pathname.startsWith('/content/') ? '/api/files/resolve/' + url.pathname.slice('/content/'.length) : url.pathname;
  return origin + p;
}

// The (encoded) device id a content key belongs to.
function deviceOf(key) {
  const m = /^\/api\/(?:files\/resolve|devices)\/([^/]+)\//.exec(key.slice(origin.length));
  return m ? m[1] : null;
}

self.addEventListener('fetch', (e) => {
  const req = e.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== origin) return;
  const kind = classify(url.pathname);
  if (kind === 'page') e.respondWith(page(req, url));
  else if (kind === 'asset') e.respondWith(asset(req, url));
  else if (kind === 'meta') e.respondWith(networkFirst(req, keyOf(url)));
  else if (kind === 'bytes') e.respondWith(bytes(e, req, url));
});

async function fetchWithTimeout(req, ms = NETWORK_TIMEOUT_MS) {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), ms);
  try {
    return await fetch(req, { signal: ctl.signal });
  } finally {
    clearTimeout(timer);
  }
}

async function page(req, url) {
  const cache = await caches.open(SHELL_CACHE);
  try {
    const res = await fetchWithTimeout(req);
    if (res.ok) {
      await cache.put(url.pathname, res.clone());
      return res;
    }
    if (res.status < 500) return res;
  } catch {}
  return (await cache.match(url.pathname)) ?? (await caches.match(url.pathname)) ?? Response.error();
}

async function asset(req, url) {
  const hit = await caches.match(url.pathname);
  if (hit) return hit;
  const res = await fetch(req);
  if (res.ok) {
    const cache = await caches.open(SHELL_CACHE);
    await cache.put(url.pathname, res.clone());
  }
  return res;
}

async function networkFirst(req, key) {
  const cache = await caches.open(CONTENT_CACHE);
  try {
    const res = await fetchWithTimeout(req);
    if (res.ok) {
      await cache.put(key, res.clone());
      return res;
    }
    if (res.status < 500) return res;
  } catch {}
  return (await cache.match(key)) ?? Response.error();
}

async function bytes(e, req, url) {
  const key = keyOf(url);
  const cache = await caches.open(CONTENT_CACHE);
  const hit = await cache.match(key);
  if (hit) {
    e.waitUntil(revalidate(cache, key, url.href, hit));
    return ranged(req, hit);
  }
  const res = await fetch(req);
  // A whole answer (images, pages) is kept as it passes; ranges (video) come from keep().
  if (res.status === 200 && !req.headers.has('range')) e.waitUntil(cache.put(key, res.clone()).catch(() => {}));
  return res;
}

// A single "bytes=a-b" / "bytes=a-" / "bytes=-n" range of a cached answer, as the server would.
async function ranged(req, res) {
  const range = req.headers.get('range');
  if (!range) return res;
  const blob = await res.blob();
  const size = blob.size;
  const m = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
  let start = -1;
  let end = size - 1;
  if (m && m[1] !== '') {
    start = Number(m[1]);
    if (m[2] !== '') end = Math.min(Number(m[2]), size - 1);
  } else if (m && m[2] !== '') {
    start = Math.max(0, size - Number(m[2]));
  }
  if (start < 0 || start >= size || start > end) {
    return new Response(null, { status: 416, headers: { 'Content-Range': `bytes */${size}` } });
  }
  const type = res.headers.get('content-type') ?? 'application/octet-stream';
  const headers = {
    'Content-Type': type,
    'Content-Range': `bytes ${start}-${end}/${size}`,
    'Content-Length': String(end - start + 1),
    'Accept-Ranges': 'bytes',
  };
  const etag = res.headers.get('etag');
  if (etag) headers.ETag = etag;
  return new Response(blob.slice(start, end + 1, type), { status: 206, headers });
}

// Same ETag → keep; new bytes → replace; gone (404) → drop. At most every few minutes per file.
async function revalidate(cache, key, href, cached) {
  const now = Date.now();
  if (inflight.has(key) || now - (checked.get(key) ?? 0) < REVALIDATE_EVERY_MS) return;
  checked.set(key, now);
  inflight.add(key);
  try {
    const etag = cached.headers.get('etag');
    const res = await fetch(href, { cache: 'no-store', headers: etag ? { 'If-None-Match': etag } : {} });
    if (res.status === 200) await cache.put(key, res);
    else if (res.status === 404) await cache.delete(key);
  } catch {
    checked.delete(key); // offline: try again next time
  } finally {
    inflight.delete(key);
  }
}

async function download(cache, key, href) {
  if (inflight.has(key)) return;
  inflight.add(key);
  try {
    const res = await fetch(href, { cache: 'no-store' });
    if (res.status === 200) {
      await cache.put(key, res);
      checked.set(key, Date.now());
    }
  } catch {
  } finally {
    inflight.delete(key);
  }
}

self.addEventListener('message', (e) => {
  const m = e.data;
  if (m && m.type === 'keep' && Array.isArray(m.urls)) e.waitUntil(keep(m));
});

async function keep({ device, urls, prefixes = [] }) {
  const cache = await caches.open(CONTENT_CACHE);
  const wanted = urls.map((u) => new URL(u, origin));
  const keys = new Set(wanted.map(keyOf));
  const dev = encodeURIComponent(device ?? '');
  for (const req of await cache.keys()) {
    if (deviceOf(req.url) !== dev) continue;
    if (keys.has(req.url) || prefixes.some((p) => req.url.startsWith(origin + p))) continue;
    await cache.delete(req);
  }
  for (const url of wanted) {
    if (classify(url.pathname) !== 'bytes') continue; // the placeholder answer is kept as it passes
    const key = keyOf(url);
    const hit = await cache.match(key);
    if (hit) await revalidate(cache, key, url.href, hit);
    else await download(cache, key, url.href);
  }
}
