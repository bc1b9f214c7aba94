// The pages' only way to the server: the documented REST API (/api/v1, docs/openapi.json).
//
// Session (see apps/server/browser_session.hpp): signing in with {"session":"cookie"} puts the
// refresh token in an HttpOnly cookie the page cannot read; the access token lives only in this
// module's memory and is renewed shortly before it expires (silent refresh). Refreshes are
// serialised across tabs with the Web Locks API, because a refresh token is single-use and two tabs
// presenting the same one would end the session. Every request carries X-Requested-With, which the
// server requires wherever a cookie is relied on (CSRF).

const CSRF = { 'X-Requested-With': 'VideoControl' };

let access = null; // {token, expiresAt, user}
let refreshTimer = 0;
let inflight = null;
const sessionListeners = new Set();

export class ApiError extends Error {
  constructor(status, code, message, retryAfter) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

// The organisation a superadmin acts in (X-Organization-Id); per tab.
export function actingOrganization() {
  try {
    return sessionStorage.getItem('vc.org') || '';
  } catch {
    return '';
  }
}
export function setActingOrganization(id) {
  try {
    if (id) sessionStorage.setItem('vc.org', id);
    else sessionStorage.removeItem('vc.org');
  } catch {}
}

export function currentUser() {
  return access?.user ?? null;
}
export function accessToken() {
  return access?.token ?? null;
}
export function onSession(f) {
  sessionListeners.add(f);
  return () => sessionListeners.delete(f);
}

async function errorOf(res) {
  let code = '', message = '';
  try {
    const body = await res.json();
    code = body?.error?.code ?? '';
    message = body?.error?.message ?? '';
  } catch {}
  const ra = Number(res.headers.get('Retry-After'));
  return new ApiError(res.status, code, message, Number.isFinite(ra) && ra > 0 ? ra : undefined);
}

function accept(body) {
  access = { token: body.access_token, expiresAt: Date.now() + body.expires_in * 1000, user: body.user };
  clearTimeout(refreshTimer);
  // Renew at 80% of the lifetime (at least 5 s ahead).
  const delay = Math.max(5000, body.expires_in * 1000 * 0.8);
  refreshTimer = setTimeout(() => refresh().catch(() => {}), Math.min(delay, 2 ** 31 - 1));
  for (const f of sessionListeners) f(access.user);
  return access.user;
}

function withLock(fn) {
  if (navigator.locks?.request) return navigator.locks.request('vc-session-refresh', fn);
  return fn();
}

// A new access token from the refresh cookie. Resolves to the user, or rejects (signed out).
export function refresh() {
  if (inflight) return inflight;
  inflight = withLock(async () => {
    const res = await fetch('/api/v1/auth/refresh', { method: 'POST', headers: CSRF, credentials: 'same-origin' });
    if (!res.ok) {
      access = null;
      throw await errorOf(res);
    }
    return accept(await res.json());
  }).finally(() => {
    inflight = null;
  });
  return inflight;
}

export async function login(username, password) {
  const res = await fetch('/api/v1/auth/login', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...CSRF },
    credentials: 'same-origin',
    body: JSON.stringify({ username, password, session: 'cookie' }),
  });
  if (!res.ok) throw await errorOf(res);
  return accept(await res.json());
}

export async function logout(everywhere = false) {
  try {
    await api('POST', everywhere ? '/api/v1/auth/logout-all' : '/api/v1/auth/logout');
  } finally {
    access = null;
    clearTimeout(refreshTimer);
    setActingOrganization('');
  }
}

// Signs in again after a password change (the server ends every session of the user then).
export async function changePassword(current, next) {
  await api('POST', '/api/v1/auth/password', { current_password: current, new_password: next });
  return login(access?.user?.username ?? currentUser()?.username, next);
}

// The signed-in user, refreshing from the cookie when the page has just loaded; null when signed out.
export async function session() {
  if (access && access.expiresAt > Date.now() + 5000) return access.user;
  // No hint cookie (vc_session=1, set with the refresh cookie): signed out, nothing to ask.
  if (!access && !/(?:^|;\s*)vc_session=1(?:;|$)/.test(document.cookie)) return null;
  try {
    return await refresh();
  } catch {
    return null;
  }
}

function headers(extra) {
  const h = { ...CSRF, ...extra };
  if (access) h.Authorization = `Bearer ${access.token}`;
  const org = actingOrganization();
  if (org) h['X-Organization-Id'] = org;
  return h;
}

// api('GET', '/api/v1/devices') → parsed JSON (null for 204). Throws ApiError. One retry after a
// silent refresh when the access token was refused.
export async function api(method, path, body, { signal } = {}) {
  if (!access || access.expiresAt < Date.now() + 2000) await refresh().catch(() => {});
  const send = () =>
    fetch(path, {
      method,
      signal,
      credentials: 'same-origin',
      headers: headers(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
  let res = await send();
  if (res.status === 401) {
    try {
      await refresh();
      res = await send();
    } catch {}
  }
  if (!res.ok) {
    const e = await errorOf(res);
    if (res.status === 401) for (const f of sessionListeners) f(null);
    throw e;
  }
  if (res.status === 204) return null;
  const type = res.headers.get('Content-Type') ?? '';
  return type.includes('json') ? res.json() : res.text();
}

// Uploads files to a device with XMLHttpRequest (fetch has no upload progress). The browser streams
// each File from disk; nothing is read into memory. `files` holds Files or {file, path}: a path
// (else the File's webkitRelativePath) such as "holiday/img1.jpg" is sent as the part's filename,
// and the server makes every part under one top folder a single image folder.
// onProgress(sentBytes, totalBytes). Returns {promise, abort}.
export function upload(deviceId, files, onProgress) {
  const xhr = new XMLHttpRequest();
  const promise = (async () => {
    if (!access || access.expiresAt < Date.now() + 60000) await refresh().catch(() => {});
    return new Promise((resolve, reject) => {
      const form = new FormData();
      for (const f of files) {
        const file = f instanceof Blob ? f : f.file;
        form.append('files', file, (f instanceof Blob ? '' : f.path) || file.webkitRelativePath || file.name);
      }
      xhr.open('POST', `/api/v1/devices/${encodeURIComponent(deviceId)}/media`);
      for (const [k, v] of Object.entries(headers({}))) xhr.setRequestHeader(k, v);
      xhr.upload.onprogress = (e) => onProgress?.(e.loaded, e.total);
      xhr.onload = () => {
        let body = null;
        try {
          body = JSON.parse(xhr.responseText);
        } catch {}
        if (xhr.status >= 200 && xhr.status < 300) resolve(body);
        else {
          const ra = Number(xhr.getResponseHeader('Retry-After'));
          reject(new ApiError(xhr.status, body?.error?.code ?? '', body?.error?.message ?? '', ra > 0 ? ra : undefined));
        }
      };
      xhr.onerror = () => reject(new ApiError(0, 'network', ''));
      xhr.onabort = () => reject(new ApiError(0, 'aborted', ''));
      xhr.send(form);
    });
  })();
  return { promise, abort: () => xhr.abort() };
}

// Where a role lands after sign-in.
export function homeFor(user) {
  return user?.role === 'speaker' ? '/speaker' : '/admin';
}

// Sends a signed-out visitor to sign-in, remembering where they were.
export function toSignIn() {
  const next = location.pathname + location.search + location.hash;
  location.replace(`/signin?next=${encodeURIComponent(next)}`);
}
