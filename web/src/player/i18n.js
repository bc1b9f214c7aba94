// The player's strings: only the player.* keys of the catalogues (the page stays small). The
// language is ?lang= when given (a kiosk's address can pin it), else the one chosen on this origin
// (vc.lang, as on the other pages), else the browser's.
import catalogues from 'vc:catalogues?prefix=player.';

function pick(asked) {
  const candidates = [asked];
  try {
    candidates.push(localStorage.getItem('vc.lang'));
  } catch {}
  candidates.push(...(navigator.languages ?? [navigator.language]));
  for (const c of candidates) {
    const primary = String(c ?? '').toLowerCase().split('-')[0];
    if (primary in catalogues) return primary;
  }
  return 'en';
}

export function makeT(asked) {
  const lang = pick(asked);
  document.documentElement.lang = lang;
  const t = (key, params) => {
    let s = catalogues[lang][key] ?? catalogues.en[key] ?? key;
    if (params) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in params ? String(params[k]) : m));
    return s;
  };
  return t;
}
