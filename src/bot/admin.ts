/**
 * What the operator sees in Telegram (TELEGRAM_ADMIN_IDS): /stats, and
 * alerts when a reclaim keeps failing (wait reason reclaim_retrying) or a
 * pool's available energy falls below BOT_POOL_LOW_ENERGY. Both read Joule's
 * admin endpoints with JOULE_ADMIN_TOKEN. An alert is sent once when its
 * condition starts; a pool's says so again when it recovers.
 */
import type { Logger } from '../observability/logger.js';
import { energyText, shortAddress, shortId } from './format.js';
import { t, type Language } from './i18n.js';
import type { JouleClient } from './joule-client.js';

export async function statsText(joule: JouleClient, lang: Language): Promise<string> {
  const [status, pools] = await Promise.all([joule.status(), joule.pools()]);
  const orders = Object.entries(status.orders.by_status)
    .map(([s, n]) => `${s} ${n}`)
    .join(', ');
  const oldest = status.orders.oldest_pending_ms === null ? '-' : `${Math.round(status.orders.oldest_pending_ms / 1000)} s`;
  const redis = status.dispatch.redis === null ? 'off' : `${status.dispatch.redis.state} (${status.dispatch.redis.up ? 'up' : 'down'}, breaker ${status.dispatch.redis.breaker})`;
  const poolLines = pools.map((p) => `  ${shortAddress(p.address)}: ${p.available_energy === null ? '?' : energyText(p.available_energy)}${p.last_error ? ` (${p.last_error})` : ''}`);
  return t(lang, 'admin.stats', { orders: orders || '-', oldest, dispatch: status.dispatch.mode, redis, pools: poolLines.join('\n') || '  -' });
}

export class AdminAlerts {
  private readonly reclaimAlerted = new Set<string>();
  private readonly dryPools = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly joule: JouleClient,
    private readonly adminIds: readonly number[],
    private readonly send: (chatId: number, text: string) => Promise<void>,
    private readonly opts: { pollMs: number; poolLowEnergy: bigint; lang: (userId: number) => Language; log: Logger },
  ) {}

  start(): void {
    if (this.adminIds.length > 0) this.schedule(0);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(delay: number): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      this.running = this.check()
        .catch((err: unknown) => this.opts.log.warn({ err: (err as Error).message }, 'bot: alert check failed'))
        .finally(() => {
          this.running = undefined;
          this.schedule(this.opts.pollMs);
        });
    }, delay);
  }

  /** One look at Joule: new alerts go to every admin. */
  async check(): Promise<void> {
    const retrying = (await this.joule.ordersInStatus('reclaiming', 200)).filter((o) => o.wait_reason === 'reclaim_retrying');
    for (const o of retrying) {
      if (this.reclaimAlerted.has(o.id)) continue;
      this.reclaimAlerted.add(o.id);
      await this.tell((lang) => t(lang, 'admin.alert_reclaim', { id: shortId(o.id), address: o.receive_address, attempts: o.reclaim_attempts }));
    }
    // Forget orders that are no longer retrying: should one fall back into it, it is news again.
    const still = new Set(retrying.map((o) => o.id));
    for (const id of this.reclaimAlerted) if (!still.has(id)) this.reclaimAlerted.delete(id);

    for (const pool of await this.joule.pools()) {
      if (pool.available_energy === null) continue;
      const energy = BigInt(pool.available_energy);
      const dry = energy < this.opts.poolLowEnergy;
      if (dry === this.dryPools.has(pool.address)) continue;
      if (dry) this.dryPools.add(pool.address);
      else this.dryPools.delete(pool.address);
      const key = dry ? 'admin.alert_pool_dry' : 'admin.alert_pool_ok';
      await this.tell((lang) => t(lang, key, { address: pool.address, energy: energyText(energy) }));
    }
  }

  private async tell(text: (lang: Language) => string): Promise<void> {
    for (const id of this.adminIds) {
      try {
        await this.send(id, text(this.opts.lang(id)));
      } catch (err) {
        this.opts.log.warn({ admin: id, err: (err as Error).message }, 'bot: could not send an alert');
      }
    }
  }
}
