// Sign-in: username and password → the refresh cookie and an in-memory access token, then the
// page for the role (speaker → speaker panel; everyone else → admin panel, read-only for viewers).
// Errors say what happened: wrong password, too many attempts (with the wait), disabled account.
import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import '../common/base.css';
import './signin.css';
import { homeFor, login, session } from '../common/api.js';
import { t } from '../common/i18n.js';
import { LanguageSelect, ThemeSelect, applyTheme, errorText, useLang } from '../common/ui.jsx';

applyTheme();

// Only same-site paths are followed after sign-in (no open redirect).
function nextPath(user) {
  const next = new URLSearchParams(location.search).get('next') ?? '';
  const home = homeFor(user);
  if (!/^\/(admin|speaker)([/?#]|$)/.test(next)) return home;
  if (user.role === 'speaker' && next.startsWith('/admin')) return home;
  return next;
}

function SignIn() {
  useLang();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [wait, setWait] = useState(0);
  const userRef = useRef(null);
  const errRef = useRef(null);

  // Already signed in (the refresh cookie works): go straight on.
  useEffect(() => {
    session().then((u) => u && location.replace(nextPath(u)));
    userRef.current?.focus();
  }, []);

  // Counts the rate-limit wait down to zero.
  useEffect(() => {
    if (wait <= 0) return;
    const id = setTimeout(() => setWait(wait - 1), 1000);
    return () => clearTimeout(id);
  }, [wait]);

  const submit = async (e) => {
    e.preventDefault();
    if (busy || wait > 0) return;
    if (!username.trim() || !password) {
      setError(t('signin.missing'));
      return;
    }
    setBusy(true);
    setError('');
    try {
      const user = await login(username.trim(), password);
      location.replace(nextPath(user));
    } catch (err) {
      if (err.status === 401) setError(t('signin.wrong'));
      else if (err.status === 403) setError(t('signin.disabled'));
      else if (err.status === 429) {
        setWait(err.retryAfter ?? 60);
        setError('');
      } else setError(errorText(err));
      setPassword('');
      setBusy(false);
      setTimeout(() => errRef.current?.focus(), 0);
    }
  };

  return (
    <main class="signin">
      <div class="signin-card card">
        <div class="brand signin-brand">
          <img src="/favicon.svg" alt="" />
          <span>VideoControl</span>
        </div>
        <h1>{t('signin.title')}</h1>
        <form onSubmit={submit} noValidate>
          <div class="field">
            <label for="username">{t('signin.username')}</label>
            <input id="username" ref={userRef} name="username" autocomplete="username" autocapitalize="none" spellcheck={false}
              value={username} onInput={(e) => setUsername(e.currentTarget.value)} required />
          </div>
          <div class="field">
            <label for="password">{t('signin.password')}</label>
            <input id="password" name="password" type="password" autocomplete="current-password"
              value={password} onInput={(e) => setPassword(e.currentTarget.value)} required />
          </div>
          <div tabIndex={-1} ref={errRef} aria-live="assertive">
            {error && <div class="alert error" data-testid="signin-error">{error}</div>}
            {wait > 0 && <div class="alert warn" data-testid="signin-wait">{t('signin.rate_limited', { seconds: wait })}</div>}
          </div>
          <button class="primary wide" type="submit" disabled={busy || wait > 0}>
            {busy ? t('signin.busy') : t('signin.submit')}
          </button>
        </form>
        <p class="hint">{t('signin.first_run')}</p>
      </div>
      <footer class="signin-footer row">
        <LanguageSelect />
        <ThemeSelect />
        <span class="spacer" />
        <a href="/api/v1/openapi.json">{t('signin.api')}</a>
      </footer>
    </main>
  );
}

render(<SignIn />, document.getElementById('app'));
