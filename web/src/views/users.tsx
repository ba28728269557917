import { apiGet, query } from '../api.js';
import { Card, Loaded } from '../components.js';
import { time, trx } from '../format.js';
import { useI18n } from '../i18n.js';
import { Pager } from '../pager.js';
import { usePoll } from '../poll.js';
import { navigate } from '../router.js';
import { UserLink } from './order-table.js';
import type { User } from '../types.js';

/** Every user with a prepaid balance, by id, a keyset page at a time. */
export function Users({ params }: { params: URLSearchParams }) {
  const { t } = useI18n();
  const cursor = params.get('cursor') ?? '';
  const tenantId = params.get('tenant_id') ?? '';
  const path = `/api/users${query({ cursor, limit: 50, tenant_id: tenantId })}`;
  const users = usePoll(() => apiGet<{ users: User[]; next_cursor: string | null }>(path), path);
  return (
    <Card title={t('users.title')} wide>
      <Loaded polled={users}>
        {(u) =>
          u.users.length === 0 ? (
            <p class="muted">{t('users.empty')}</p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th>{t('col.user')}</th>
                  <th class="num">{t('col.balance')}</th>
                  <th class="num">{t('col.balanceUsdt')}</th>
                  <th>{t('col.since')}</th>
                </tr>
              </thead>
              <tbody>
                {u.users.map((user) => (
                  <tr data-user={String(user.user_id)} data-tenant={user.tenant_id}>
                    <td>
                      <UserLink userId={String(user.user_id)} tenantId={user.tenant_id} />
                    </td>
                    <td class="num">{trx(user.balance_sun)}</td>
                    <td class="num">{trx(user.balance_micro_usdt)}</td>
                    <td>{time(user.created_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </Loaded>
      <Pager key={tenantId} cursor={cursor} nextCursor={users.data?.next_cursor ?? null} go={(c) => navigate('users', { cursor: c, tenant_id: tenantId })} />
    </Card>
  );
}
