import { ORDER_STATUSES } from '../../../src/domain/order-status.js';
import { apiGet } from '../api.js';
import { Card, Loaded, Mono, StatusBadge } from '../components.js';
import { ago, count, short, span, time } from '../format.js';
import { codeLabel, useI18n } from '../i18n.js';
import { usePoll } from '../poll.js';
import { href } from '../router.js';
import type { Delays, DispatchPath, Status } from '../types.js';
import { DelayChart } from './delay-chart.js';

const PATHS: DispatchPath[] = ['in-process', 'queue', 'sweeper'];

/** Dispatch health and load at a glance: what the replaced system told operators to watch. */
export function Overview() {
  const { t } = useI18n();
  const status = usePoll(() => apiGet<Status>('/api/status'), 'status');
  // Minute buckets: every few seconds is live enough for one grouped query.
  const delays = usePoll(() => apiGet<Delays>('/api/status/delays?minutes=60'), 'delays', 5_000);
  return (
    <div class="grid">
      <Loaded polled={status}>
        {(s) => (
          <>
            <Card title={t('overview.orders')}>
              <ul class="counts">
                {ORDER_STATUSES.map((st) => (
                  <li>
                    <a href={href('orders', { status: st })}>
                      <StatusBadge status={st} />
                      <strong data-count={st}>{count(s.orders.by_status[st] ?? 0)}</strong>
                    </a>
                  </li>
                ))}
              </ul>
              <p>
                {t('overview.oldestPending')}:{' '}
                <strong class={s.orders.oldest_pending_ms !== null && s.orders.oldest_pending_ms > 60_000 ? 'warn' : ''}>
                  {s.orders.oldest_pending_ms === null ? t('overview.none') : span(s.orders.oldest_pending_ms)}
                </strong>
              </p>
            </Card>
            <Card title={t('overview.dispatch')}>
              <dl class="facts">
                <dt>{t('overview.mode')}</dt>
                <dd>{t(`overview.mode.${s.dispatch.mode}`)}</dd>
                <dt>{t('overview.redis')}</dt>
                <dd>
                  {s.dispatch.redis === null ? (
                    t('overview.redis.off')
                  ) : (
                    <span class={s.dispatch.redis.up ? 'ok' : 'bad'} data-redis={s.dispatch.redis.up ? 'up' : 'down'}>
                      {t(s.dispatch.redis.up ? 'overview.redis.up' : 'overview.redis.down')} ({codeLabel(t, 'redisState', s.dispatch.redis.state)})
                    </span>
                  )}
                </dd>
                {s.dispatch.redis && (
                  <>
                    <dt>{t('overview.breaker')}</dt>
                    <dd class={s.dispatch.redis.breaker === 'closed' ? '' : 'warn'} data-breaker={s.dispatch.redis.breaker}>{t(`overview.breaker.${s.dispatch.redis.breaker}`)}</dd>
                  </>
                )}
                {s.dispatch.queue_depth && (
                  <>
                    <dt>{t('overview.queueDepth')}</dt>
                    <dd>{t('overview.queueDepthValue', s.dispatch.queue_depth)}</dd>
                  </>
                )}
                <dt>{t('overview.paths')}</dt>
                <dd>
                  {PATHS.map((p) => (
                    <span class="pill">
                      {t(`overview.path.${p}`)} <strong>{count(s.dispatch.paths[p] ?? 0)}</strong>
                    </span>
                  ))}
                </dd>
                <dt>{t('overview.chainErrors')}</dt>
                <dd class={s.chain_errors > 0 ? 'warn' : ''}>{count(s.chain_errors)}</dd>
                <dt>{t('overview.process')}</dt>
                <dd>
                  {t('overview.processValue', { uptime: span(s.process.uptime_s * 1000), rss: Math.round(s.process.rss_bytes / 1048576) })}
                </dd>
              </dl>
            </Card>
            <Card title={t('overview.recent')}>
              {(s.dispatch.recent ?? []).length === 0 ? (
                <p class="muted">{t('overview.noRecent')}</p>
              ) : (
                <table>
                  <thead>
                    <tr>
                      <th>{t('col.id')}</th>
                      <th>{t('col.path')}</th>
                      <th>{t('col.time')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {(s.dispatch.recent ?? []).map((r) => (
                      <tr>
                        <td>
                          <a href={href(`orders/${r.order_id}`)}>
                            <Mono value={r.order_id} short={short(r.order_id, 8, 4)} />
                          </a>
                        </td>
                        <td>{t(`overview.path.${r.path}`)}</td>
                        <td title={time(r.at)}>{ago(t, Date.now() - Date.parse(r.at))}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </Card>
          </>
        )}
      </Loaded>
      <Card title={t('overview.delays')} wide>
        <Loaded polled={delays}>{(d) => <DelayChart delays={d} />}</Loaded>
      </Card>
    </div>
  );
}
