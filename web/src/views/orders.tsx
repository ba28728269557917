import { useState } from 'preact/hooks';
import { ORDER_STATUSES } from '../../../src/domain/order-status.js';
import { apiGet, query } from '../api.js';
import { Card, Loaded } from '../components.js';
import { useI18n } from '../i18n.js';
import { usePoll } from '../poll.js';
import { navigate } from '../router.js';
import type { Order, Tenant } from '../types.js';
import { Pager } from '../pager.js';
import { OrderTable } from './order-table.js';

const PAGE = 50;

/**
 * Every order, newest first, filtered by status, user or receive address.
 * Paging is keyset (the API's cursor), so a busy table never shifts a page
 * under the reader; the page in view refreshes itself.
 */
export function Orders({ params }: { params: URLSearchParams }) {
  const { t } = useI18n();
  const filters = {
    tenant_id: params.get('tenant_id') ?? '',
    status: params.get('status') ?? '',
    user_id: params.get('user_id') ?? '',
    receive_address: params.get('receive_address') ?? '',
  };
  const tenants = usePoll(() => apiGet<{ tenants: Tenant[] }>('/api/admin/tenants'), 'tenants', 30_000);
  const cursor = params.get('cursor') ?? '';
  const path = `/api/orders${query({ ...filters, cursor, limit: PAGE })}`;
  const page = usePoll(() => apiGet<{ orders: Order[]; next_cursor: string | null }>(path), path);
  const [draft, setDraft] = useState(filters);

  const go = (next: Partial<typeof filters> & { cursor?: string }) => navigate('orders', { ...filters, ...next });
  const apply = (e: Event) => {
    e.preventDefault();
    navigate('orders', { ...draft, user_id: draft.user_id.trim(), receive_address: draft.receive_address.trim() });
  };
  const set = (k: keyof typeof filters) => (e: Event) => setDraft({ ...draft, [k]: (e.target as HTMLInputElement).value });

  return (
    <Card wide>
      <form class="filters" onSubmit={apply}>
        <label>
          {t('orders.filter.tenant')}
          <select name="tenant_id" value={draft.tenant_id} onChange={set('tenant_id')}>
            <option value="">{t('orders.filter.anyTenant')}</option>
            {(tenants.data?.tenants ?? []).map((x) => (
              <option value={x.id}>{x.id === x.name ? x.id : `${x.name} (${x.id})`}</option>
            ))}
          </select>
        </label>
        <label>
          {t('orders.filter.status')}
          <select name="status" value={draft.status} onChange={set('status')}>
            <option value="">{t('orders.filter.anyStatus')}</option>
            {ORDER_STATUSES.map((s) => (
              <option value={s}>{t(`status.${s}`)}</option>
            ))}
          </select>
        </label>
        <label>
          {t('orders.filter.user')}
          <input name="user_id" inputMode="numeric" value={draft.user_id} onInput={set('user_id')} size={12} />
        </label>
        <label>
          {t('orders.filter.address')}
          <input name="receive_address" value={draft.receive_address} onInput={set('receive_address')} size={36} />
        </label>
        <button type="submit" class="primary">
          {t('orders.filter.apply')}
        </button>
        <button
          type="button"
          onClick={() => {
            setDraft({ tenant_id: '', status: '', user_id: '', receive_address: '' });
            navigate('orders');
          }}
        >
          {t('orders.filter.clear')}
        </button>
      </form>
      <Loaded polled={page}>{(p) => <OrderTable orders={p.orders} />}</Loaded>
      {/* Outside Loaded: it keeps the cursors passed while the next page loads. */}
      <Pager key={JSON.stringify(filters)} cursor={cursor} nextCursor={page.data?.next_cursor ?? null} go={(c) => go({ cursor: c })} />
    </Card>
  );
}
