// One catalogue per language, merged by build.mjs from src/i18n/<lang>/<area>.json (it checks that
// the languages have the same keys and that every t('key') in the sources exists). The language
// follows the browser unless the person chose one (kept in localStorage); t() falls back to
// English, then to the key.
import catalogues from 'vc:catalogues';

export const languages = [
  { code: 'en', name: 'English' },
  { code: 'ru', name: 'Русский' },
];

function pick() {
  try {
    const saved = localStorage.getItem('vc.lang');
    if (saved && saved in catalogues) return saved;
  } catch {}
  for (const l of navigator.languages ?? [navigator.language ?? 'en']) {
    const primary = String(l).toLowerCase().split('-')[0];
    if (primary in catalogues) return primary;
  }
  return 'en';
}

export let lang = pick();
document.documentElement.lang = lang;

export function setLang(code) {
  if (!(code in catalogues)) return;
  try {
    localStorage.setItem('vc.lang', code);
  } catch {}
  lang = code;
  document.documentElement.lang = code;
  for (const f of listeners) f(code);
}

const listeners = new Set();
export function onLangChange(f) {
  listeners.add(f);
  return () => listeners.delete(f);
}

// t('devices.count', {n: 3}) → the string with {n} replaced.
export function t(key, params) {
  let s = catalogues[lang][key] ?? catalogues.en[key] ?? key;
  if (params) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in params ? String(params[k]) : m));
  return s;
}

// Russian needs three plural forms: t(pluralKey(base, n)) with base.one/.few/.many (en: one/many).
export function plural(base, n, params = {}) {
  let form;
  if (lang === 'ru') {
    const m10 = n % 10, m100 = n % 100;
    form = m10 === 1 && m100 !== 11 ? 'one' : m10 >= 2 && m10 <= 4 && (m100 < 12 || m100 > 14) ? 'few' : 'many';
  } else {
    form = n === 1 ? 'one' : 'many';
  }
  const key = `${base}.${form}`;
  return t(key in catalogues[lang] ? key : `${base}.many`, { n, ...params });
}

// Intl formatters are costly to build (a list of 500 devices would build 500): one per language.
const formatters = new Map();
function formatter(kind, make) {
  const key = `${lang}:${kind}`;
  if (!formatters.has(key)) formatters.set(key, make());
  return formatters.get(key);
}

export function formatBytes(n) {
  if (n == null) return '';
  const units = lang === 'ru' ? ['Б', 'КБ', 'МБ', 'ГБ', 'ТБ'] : ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  const f = formatter(`bytes${i === 0 ? 0 : 1}`, () => new Intl.NumberFormat(lang, { maximumFractionDigits: i === 0 ? 0 : 1 }));
  return `${f.format(v)} ${units[i]}`;
}

export function formatTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return isNaN(d) ? '' : formatter('time', () => new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short' })).format(d);
}

export function formatAgo(iso) {
  if (!iso) return t('time.never');
  const s = Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 1000));
  const rtf = formatter('ago', () => new Intl.RelativeTimeFormat(lang, { numeric: 'auto' }));
  if (s < 60) return rtf.format(-s, 'second');
  if (s < 3600) return rtf.format(-Math.round(s / 60), 'minute');
  if (s < 86400) return rtf.format(-Math.round(s / 3600), 'hour');
  return rtf.format(-Math.round(s / 86400), 'day');
}
