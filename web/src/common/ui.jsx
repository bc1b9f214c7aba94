// Pieces every page shares: toasts, a modal dialog on <dialog>, the language and theme switches,
// and the one place an API error becomes a sentence for a person.
import { useEffect, useRef, useState } from 'preact/hooks';
import { languages, lang, onLangChange, setLang, t } from './i18n.js';

// ---- errors -------------------------------------------------------------------------------------
// What to tell a person about a failed call; the server's message follows for detail.
export function errorText(e) {
  if (!e) return '';
  if (e.code === 'aborted') return t('error.aborted');
  if (e.status === 0) return t('error.network');
  if (e.status === 429) return t('error.rate_limited', { seconds: e.retryAfter ?? 1 });
  if (e.status === 413) return t('error.too_large');
  if (e.status === 415) return t('error.unsupported_type');
  if (e.code === 'quota') return t('error.quota', { detail: e.message });
  if (e.status === 401) return t('error.signed_out');
  if (e.status === 403) return t('error.forbidden', { detail: e.message });
  if (e.status === 404) return t('error.not_found', { detail: e.message });
  if (e.status === 409) return t('error.conflict', { detail: e.message });
  if (e.status === 400 || e.status === 422) return t('error.invalid', { detail: e.message });
  return t('error.server', { detail: e.message || `HTTP ${e.status}` });
}

// ---- toasts -------------------------------------------------------------------------------------
const toastListeners = new Set();
let toastId = 0;
export function toast(text, kind = 'info') {
  const item = { id: ++toastId, text, kind };
  for (const f of toastListeners) f(item);
}
export function Toasts() {
  const [items, setItems] = useState([]);
  useEffect(() => {
    const add = (item) => {
      setItems((list) => [...list.slice(-2), item]);
      setTimeout(() => setItems((list) => list.filter((x) => x.id !== item.id)), item.kind === 'error' ? 8000 : 3000);
    };
    toastListeners.add(add);
    return () => toastListeners.delete(add);
  }, []);
  return (
    <div class="toasts" role="status" aria-live="polite">
      {items.map((i) => (
        <div key={i.id} class={`toast ${i.kind}`}>
          {i.text}
        </div>
      ))}
    </div>
  );
}

// ---- dialog -------------------------------------------------------------------------------------
// A modal that traps focus (native <dialog>), closes on Escape, and returns focus where it was.
export function Modal({ title, onClose, children, actions, labelId }) {
  const ref = useRef(null);
  const id = labelId ?? `dlg-${Math.random().toString(36).slice(2, 8)}`;
  useEffect(() => {
    const d = ref.current;
    const before = document.activeElement;
    d.showModal();
    const cancel = (e) => {
      e.preventDefault();
      onClose?.();
    };
    d.addEventListener('cancel', cancel);
    return () => {
      d.removeEventListener('cancel', cancel);
      if (d.open) d.close();
      before?.focus?.();
    };
  }, []);
  return (
    <dialog ref={ref} aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {children}
      {actions && <div class="actions">{actions}</div>}
    </dialog>
  );
}

// Asks before something that cannot be undone. Resolves true/false.
export function useConfirm() {
  const [ask, setAsk] = useState(null);
  const confirm = (text, confirmLabel) =>
    new Promise((resolve) => setAsk({ text, confirmLabel, resolve }));
  const ui = ask && (
    <Modal
      title={t('confirm.title')}
      onClose={() => {
        ask.resolve(false);
        setAsk(null);
      }}
      actions={[
        <button
          key="no"
          type="button"
          onClick={() => {
            ask.resolve(false);
            setAsk(null);
          }}
        >
          {t('action.cancel')}
        </button>,
        <button
          key="yes"
          type="button"
          class="danger"
          onClick={() => {
            ask.resolve(true);
            setAsk(null);
          }}
        >
          {ask.confirmLabel ?? t('action.delete')}
        </button>,
      ]}
    >
      <p>{ask.text}</p>
    </Modal>
  );
  return [confirm, ui];
}

// ---- language and theme -------------------------------------------------------------------------
export function LanguageSelect() {
  return (
    <label class="row" style={{ fontWeight: 400, margin: 0 }}>
      <span class="visually-hidden">{t('settings.language')}</span>
      <select value={lang} onChange={(e) => setLang(e.currentTarget.value)} aria-label={t('settings.language')}>
        {languages.map((l) => (
          <option key={l.code} value={l.code}>
            {l.name}
          </option>
        ))}
      </select>
    </label>
  );
}

function storedTheme() {
  try {
    return localStorage.getItem('vc.theme') || 'system';
  } catch {
    return 'system';
  }
}
export function applyTheme(theme = storedTheme()) {
  if (theme === 'light' || theme === 'dark') document.documentElement.dataset.theme = theme;
  else delete document.documentElement.dataset.theme;
}
export function ThemeSelect() {
  const [theme, setTheme] = useState(storedTheme());
  const change = (v) => {
    setTheme(v);
    try {
      localStorage.setItem('vc.theme', v);
    } catch {}
    applyTheme(v);
  };
  return (
    <select value={theme} onChange={(e) => change(e.currentTarget.value)} aria-label={t('settings.theme')}>
      <option value="system">{t('theme.system')}</option>
      <option value="light">{t('theme.light')}</option>
      <option value="dark">{t('theme.dark')}</option>
    </select>
  );
}

// Re-renders the tree when the language changes.
export function useLang() {
  const [, set] = useState(lang);
  useEffect(() => onLangChange(set), []);
}

export function Progress({ value, max, label }) {
  const pct = max > 0 ? Math.min(100, Math.round((value / max) * 100)) : 0;
  return (
    <div class="progress" role="progressbar" aria-label={label} aria-valuemin="0" aria-valuemax="100" aria-valuenow={pct}>
      <div style={{ width: `${pct}%` }} />
    </div>
  );
}
