import { apiGet } from '../api.js';
import { Card, Loaded, Mono } from '../components.js';
import { ago, count, time, trx } from '../format.js';
import { useI18n } from '../i18n.js';
import { usePoll } from '../poll.js';
import type { Pool } from '../types.js';

/** Share of a pool's stake in each state, for the capacity bar (floats are fine for a picture). */
function shares(p: Pool) {
  const staked = Number(p.staked_sun) || 1;
  const pct = (sun: string) => Math.max(0, Math.min(100, (100 * Number(sun)) / staked));
  return { delegated: pct(p.delegated_sun), reserved: pct(p.reserved_sun), available: pct(p.available_sun) };
}

export function Pools() {
  const { t } = useI18n();
  const pools = usePoll(() => apiGet<{ pools: Pool[] }>('/api/pools'), 'pools');
  return (
    <Card title={t('pools.title')} wide>
      <p class="muted">{t('pools.intro')}</p>
      <Loaded polled={pools}>
        {({ pools: list }) => {
          if (list.length === 0) return <p class="muted">{t('pools.empty')}</p>;
          const live = list.filter((p) => !p.retired);
          const totalSun = live.reduce((s, p) => s + BigInt(p.available_sun), 0n).toString();
          const totalEnergy = live.reduce((s, p) => s + p.available_energy, 0);
          return (
            <>
              <p class="total" data-total-energy={totalEnergy}>
                {t('pools.total', { trx: trx(totalSun), energy: count(totalEnergy) })}
              </p>
              <table class="pools">
                <thead>
                  <tr>
                    <th>{t('col.address')}</th>
                    <th class="num">{t('col.staked')}</th>
                    <th class="num">{t('col.delegated')}</th>
                    <th class="num">{t('col.reserved')}</th>
                    <th class="num">{t('col.delegatable')}</th>
                    <th class="num">{t('col.available')}</th>
                    <th class="num">{t('col.availableEnergy')}</th>
                    <th class="num">{t('col.energyPerTrx')}</th>
                    <th class="num">{t('col.poolTrx')}</th>
                    <th class="num" title={t('pools.bandwidthHint')}>{t('col.bandwidth')}</th>
                    <th>{t('col.observed')}</th>
                  </tr>
                </thead>
                <tbody>
                  {list.map((p) => {
                    const s = shares(p);
                    return (
                      <tr data-pool={p.address} class={p.retired ? 'retired' : undefined}>
                        <td>
                          <Mono value={p.address} />
                          <div class="capacity" aria-hidden="true">
                            <span class="delegated" style={{ width: `${s.delegated}%` }} />
                            <span class="reserved" style={{ width: `${s.reserved}%` }} />
                            <span class="available" style={{ width: `${s.available}%` }} />
                          </div>
                          {p.retired && <div class="muted small" data-retired>{t('pools.retired', { age: ago(t, Date.now() - Date.parse(p.updated_at)) })}</div>}
                          {p.error && !p.retired && <div class="bad small">{t('pools.error', { message: p.error })}</div>}
                        </td>
                        <td class="num">{trx(p.staked_sun)}</td>
                        <td class="num">{trx(p.delegated_sun)}</td>
                        <td class="num">{trx(p.reserved_sun)}</td>
                        <td class="num">{trx(p.delegatable_sun)}</td>
                        <td class="num">{trx(p.available_sun)}</td>
                        <td class="num" data-available-energy={p.available_energy}>
                          {count(p.available_energy)}
                        </td>
                        <td class="num">{p.energy_per_trx.toLocaleString('en-US', { maximumFractionDigits: 4 })}</td>
                        <td class="num">{trx(p.balance_sun)}</td>
                        <td class="num" data-payable={p.transactions_payable}>
                          {t('pools.bandwidth', { free: count(p.free_bandwidth_left), staked: count(p.staked_bandwidth_left) })}
                          {p.running_dry && (
                            <div class="bad small" data-running-dry title={t('pools.bandwidthHint')}>
                              {t('pools.runningDry', { n: count(Math.max(0, p.transactions_payable - p.transactions_owed)) })}
                            </div>
                          )}
                        </td>
                        <td title={time(p.observed_at)}>{p.observed_at ? ago(t, Date.now() - Date.parse(p.observed_at)) : '—'}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </>
          );
        }}
      </Loaded>
    </Card>
  );
}
