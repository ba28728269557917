import { FlashMark, Mono, StatusBadge } from '../components.js';
import { count, short, time, trx } from '../format.js';
import { reasonLabel, useI18n } from '../i18n.js';
import { href } from '../router.js';
import type { Order } from '../types.js';

/** The orders list, shared by the orders page and a user's page. */
export function OrderTable({ orders }: { orders: Order[] }) {
  const { t } = useI18n();
  if (orders.length === 0) return <p class="muted">{t('orders.empty')}</p>;
  return (
    <table class="orders">
      <thead>
        <tr>
          <th>{t('col.id')}</th>
          <th>{t('col.status')}</th>
          <th>{t('col.user')}</th>
          <th class="num">{t('col.energy')}</th>
          <th>{t('col.duration')}</th>
          <th class="num">{t('col.price')}</th>
          <th>{t('col.receiver')}</th>
          <th>{t('col.pool')}</th>
          <th>{t('col.created')}</th>
          <th>{t('col.note')}</th>
        </tr>
      </thead>
      <tbody>
        {orders.map((o) => (
          <tr data-order={o.id}>
            <td>
              <a href={href(`orders/${o.id}`)}>
                <Mono value={o.id} short={short(o.id, 8, 4)} />
              </a>
            </td>
            <td>
              <StatusBadge status={o.status} />
            </td>
            <td>{o.payment_txid ? <FlashMark /> : <UserLink userId={String(o.user_id)} tenantId={o.tenant_id} />}</td>
            <td class="num">{count(o.energy_amount)}</td>
            <td>{o.duration}</td>
            <td class="num">{trx(o.price)}{o.pay_currency === 'TRX' ? '' : ` ${o.pay_currency}`}</td>
            <td>
              <Mono value={o.receive_address} short={short(o.receive_address)} />
            </td>
            <td>{o.pool_address ? <Mono value={o.pool_address} short={short(o.pool_address)} /> : '—'}</td>
            <td>{time(o.created_at)}</td>
            <td class={o.error_code ? 'bad' : 'muted'}>
              {o.error_code ? reasonLabel(t, o.error_code) : o.wait_reason ? reasonLabel(t, o.wait_reason) : ''}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A user of a tenant: its own id, with the tenant named unless it is the default one. */
export function UserLink({ userId, tenantId }: { userId: string; tenantId: string }) {
  const other = tenantId !== 'default';
  return (
    <a href={href(`users/${userId}`, other ? { tenant_id: tenantId } : {})}>
      {userId}
      {other ? <small class="muted"> · {tenantId}</small> : null}
    </a>
  );
}
