import { useState } from 'preact/hooks';
import { useI18n } from './i18n.js';

/**
 * Keyset paging controls: the API gives each page a next_cursor; the
 * cursors of the pages already passed are kept here, so "Previous" goes
 * back exactly. Give it a `key` of the filters, so that new filters start over.
 */
export function Pager({ cursor, nextCursor, go }: { cursor: string; nextCursor: string | null; go(cursor: string): void }) {
  const { t } = useI18n();
  const [previous, setPrevious] = useState<string[]>([]);
  return (
    <div class="pager">
      <button
        type="button"
        disabled={!cursor}
        onClick={() => {
          setPrevious([]);
          go('');
        }}
      >
        {t('pager.first')}
      </button>
      <button
        type="button"
        disabled={!cursor}
        onClick={() => {
          setPrevious(previous.slice(0, -1));
          go(previous.at(-1) ?? '');
        }}
      >
        {t('pager.previous')}
      </button>
      <span class="muted">{t('pager.page', { n: cursor ? previous.length + 1 : 1 })}</span>
      <button
        type="button"
        disabled={nextCursor === null}
        onClick={() => {
          setPrevious([...previous, cursor]);
          go(nextCursor!);
        }}
      >
        {t('pager.next')}
      </button>
    </div>
  );
}
