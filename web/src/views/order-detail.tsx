import { useState } from 'preact/hooks';
import { apiGet, apiPost, unlessMissing } from '../api.js';
import { Card, FlashMark, Loaded, Mono, StatusBadge } from '../components.js';
import { count, short, time, trx } from '../format.js';
import { reasonLabel, useI18n } from '../i18n.js';
import { usePoll } from '../poll.js';
import { href } from '../router.js';
import type { ChainTransaction, Order, OrderEvent, TxStatus } from '../types.js';

interface Detail {
  order: Order;
  events: OrderEvent[];
  transactions: ChainTransaction[];
}

/** Null when there is no such order. */
function loadDetail(id: string): Promise<Detail | null> {
  return unlessMissing(async () => {
    const base = `/api/orders/${encodeURIComponent(id)}`;
    const [order, events, txs] = await Promise.all([
      apiGet<Order>(base),
      apiGet<{ events: OrderEvent[] }>(`${base}/events`),
      apiGet<{ transactions: ChainTransaction[] }>(`${base}/transactions`),
    ]);
    return { order, events: events.events, transactions: txs.transactions };
  });
}

/** One order: its fields, every status change, and the chain transactions behind them. */
export function OrderDetail({ id }: { id: string }) {
  const { t } = useI18n();
  const detail = usePoll(() => loadDetail(id), `order:${id}`);
  return (
    <div class="stack">
      <a href={href('orders')} class="back">
        ← {t('order.back')}
      </a>
      <Loaded polled={detail}>
        {(d) =>
          d === null ? (
            <p class="error">{t('order.notFound')}</p>
          ) : (
            <>
              <h1>
                {t('order.title', { id: short(d.order.id, 8, 4) })} <StatusBadge status={d.order.status} />
                {d.order.payment_txid && <FlashMark />}
              </h1>
              <CancelButton order={d.order} />
              <div class="grid order-grid">
                <Card title={t('order.summary')}>
                  <Summary order={d.order} refund={d.transactions.find((tx) => tx.kind === 'refund')} />
                </Card>
                <Card title={t('order.timeline')}>
                  <Timeline events={d.events} />
                </Card>
                <Card title={t('order.transactions')} wide>
                  <Transactions txs={d.transactions} />
                </Card>
              </div>
            </>
          )
        }
      </Loaded>
    </div>
  );
}

/** The order's fields; a flash-rent order's (paid by a transfer) names that transfer, and its refund, which goes back on chain. */
function Summary({ order: o, refund }: { order: Order; refund: ChainTransaction | undefined }) {
  const { t } = useI18n();
  return (
    <dl class="facts">
      <dt>{t('col.id')}</dt>
      <dd>
        <Mono value={o.id} />
      </dd>
      {o.payment_txid ? (
        <>
          <dt>{t('order.payment')}</dt>
          <dd data-payment-txid={o.payment_txid}>
            <Mono value={o.payment_txid} />
          </dd>
        </>
      ) : (
        <>
          <dt>{t('col.user')}</dt>
          <dd>
            <a href={href(`users/${o.user_id}`)}>{String(o.user_id)}</a>
          </dd>
        </>
      )}
      <dt>{t('col.energy')}</dt>
      <dd>{count(o.energy_amount)}</dd>
      <dt>{t('col.duration')}</dt>
      <dd>{o.duration}</dd>
      <dt>{t('col.price')}</dt>
      <dd>{trx(o.price)}{o.pay_currency === 'TRX' ? '' : ` ${o.pay_currency}`}</dd>
      <dt>{t('col.receiver')}</dt>
      <dd>
        <Mono value={o.receive_address} />
      </dd>
      <dt>{t('col.pool')}</dt>
      <dd>{o.pool_address ? <Mono value={o.pool_address} /> : '—'}</dd>
      <dt>{t('order.delegatedSun')}</dt>
      <dd>{trx(o.delegated_sun)}</dd>
      <dt>{t('order.lockBlocks')}</dt>
      <dd>{o.lock_blocks === null ? t('order.unlocked') : t('order.lockBlocksValue', { blocks: o.lock_blocks })}</dd>
      <dt>{t('col.created')}</dt>
      <dd>{time(o.created_at)}</dd>
      <dt>{t('order.expires')}</dt>
      <dd>{time(o.expires_at)}</dd>
      {o.wait_reason && (
        <>
          <dt>{t('order.waiting')}</dt>
          <dd class="warn">{reasonLabel(t, o.wait_reason)}</dd>
        </>
      )}
      {o.error_code && (
        <>
          <dt>{t('order.error')}</dt>
          <dd class="bad" title={o.error_message ?? ''}>
            {reasonLabel(t, o.error_code)}
          </dd>
        </>
      )}
      {o.cancel_requested_at && (
        <>
          <dt>{t('order.cancelRequested')}</dt>
          <dd>{time(o.cancel_requested_at)}</dd>
        </>
      )}
      {o.cancelled_at && (
        <>
          <dt>{t('order.cancelled')}</dt>
          <dd>{time(o.cancelled_at)}</dd>
        </>
      )}
      {(o.error_code || o.cancelled_at) &&
        (o.payment_txid ? (
          <>
            <dt>{t('order.refund')}</dt>
            <dd data-refund-on-chain>
              {t('order.refundOnChain', { trx: trx(o.refunded_sun) })}
              <div class={`small ${refund ? txClass(refund.status) : 'muted'}`}>
                {refund ? t('order.refundSent', { status: t(`tx.status.${refund.status}`) }) : t('order.refundNotSent')}
              </div>
            </dd>
          </>
        ) : (
          <>
            <dt>{t('order.refunded')}</dt>
            <dd>
              {trx(o.refunded)}
              {o.pay_currency === 'TRX' ? '' : ` ${o.pay_currency}`}
            </dd>
          </>
        ))}
    </dl>
  );
}

