import { apiGet } from '../api.js';
import { Card, Loaded, Mono } from '../components.js';
import { count, short, time, trx } from '../format.js';
import { reasonLabel, useI18n } from '../i18n.js';
import { usePoll } from '../poll.js';
import { href } from '../router.js';
import type { FlashPayment, FlashRent as Terms, TxStatus } from '../types.js';

const TX_STATUSES: readonly string[] = ['signed', 'broadcast', 'confirmed', 'failed', 'expired'] satisfies TxStatus[];
const isTxStatus = (s: string): s is TxStatus => TX_STATUSES.includes(s);

/**
 * Orders paid by a TRX transfer: the terms customers are shown (the address
 * and what each amount buys), and the latest payments with what became of
 * each, an order or a refund on chain.
 */
export function FlashRent() {
  const { t } = useI18n();
  // The terms are fixed at start-up: read them now and then.
  const terms = usePoll(() => apiGet<Terms>('/api/flash-rent'), 'flash-terms', 60_000);
  const payments = usePoll(() => apiGet<{ payments: FlashPayment[] }>('/api/admin/flash-rent/payments?limit=50'), 'flash-payments');
  return (
    <div class="grid">
      <Card title={t('flash.title')} wide>
        <Loaded polled={terms}>{(f) => <TermsView terms={f} />}</Loaded>
      </Card>
      <Card title={t('flash.payments')} wide>
        <Loaded polled={payments}>{(p) => <Payments payments={p.payments} />}</Loaded>
      </Card>
    </div>
  );
}

function TermsView({ terms: f }: { terms: Terms }) {
  const { t } = useI18n();
  if (!f.enabled || f.address === null) {
    return (
      <p class="muted" data-flash-enabled="false">
        {t('flash.off')}
      </p>
    );
  }
  return (
    <div class="flash-terms" data-flash-enabled="true">
      <p>{t('flash.on')}</p>
      <dl class="facts">
        <dt>{t('flash.address')}</dt>
        <dd data-flash-address>
          <Mono value={f.address} />
        </dd>
        <dt>{t('flash.refundFee')}</dt>
        <dd>{t('flash.refundFeeValue', { trx: trx(f.refund_fee_sun) })}</dd>
        <dt>{t('flash.offers')}</dt>
        <dd>
          <table class="offers">
            <thead>
              <tr>
                <th class="num">{t('flash.send')}</th>
                <th class="num">{t('col.energy')}</th>
                <th>{t('col.duration')}</th>
              </tr>
            </thead>
            <tbody>
              {f.offers.map((o) => (
                <tr data-offer={o.amount_sun}>
                  <td class="num">{trx(o.amount_sun)}</td>
                  <td class="num">{count(o.energy_amount)}</td>
                  <td>{o.duration}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </dd>
      </dl>
    </div>
  );
}

function Payments({ payments }: { payments: FlashPayment[] }) {
  const { t } = useI18n();
  if (payments.length === 0) return <p class="muted">{t('flash.noPayments')}</p>;
  return (
    <table class="payments">
      <thead>
        <tr>
          <th>{t('col.time')}</th>
          <th>{t('flash.col.transfer')}</th>
          <th>{t('col.status')}</th>
          <th class="num">{t('flash.col.paid')}</th>
          <th>{t('flash.col.sender')}</th>
          <th>{t('flash.col.memo')}</th>
          <th>{t('col.id')}</th>
          <th class="num">{t('flash.col.refund')}</th>
          <th>{t('flash.col.refundTx')}</th>
          <th>{t('flash.col.reason')}</th>
        </tr>
      </thead>
      <tbody>
        {payments.map((p) => (
          <tr data-payment={p.txid} data-payment-status={p.status}>
            {/* When Joule saw it, on the database clock; block_time is chain time, which a devnet runs ahead. */}
            <td title={`${t('tx.block', { n: p.block_number })} · ${time(p.block_time)}`}>{time(p.created_at)}</td>
            <td>
              <Mono value={p.txid} short={short(p.txid, 8, 4)} />
            </td>
            <td>
              <span class={`badge flash-${p.status}`}>{t(`flash.status.${p.status}`)}</span>
            </td>
            <td class="num">{trx(p.amount_sun)}</td>
            <td>
              <Mono value={p.sender} short={short(p.sender)} />
            </td>
            <td class="memo" title={p.memo ?? ''}>
              {p.memo ?? ''}
            </td>
            <td>
              {p.order_id && (
                <a href={href(`orders/${p.order_id}`)}>
                  <Mono value={p.order_id} short={short(p.order_id, 8, 4)} />
                </a>
              )}
            </td>
            <td class="num">{p.refund_sun === null ? '' : trx(p.refund_sun)}</td>
            <td>
              {p.refund_txid && <Mono value={p.refund_txid} short={short(p.refund_txid, 8, 4)} />}
              {p.refund_tx_status && (
                <div class={`small ${p.refund_tx_status === 'confirmed' ? 'ok' : p.refund_tx_status === 'failed' || p.refund_tx_status === 'expired' ? 'bad' : 'warn'}`}>
                  {isTxStatus(p.refund_tx_status) ? t(`tx.status.${p.refund_tx_status}`) : p.refund_tx_status}
                </div>
              )}
            </td>
            <td>
              {p.reason && <div>{reasonLabel(t, p.reason)}</div>}
              {p.wait_reason && (
                <div class="warn small" data-wait={p.wait_reason}>
                  {reasonLabel(t, p.wait_reason)}
                </div>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
