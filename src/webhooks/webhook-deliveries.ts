import type { WebhooksConfig } from '../config.js';
import type { Db } from '../db/connect.js';
import {
  claimDueWebhooks,
  dueWebhookTenants,
  findTenantWebhook,
  pruneWebhookEvents,
  recordAttempt,
  type AttemptOutcome,
  type WebhookEvent,
} from '../db/webhook-outbox.js';
import { backoffMs } from '../domain/backoff.js';
import { WEBHOOK_MAX_BACKOFF_MS, WEBHOOK_RETENTION_MS } from '../domain/webhook-events.js';
import type { Logger } from '../observability/logger.js';
import { TurnLoop } from '../turn-loop.js';
import { postWebhook, type PostResult } from './post.js';
import { signatureHeader } from '../domain/webhook-signature.js';

/** How often settled events past their retention are looked for. */
const PRUNE_EVERY_MS = 60 * 60 * 1000;
const PRUNE_BATCH = 1000;

/**
 * Delivers the outbox: every worker claims due deliveries with a lease (as
 * orders are claimed; SKIP LOCKED on PostgreSQL), a few per tenant at a
 * time, the tenants waiting longest first, so a slow or dead receiver holds
 * at most its own share of the slots and never delays another tenant (nor
 * orders: delivery runs apart from everything else). Each event is POSTed
 * to the tenant's current URL, signed with its current secret: a 2xx
 * delivers it; anything else is tried again after `base × 2^attempt` (equal
 * jitter: between half of that and all of it, at most an hour apart) until
 * 24 h have passed, then given up.
 * A lease that runs out (a worker died mid-request) makes it due again:
 * delivery is at least once, and the event id tells repeats apart.
 */
export class WebhookDeliveries {
  private readonly loop: TurnLoop;
  private readonly inFlight = new Map<string, number>();
  private total = 0;
  private readonly running = new Set<Promise<void>>();
  private lastPrune = 0;
  private readonly perTenant: number;
  /** When each tenant was last given a slot (a count of slots given): the least lately served idle tenant goes first. */
  private readonly lastServed = new Map<string, number>();
  private served = 0;
  private readonly leaseMs: number;

  constructor(
    private readonly db: Db,
    private readonly config: WebhooksConfig,
    private readonly log: Logger,
    private readonly workerId: string,
    intervalMs: number,
  ) {
    this.perTenant = Math.max(1, Math.floor(config.concurrency / 4));
    // Longer than any request can take: a lease runs out only when its worker is gone.
    this.leaseMs = config.timeoutMs + 30_000;
    this.loop = new TurnLoop(
      async () => {
        await this.tick();
        await this.pruneNow();
        return undefined;
      },
      intervalMs,
      (message) => log.warn({ err: message }, 'webhook deliveries: turn failed; trying again next interval'),
    );
  }

  start(): void {
    this.loop.start();
  }

  /** Look now rather than at the next interval. */
  wake(): void {
    this.loop.wake();
  }

  /**
   * One turn: claims what the free slots allow, tenant by tenant, and starts
   * each delivery. First a slot for each tenant with nothing in flight, the
   * one served least lately first, then more, up to its share, for the
   * longest-waiting. A tenant whose receiver hangs holds each slot for a
   * timeout, and its retries keep its oldest event due: served
   * longest-waiting first alone, every slot such tenants free would go back
   * to them, and four of them (four shares) would keep every other tenant's
   * events waiting for as long as they have any.
   */
  async tick(): Promise<void> {
    if (this.total >= this.config.concurrency) return;
    const tenants = await dueWebhookTenants(this.db, 100);
    const served = (tenantId: string) => this.lastServed.get(tenantId) ?? -1;
    const idle = tenants.filter((tenantId) => !this.inFlight.has(tenantId)).sort((x, y) => served(x) - served(y));
    for (const [tenantId, upTo] of [...idle.map((t) => [t, 1] as const), ...tenants.map((t) => [t, this.perTenant] as const)]) {
      const free = Math.min(this.config.concurrency - this.total, upTo - (this.inFlight.get(tenantId) ?? 0));
      if (this.loop.closed || this.config.concurrency - this.total <= 0) break;
      if (free <= 0) continue;
      const claimed = await claimDueWebhooks(this.db, tenantId, this.workerId, this.leaseMs, free);
      for (const event of claimed) this.start1(event);
    }
  }

