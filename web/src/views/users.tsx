import { useState } from 'preact/hooks';
import { apiGet, query } from '../api.js';
import { Card, Loaded } from '../components.js';
import { time, trx } from '../format.js';
import { useI18n } from '../i18n.js';
import { usePoll } from '../poll.js';
import { href } from '../router.js';
import type { User } from '../types.js';

const PAGE = 50;

/** Every user with a prepaid balance, by id; "More" extends the list (keyset). */
export function Users() {
  const { t } = useI18n();
  const [pages, setPages] = useState(1);
  const path = `/api/users${query({ limit: Math.min(200, PAGE * pages) })}`;
  const users = usePoll(() => apiGet<{ users: User[]; next_cursor: string | null }>(path), path);
  return (
    <Card title={t('users.title')} wide>
      <Loaded polled={users}>
        {(u) =>
          u.users.length === 0 ? (
            <p class="muted">{t('users.empty')}</p>
          ) : (
            <>
              <table>
                <thead>
                  <tr>
                    <th>{t('col.user')}</th>
                    <th class="num">{t('col.balance')}</th>
                    <th>{t('col.since')}</th>
                  </tr>
                </thead>
                <tbody>
                  {u.users.map((user) => (
                    <tr data-user={String(user.user_id)}>
                      <td>
                        <a href={href(`users/${user.user_id}`)}>{String(user.user_id)}</a>
                      </td>
                      <td class="num">{trx(user.balance_sun)}</td>
                      <td>{time(user.created_at)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {u.next_cursor !== null && PAGE * pages < 200 && (
                <button type="button" onClick={() => setPages(pages + 1)}>
                  {t('users.more')}
                </button>
              )}
            </>
          )
        }
      </Loaded>
    </Card>
  );
}
