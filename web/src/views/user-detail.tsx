import { apiGet, query, unlessMissing } from '../api.js';
import { Card, Loaded, Mono } from '../components.js';
import { short, time, trx } from '../format.js';
import { useI18n } from '../i18n.js';
import { Pager } from '../pager.js';
import { usePoll } from '../poll.js';
import { href, navigate } from '../router.js';
import type { LedgerEntry, Order, User } from '../types.js';
import { OrderTable } from './order-table.js';

/** Null when there is no such user. */
function loadUser(id: string, tenantId: string): Promise<{ user: User; orders: Order[] } | null> {
  return unlessMissing(async () => {
    const [user, orders] = await Promise.all([
      apiGet<User>(`/api/users/${encodeURIComponent(id)}${query({ tenant_id: tenantId })}`),
      apiGet<{ orders: Order[] }>(`/api/orders${query({ user_id: id, limit: 20, tenant_id: tenantId || 'default' })}`),
    ]);
    return { user, orders: orders.orders };
  });
}

/** A user's balance, its ledger (every change, newest first, a page at a time) and latest orders. */
export function UserDetail({ id, params }: { id: string; params: URLSearchParams }) {
  const { t } = useI18n();
  const cursor = params.get('cursor') ?? '';
  const tenantId = params.get('tenant_id') ?? '';
  const detail = usePoll(() => loadUser(id, tenantId), `user:${tenantId}:${id}`);
  const ledgerPath = `/api/users/${encodeURIComponent(id)}/ledger${query({ limit: 50, cursor, tenant_id: tenantId })}`;
  const ledger = usePoll(() => apiGet<{ entries: LedgerEntry[]; next_cursor: string | null }>(ledgerPath), ledgerPath);
  return (
    <div class="stack">
      <a href={href('users')} class="back">
        ← {t('user.back')}
      </a>
      <Loaded polled={detail}>
        {(d) =>
          d === null ? (
            <p class="error">{t('user.notFound')}</p>
          ) : (
            <>
              <h1>
                {t('user.title', { id })} <span class="balance">{trx(d.user.balance_sun)} TRX</span>{' '}
                <span class="balance-usdt">{trx(d.user.balance_micro_usdt)} USDT</span>
              </h1>
              <Card title={t('user.ledger')} wide>
                <Loaded polled={ledger}>
                  {(l) => (
                    <table>
                      <thead>
                        <tr>
                          <th>{t('col.time')}</th>
                          <th>{t('col.kind')}</th>
                          <th class="num">{t('col.amount')}</th>
                          <th class="num">{t('col.balanceAfter')}</th>
                          <th>{t('col.id')}</th>
                          <th>{t('col.reference')}</th>
                        </tr>
                      </thead>
                      <tbody>
                        {l.entries.map((e) => (
                          <tr>
                            <td>{time(e.created_at)}</td>
                            <td>{t(`ledger.${e.kind}`)}</td>
                            <td class={`num ${e.amount.startsWith('-') ? 'bad' : 'ok'}`}>
                              {trx(e.amount)} {e.currency}
                            </td>
                            <td class="num">
                              {trx(e.balance_after)} {e.currency}
                            </td>
                            <td>
                              {e.order_id && (
                                <a href={href(`orders/${e.order_id}`)}>
                                  <Mono value={e.order_id} short={short(e.order_id, 8, 4)} />
                                </a>
                              )}
                            </td>
                            <td>{e.reference ?? ''}</td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  )}
                </Loaded>
                {/* Outside the ledger's Loaded: it keeps the cursors passed while the next page loads. */}
                <Pager key={id} cursor={cursor} nextCursor={ledger.data?.next_cursor ?? null} go={(c) => navigate(`users/${id}`, { cursor: c, tenant_id: tenantId })} />
              </Card>
              <Card title={t('user.orders')} wide>
                <OrderTable orders={d.orders} />
              </Card>
            </>
          )
        }
      </Loaded>
    </div>
  );
}
