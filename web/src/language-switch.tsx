import { LANGUAGES, useI18n, type Lang } from './i18n.js';

/** The two language buttons, in the header and on the sign-in page. */
export function LanguageSwitch() {
  const { lang, setLang, t } = useI18n();
  return (
    <span class="lang" role="group" aria-label={t('app.language')}>
      {(Object.keys(LANGUAGES) as Lang[]).map((l) => (
        <button type="button" class={l === lang ? 'on' : ''} aria-pressed={l === lang} onClick={() => setLang(l)}>
          {LANGUAGES[l]}
        </button>
      ))}
    </span>
  );
}