/**
 * Cancels the order (admin token): a pending one at once, an active one by an
 * early reclaim, which the server allows only once its lock has run out. Asks
 * first; what the server refuses is shown as it says it.
 */
function CancelButton({ order: o }: { order: Order }) {
  const { t } = useI18n();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  if (o.status !== 'pending' && !(o.status === 'active' && o.cancel_requested_at === null)) return null;
  const onClick = async () => {
    if (!confirm(t(o.status === 'pending' ? 'order.cancelConfirmPending' : 'order.cancelConfirmActive', { id: short(o.id, 8, 4) }))) return;
    setBusy(true);
    setProblem(null);
    try {
      await apiPost(`/api/orders/${encodeURIComponent(o.id)}/cancel`);
    } catch (err) {
      setProblem(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <p>
      <button type="button" data-action="cancel-order" disabled={busy} onClick={onClick}>
        {t('order.cancel')}
      </button>
      {problem && <span class="error">{t('order.cancelFailed', { message: problem })}</span>}
    </p>
  );
}

function Timeline({ events }: { events: OrderEvent[] }) {
  const { t } = useI18n();
  return (
    <ol class="timeline">
      {events.map((e) => (
        <li data-to={e.to_status}>
          <time>{time(e.at)}</time>
          <div>
            <strong>
              {e.from_status === null
                ? t('order.eventCreated', { to: t(`status.${e.to_status}`) })
                : t('order.event', { from: t(`status.${e.from_status}`), to: t(`status.${e.to_status}`) })}
            </strong>
            <span class="reason">· {reasonLabel(t, e.reason)}</span>
            <div class="muted small">{t('order.by', { actor: e.actor })}</div>
          </div>
        </li>
      ))}
    </ol>
  );
}

const txClass = (status: TxStatus) => (status === 'confirmed' ? 'ok' : status === 'failed' || status === 'expired' ? 'bad' : 'warn');

function Transactions({ txs }: { txs: ChainTransaction[] }) {
  const { t } = useI18n();
  if (txs.length === 0) return <p class="muted">{t('order.noTransactions')}</p>;
  return (
    <table>
      <thead>
        <tr>
          <th>{t('col.kind')}</th>
          <th>txid</th>
          <th>{t('col.status')}</th>
          <th class="num">{t('col.amount')}</th>
          <th>{t('col.pool')}</th>
          <th>{t('col.time')}</th>
        </tr>
      </thead>
      <tbody>
        {txs.map((tx) => (
          <tr data-tx={tx.kind} data-tx-status={tx.status}>
            <td>{t(`tx.${tx.kind}`)}</td>
            <td>
              <Mono value={tx.txid} short={short(tx.txid, 10, 6)} />
            </td>
            <td class={txClass(tx.status)}>
              {t(`tx.status.${tx.status}`)}
              {tx.block_number && <span class="muted"> · {t('tx.block', { n: tx.block_number })}</span>}
              {tx.broadcasts > 1 && <span class="muted"> · {t('tx.broadcasts', { n: tx.broadcasts })}</span>}
              {tx.result_message && <div class="muted small">{tx.result_message}</div>}
            </td>
            <td class="num">{trx(tx.amount_sun)}</td>
            <td>
              <Mono value={tx.pool_address} short={short(tx.pool_address)} />
            </td>
            {/* When it was journaled, on the database clock; confirmed_at is chain time, which a devnet runs ahead. */}
            <td>{time(tx.created_at)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