  private start1(event: WebhookEvent): void {
    this.lastServed.set(event.tenant_id, ++this.served);
    this.total++;
    this.inFlight.set(event.tenant_id, (this.inFlight.get(event.tenant_id) ?? 0) + 1);
    const run = this.deliver(event)
      .catch((err: unknown) => this.log.warn({ eventId: event.id, err: err instanceof Error ? err.message : String(err) }, 'webhook delivery could not be recorded; its lease runs out and it is tried again'))
      .finally(() => {
        this.total--;
        const left = (this.inFlight.get(event.tenant_id) ?? 1) - 1;
        if (left === 0) this.inFlight.delete(event.tenant_id);
        else this.inFlight.set(event.tenant_id, left);
        this.running.delete(run);
        // A slot came free: others may be waiting for it.
        this.wake();
      });
    this.running.add(run);
  }

  private async deliver(event: WebhookEvent): Promise<void> {
    const tenant = await findTenantWebhook(this.db, event.tenant_id);
    const startedAt = BigInt(Date.now());
    let result: PostResult;
    const url = tenant?.webhook_url ?? null;
    if (url === null || !tenant?.signing_secret) {
      result = { statusCode: null, error: 'the tenant has no webhook URL any more', durationMs: 0 };
    } else {
      const t = Math.floor(Date.now() / 1000);
      result = await postWebhook(
        url,
        event.payload,
        {
          'content-type': 'application/json',
          'user-agent': 'Joule-Webhooks/1',
          'joule-event-id': event.id,
          'joule-event-type': event.type,
          'joule-signature': signatureHeader(tenant.signing_secret, event.payload, t),
        },
        { timeoutMs: this.config.timeoutMs, allowPrivate: this.config.allowPrivate },
      );
    }
    const ok = result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300;
    const next: AttemptOutcome['next'] = ok
      ? { status: 'delivered' }
      : url === null
        ? { status: 'failed' }
        : { status: 'pending', retryInMs: backoffMs(Number(event.attempts), this.config.retryBaseMs, WEBHOOK_MAX_BACKOFF_MS) };
    // The attempt's log row and the event's new state: one commit, both or neither.
    const row = await this.db.transaction((tx) => recordAttempt(tx, event, {
      url: url ?? '',
      worker: this.workerId,
      startedAt,
      durationMs: result.durationMs,
      statusCode: result.statusCode,
      error: result.error,
      next,
    }));
    // Never the secret nor the signature.
    const fields = { eventId: event.id, type: event.type, tenant: event.tenant_id, attempt: Number(event.attempts) + 1, status: result.statusCode, ms: result.durationMs };
    if (ok) this.log.info(fields, 'webhook delivered');
    else if (row?.status === 'failed') this.log.warn({ ...fields, error: result.error }, 'webhook given up: no 2xx within its retry window');
    else this.log.info({ ...fields, error: result.error, retryAt: row?.next_attempt_at?.toString() ?? null }, 'webhook not accepted; retried later');
  }

  private async pruneNow(): Promise<void> {
    if (Date.now() - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = Date.now();
    const n = await this.db.transaction((tx) => pruneWebhookEvents(tx, WEBHOOK_RETENTION_MS, PRUNE_BATCH));
    if (n > 0) this.log.info({ events: n }, 'old webhook events pruned');
    if (n === PRUNE_BATCH) this.lastPrune = 0;
  }

  /** Stops claiming; waits for the requests in flight (each ends within WEBHOOK_TIMEOUT_MS). */
  async close(): Promise<void> {
    await this.loop.close();
    await Promise.all([...this.running]);
  }
}
