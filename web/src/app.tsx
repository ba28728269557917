import { useEffect, useMemo, useState } from 'preact/hooks';
import { session, whenUnauthorized } from './api.js';
import { ago } from './format.js';
import { initialLang, LangContext, saveLang, translator, useI18n, type Lang } from './i18n.js';
import { LanguageSwitch } from './language-switch.js';
import { useLiveState } from './poll.js';
import { href, useRoute } from './router.js';
import { FlashRent } from './views/flash-rent.js';
import { Login } from './views/login.js';
import { OrderDetail } from './views/order-detail.js';
import { Orders } from './views/orders.js';
import { Overview } from './views/overview.js';
import { Pools } from './views/pools.js';
import { UserDetail } from './views/user-detail.js';
import { Tenants } from './views/tenants.js';
import { Users } from './views/users.js';

export function App() {
  const [lang, setLangState] = useState<Lang>(initialLang);
  const [signedIn, setSignedIn] = useState(() => session.token() !== null);
  const i18n = useMemo(
    () => ({
      lang,
      t: translator(lang),
      setLang(next: Lang) {
        saveLang(next);
        setLangState(next);
      },
    }),
    [lang],
  );
  useEffect(() => {
    saveLang(lang);
    document.title = i18n.t('app.title');
  }, [lang]);
  useEffect(() => {
    whenUnauthorized(() => {
      session.clear();
      setSignedIn(false);
    });
  }, []);
  return (
    <LangContext.Provider value={i18n}>
      {signedIn ? (
        <Shell
          onLogout={() => {
            session.clear();
            setSignedIn(false);
          }}
        />
      ) : (
        <Login onSignedIn={() => setSignedIn(true)} />
      )}
    </LangContext.Provider>
  );
}

const SECTIONS = ['overview', 'orders', 'flash', 'pools', 'users', 'tenants'] as const;

function Shell({ onLogout }: { onLogout(): void }) {
  const { t } = useI18n();
  const route = useRoute();
  const [section = 'overview', id] = route.path;
  return (
    <div class="shell">
      <header class="top">
        <a class="brand" href={href('overview')}>
          Joule
        </a>
        <nav>
          {SECTIONS.map((s) => (
            <a href={href(s)} class={section === s ? 'current' : ''}>
              {t(`nav.${s}`)}
            </a>
          ))}
          <a href="/docs" target="_blank" rel="noopener">
            {t('nav.docs')}
          </a>
        </nav>
        <div class="tools">
          <LiveIndicator />
          <LanguageSwitch />
          <button type="button" class="link" onClick={onLogout}>
            {t('app.logout')}
          </button>
        </div>
      </header>
      <main>
        {section === 'orders' && id ? (
          <OrderDetail id={id} />
        ) : section === 'orders' ? (
          <Orders params={route.params} />
        ) : section === 'flash' ? (
          <FlashRent />
        ) : section === 'pools' ? (
          <Pools />
        ) : section === 'users' && id ? (
          <UserDetail id={id} params={route.params} />
        ) : section === 'users' ? (
          <Users params={route.params} />
        ) : section === 'tenants' ? (
          <Tenants />
        ) : (
          <Overview />
        )}
      </main>
    </div>
  );
}

function LiveIndicator() {
  const { t } = useI18n();
  const { lastOk, failing } = useLiveState();
  if (typeof document !== 'undefined' && document.hidden) return <span class="live paused">{t('app.paused')}</span>;
  if (failing) return <span class="live failing">{t('app.stale')}</span>;
  return (
    <span class="live ok" title={lastOk ? t('app.updated', { age: ago(t, Date.now() - lastOk) }) : ''}>
      <i class="dot" /> {t('app.live')}
    </span>
  );
}
