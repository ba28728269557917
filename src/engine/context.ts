import type { AccountInfo, ChainGateway, ChainParameters, PoolAccount } from '../chain/gateway.js';
import type { CrashPoint, FlashRentConfig } from '../config.js';
import type { CancelRefundPolicy } from '../domain/cancel.js';
import type { Db } from '../db/connect.js';
import type { Order } from '../db/orders.js';
import type { Logger } from '../observability/logger.js';

export interface EngineSettings {
  /** How long a claim holds an order before another worker may take it over. */
  leaseMs: number;
  /** A block interval: how often a waiting order looks at the journal again, and the unit of retry backoff. */
  confirmPollMs: number;
  /** How often pools are read from the node (their snapshots carry the network totals too). */
  poolRefreshMs: number;
  /** How long an order may wait for pool capacity before it fails with a refund. */
  poolWaitTimeoutMs: number;
  /** Delegate with a lock covering the rental, so the receiver cannot lose it early. */
  delegateLock: boolean;
  /** Extra stake in basis points of the ordered energy (ENERGY_MARGIN_BPS). */
  energyMarginBps: number;
  /** CANCEL_REFUND_POLICY: what an active order cancelled early gets back once reclaimed. */
  cancelRefundPolicy: CancelRefundPolicy;
  crashPoint: CrashPoint | undefined;
}

export interface EngineContext {
  db: Db;
  chain: ChainGateway;
  /** The chain's parameters, cached (longest lock, fee per byte). */
  chainParameters(): Promise<ChainParameters>;
  /** A receive address as the chain knows it; activated ones asked of the node once (receiver-check.ts). */
  receiverAccount(address: string): Promise<AccountInfo>;
  pools: readonly PoolAccount[];
  settings: EngineSettings;
  log: Logger;
  /** Names this process in leases and events. */
  workerId: string;
  /** FLASH_RENT_*: how much of a flash-rent payment goes back when its order fails. */
  flashRent?: FlashRentConfig | undefined;
  /** Optional: told about transitions (e.g. to schedule the reclaim job). Must not throw or block. */
  hooks?: EngineHooks;
}

export interface EngineHooks {
  /** The delegation is confirmed; `order.expires_at` is when its reclaim is due. */
  orderActive?(order: Order): void;
  /** Our delegation or reclaim changed a saved address's energy: its read is due now (committed). */
  receiverEnergyMoved?(): void;
  /** A pool's snapshot should be read from the node again soon: our own stake move it cannot follow, or a node's refusal. */
  poolsNeedReading?(pool: string): void;
  /**
   * Work waits on what the snapshots say (`undefined`: no pool had room; a pool: it cannot pay for a
   * transaction): read them again, at most once per few block intervals however many ask.
   */
  poolsWaitedOn?(pool: string | undefined): void;
  /** A flash-rent payment is owed back: the refunds worker may look now. */
  flashRefundOwed?(): void;
}

/** Test hook: die exactly here, as a crash would, leaving whatever the journal says. */
export function crashPoint(ctx: EngineContext, point: CrashPoint): void {
  if (ctx.settings.crashPoint === point) {
    ctx.log.warn({ point }, 'crash point reached: killing the process');
    process.kill(process.pid, 'SIGKILL');
  }
}
