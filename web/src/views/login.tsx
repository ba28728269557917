import { useState } from 'preact/hooks';
import { apiGet, session, UnauthorizedError } from '../api.js';
import { useI18n } from '../i18n.js';
import { LanguageSwitch } from '../language-switch.js';

/** Asks for the admin token and checks it against /api/status before keeping it for this tab. */
export function Login({ onSignedIn }: { onSignedIn(): void }) {
  const { t } = useI18n();
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);

  async function submit(e: Event) {
    e.preventDefault();
    const candidate = token.trim();
    if (!candidate) return;
    setBusy(true);
    setProblem(null);
    try {
      await apiGet('/api/status', candidate);
      session.save(candidate);
      onSignedIn();
    } catch (err) {
      setProblem(err instanceof UnauthorizedError ? t('login.invalid') : t('login.failed', { message: (err as Error).message }));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div class="login">
      <form onSubmit={submit} autocomplete="off">
        <div class="login-head">
          <span class="brand">Joule</span>
          <LanguageSwitch />
        </div>
        <h1>{t('login.title')}</h1>
        <p class="muted">{t('login.intro')}</p>
        <label>
          {t('login.token')}
          <input
            id="token"
            name="token"
            type="password"
            autocomplete="off"
            value={token}
            onInput={(e) => setToken((e.target as HTMLInputElement).value)}
            autofocus
            required
          />
        </label>
        {problem && (
          <p class="error" role="alert">
            {problem}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy}>
          {busy ? t('login.checking') : t('login.submit')}
        </button>
      </form>
    </div>
  );
}
