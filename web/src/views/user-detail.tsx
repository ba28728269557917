import { ApiError, apiGet, query } from '../api.js';
import { Card, Loaded, Mono } from '../components.js';
import { short, time, trx } from '../format.js';
import { useI18n } from '../i18n.js';
import { usePoll } from '../poll.js';
import { href } from '../router.js';
import type { LedgerEntry, Order, User } from '../types.js';
import { OrderTable } from './order-table.js';

interface Detail {
  user: User;
  ledger: LedgerEntry[];
  orders: Order[];
}

async function loadUser(id: string): Promise<Detail | null> {
  try {
    const base = `/api/users/${encodeURIComponent(id)}`;
    const [user, ledger, orders] = await Promise.all([
      apiGet<User>(base),
      apiGet<{ entries: LedgerEntry[] }>(`${base}/ledger?limit=50`),
      apiGet<{ orders: Order[] }>(`/api/orders${query({ user_id: id, limit: 20 })}`),
    ]);
    return { user, ledger: ledger.entries, orders: orders.orders };
  } catch (err) {
    if (err instanceof ApiError && (err.status === 404 || err.status === 400)) return null;
    throw err;
  }
}

/** A user's balance, its ledger (every change, newest first) and latest orders. */
export function UserDetail({ id }: { id: string }) {
  const { t } = useI18n();
  const detail = usePoll(() => loadUser(id), `user:${id}`);
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
                {t('user.title', { id })} <span class="balance">{trx(d.user.balance_sun)} TRX</span>
              </h1>
              <Card title={t('user.ledger')} wide>
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
                    {d.ledger.map((e) => (
                      <tr>
                        <td>{time(e.created_at)}</td>
                        <td>{t(`ledger.${e.kind}`)}</td>
                        <td class={`num ${e.amount_sun.startsWith('-') ? 'bad' : 'ok'}`}>{trx(e.amount_sun)}</td>
                        <td class="num">{trx(e.balance_after_sun)}</td>
                        <td>{e.order_id ? <a href={href(`orders/${e.order_id}`)}><Mono value={e.order_id} short={short(e.order_id, 8, 4)} /></a> : ''}</td>
                        <td>{e.reference ?? ''}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
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
