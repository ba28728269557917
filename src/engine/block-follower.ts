import { BLOCKS_PER_REQUEST, ChainUnavailableError, type ChainBlock } from '../chain/gateway.js';
import { advanceCursor, createCursor, findCursor, holdCursor, releaseCursor, type ChainCursor } from '../db/chain-cursor.js';
import { acceptedPassedOver, anyOpenTransaction, openPastExpiration, openTransactionsAmong, settleFromBlocks, updateOpenChainTx, type OpenTransaction } from '../db/chain-transactions.js';
import { makePaymentsDue } from '../db/flash-payments.js';
import { makeOrdersDue } from '../db/order-leases.js';
import { chargeBandwidth } from '../db/pool-snapshots.js';
import { TX_BYTES } from '../domain/pool-fees.js';
import type { DbHandle } from '../db/connect.js';
import { TurnLoop } from '../turn-loop.js';
import type { EngineContext } from './context.js';
import { passedOverUpTo, recordFee, resendGapMs } from './journaled-transaction.js';
import { activateLandedDelegations, type LandedDelegation } from './landed-delegations.js';

/** With nothing of ours in flight, the chain is read this many poll intervals apart (a minute on mainnet). */
const IDLE_POLLS = 20;

/**
 * Something else that reads the blocks the follower reads (deposits to our
 * addresses): `find` makes its requests first, then `apply` writes in the
 * follower's database transaction, with the cursor's move, so nothing is
 * missed after a crash and a batch read twice changes nothing twice.
 */
export interface BlockWatcher<T = unknown> {
  /**
   * How many of these blocks (from the first, at least one) to take this
   * turn: a watcher whose `find` asks the node per item keeps each turn
   * short, so that confirmations are not held up behind it.
   */
  take?(blocks: readonly ChainBlock[]): Promise<number>;
  find(blocks: readonly ChainBlock[]): Promise<T>;
  /** Writes what `find` found; returns the orders it created, to be woken after the commit. */
  apply(tx: DbHandle, found: T): Promise<readonly string[] | void>;
  /** Told once `apply`'s transaction has committed. */
  committed?(): void;
}

/** How the follower wakes the orders whose transactions it settled (the runner's wakes). */
export interface OrderWakes {
  /** Due now: its holder reads what was settled. */
  wake(orderId: string): void;
  /** Due in `ms` (the follower moved it to active, due at its expiry): instead of any wake set before. */
  wakeIn(orderId: string, ms: number): void;
}

/** What a block said about one of our transactions. */
interface Sighting {
  tx: OpenTransaction;
  block: ChainBlock;
  /** The block's result code; undefined when it gives none. */
  result: string | undefined;
}

/**
 * Reads each new solidified block once, for the whole cluster, and settles
 * every journaled transaction of ours found in it: confirmed (or failed)
 * with its block, and the orders made due and woken. The orders of our
 * delegations confirmed are moved to active right after, in one
 * transaction for the batch, unless someone holds them (landed-delegations.ts):
 * a claim and a commit fewer each. Transactions the
 * solidified chain has passed the expiration of without them are marked
 * expired in the same database transaction that moves the cursor, so
 * whoever reads the cursor and then a row still open knows it is still in
 * the race. The holder of an accepted transaction waits for these wakes
 * rather than looking on a timer, so the follower also wakes it when the
 * chain passes the transaction over (dropped by a node: to be sent again).
 * Confirmation costs one request per poll, however many transactions are in
 * flight: `getblockbylimitnext` on the solidified view returns up to 100
 * blocks at once, so downtime is caught up in batches.
 *
 * One follower at a time holds the cursor (a lease in the database); the
 * others stand by and take over when its lease runs out.
 */
export class BlockFollower {
  private readonly loop: TurnLoop;
  private lastRead = -Infinity;
  private following = false;
  /** The last turn left blocks to read (or failed while catching up): the next one reads at once, idle or not. */
  private catchingUp = false;
  /** Said once: standing back for a worker that watches flash-rent payments. */
  private leftToFlashWatcher = false;

  constructor(
    private readonly ctx: EngineContext,
    private readonly orders: OrderWakes,
    private readonly watchers: readonly BlockWatcher[] = [],
    /** Told when a refund of a flash payment settled: its payment is due again. */
    private readonly wakeRefunds: () => void = () => {},
    /** FLASH_RENT_ADDRESS, when a watcher serves its payments: who may follow depends on it (holdCursor). */
    private readonly flashAddress?: string,
  ) {
    this.loop = new TurnLoop(() => this.tick(), ctx.settings.confirmPollMs, (message) =>
      ctx.log.warn({ err: message }, 'block follower could not read the chain; trying again next interval'),
    );
  }

  start(): void {
    this.loop.start();
  }

  /** One turn; returns when to take the next one. */
  async tick(): Promise<number> {
    const { db, chain, workerId, settings, log } = this.ctx;
    const interval = settings.confirmPollMs;
    let cursor = await holdCursor(db, workerId, settings.leaseMs, this.flashAddress);
    if (cursor === undefined) {
      const held = await findCursor(db);
      if (held !== undefined) {
        if (this.following) log.info('another worker follows the chain now');
        this.following = false;
        this.sayIfLeftToFlashWatcher(held);
        return interval;
      }
      const solid = await chain.solidBlock();
      await createCursor(db, workerId, settings.leaseMs, solid);
      cursor = await holdCursor(db, workerId, settings.leaseMs, this.flashAddress);
      if (cursor === undefined) return interval;
    }
    if (!this.following) log.info({ block: cursor.block_number.toString(), flashRentAddress: this.flashAddress ?? null }, 'following the solidified chain');
    this.following = true;
    this.leftToFlashWatcher = false;
    const now = performance.now();
    // Catching up (the last turn left blocks to read, or failed while it did) is never idle: the blocks wait,
    // whatever is in flight.
    if (!this.catchingUp && now - this.lastRead < interval * IDLE_POLLS && !(await anyOpenTransaction(db))) return interval;
    this.lastRead = now;
    const blocks = await chain.solidBlocks(cursor.block_number + 1n, BLOCKS_PER_REQUEST);
    const contiguous = this.contiguous(cursor, blocks);
    if (contiguous.length === 0) {
      this.catchingUp = false;
      return interval;
    }
    let take = contiguous.length;
    for (const w of this.watchers) if (w.take) take = Math.min(take, Math.max(1, await w.take(contiguous)));
    await this.settle(cursor, contiguous.slice(0, take));
    // A full batch, or blocks left for the next turn: more are waiting (catching up after downtime).
    this.catchingUp = contiguous.length >= BLOCKS_PER_REQUEST || take < contiguous.length;
    return this.catchingUp ? 0 : interval;
  }

  /**
   * Says once why this worker does not follow although nobody holds the
   * cursor: a worker that watches flash-rent payments was about lately, and
   * this one, without FLASH_RENT_ADDRESS, would read past them.
   */
  private sayIfLeftToFlashWatcher(held: ChainCursor): void {
    const now = BigInt(Date.now());
    const unheld = held.lease_owner === null || (held.lease_until ?? 0n) < now;
    if (this.flashAddress !== undefined || !unheld || held.flash_watched_until === null || held.flash_watched_until < now) return;
    if (this.leftToFlashWatcher) return;
    this.leftToFlashWatcher = true;
    this.ctx.log.warn(
      { flashRentAddress: held.lease_flash_address, waitsUntil: new Date(Number(held.flash_watched_until)).toISOString() },
      'not following the chain: a worker that serves flash-rent payments (FLASH_RENT_ADDRESS) followed lately, and this one would read past them; it follows if none is back by then',
    );
  }

  /** The blocks that follow the cursor without a gap (a node that pruned history can skip some). */
  private contiguous(cursor: ChainCursor, blocks: ChainBlock[]): ChainBlock[] {
    const out: ChainBlock[] = [];
    let expect = cursor.block_number + 1n;
    for (const b of blocks) {
      if (b.number !== expect) break;
      out.push(b);
      expect++;
    }
    if (out.length === 0 && blocks.length > 0) {
      this.ctx.log.error(
        { cursor: cursor.block_number.toString(), first: blocks[0]!.number.toString() },
        // Said as it is: nothing in flight can be settled, nor declared expired, until those blocks are read.
        'the node does not serve the blocks after the follower\'s cursor; nothing in flight is settled until it does: point TRON_FULL_HOST at a node that keeps them',
      );
    }
    return out;
  }

  private async settle(cursor: ChainCursor, blocks: ChainBlock[]): Promise<void> {
    const { db, workerId } = this.ctx;
    const where = new Map<string, { block: ChainBlock; result: string | undefined }>();
    for (const block of blocks) for (const t of block.transactions) where.set(t.txid, { block, result: t.result });
    const ours = await openTransactionsAmong(db, [...where.keys()]);
    const sightings: Sighting[] = ours.map((tx) => ({ tx, ...where.get(tx.txid)! }));
    // What the block cannot say (no result, a failure's message) is looked up by id.
    const receipts = await Promise.all(sightings.map((s) => this.receiptIfNeeded(s)));
    const watched = await Promise.all(this.watchers.map((w) => w.find(blocks)));
    const last = blocks.at(-1)!;
    const outcomes = sightings.map((s, i) => {
      const receipt = receipts[i];
      const success = outcomeOf(s.result, receipt);
      // Neither the block nor the node can say yet (a node behind the one that served the block):
      // read the blocks again next turn. Taken for a failure, it would be signed a second time.
      if (success === undefined) throw new ChainUnavailableError(`no result for ${s.tx.txid} in its block, and the node has no receipt of it yet`);
      return {
        txid: s.tx.txid,
        status: success ? ('confirmed' as const) : ('failed' as const),
        blockNumber: s.block.number,
        blockTime: s.block.timestamp,
        failure: success ? null : (receipt?.failure ?? s.result ?? 'failed on chain'),
      };
    });
    const burnt = new Map<string, bigint>();
    const { ordersToWake, paymentsToWake, landings } = await db.transaction(async (tx) => {
      const orders = new Set<string>();
      const payments = new Set<string>();
      const wakeHolder = (t: OpenTransaction) => {
        if (t.order_id !== null) orders.add(t.order_id);
        if (t.payment_txid !== null) payments.add(t.payment_txid);
      };
      burnt.clear();
      const written = await settleFromBlocks(tx, outcomes);
      // A row not written was looked up by id and settled meanwhile.
      const settled = sightings.filter((s) => written.has(s.tx.txid));
      for (const s of settled) wakeHolder(s.tx);
      // Orders' delegations confirmed here: activated after the commit (activate).
      const landings: LandedDelegation[] = [];
      for (const [i, s] of sightings.entries()) {
        if (!written.has(s.tx.txid) || outcomes[i]!.status !== 'confirmed' || s.tx.kind !== 'delegate' || s.tx.order_id === null) continue;
        landings.push({ orderId: s.tx.order_id, tx: s.tx, block: { number: s.block.number, time: s.block.timestamp } });
      }
      // Our own transactions used their pools' bandwidth: the fee rules see it before the next read.
      const fees = await chargeBandwidth(tx, settled.map((s) => ({ address: s.tx.pool_address, bytes: TX_BYTES, block: s.block.number })));
      for (const [i, s] of settled.entries()) burnt.set(s.tx.txid, fees[i]!);
      for (const expired of await openPastExpiration(tx, last.timestamp, cursor.started_at)) {
        if (await updateOpenChainTx(tx, expired.txid, { status: 'expired' })) wakeHolder(expired);
      }
      // Dropped by a node (accepted, yet passed over): their holders send them again. Nothing
      // else wakes them: an accepted transaction's holder waits for the follower, not a timer.
      for (const dropped of await acceptedPassedOver(tx, passedOverUpTo(last.timestamp), cursor.started_at, resendGapMs(this.ctx))) wakeHolder(dropped);
      // A landed delegation's order is not made due here: the sweepers would claim it between
      // this commit and its activation below. It is made due after, if it was not activated.
      const landed = new Set(landings.map((l) => l.orderId));
      await makeOrdersDue(tx, [...orders].filter((id) => !landed.has(id)));
      await makePaymentsDue(tx, [...payments]);
      for (const [i, w] of this.watchers.entries()) for (const id of (await w.apply(tx, watched[i])) ?? []) orders.add(id);
      if (!(await advanceCursor(tx, workerId, last))) throw new Error('the follower lost its lease; another worker follows now');
      return { ordersToWake: orders, paymentsToWake: payments, landings };
    });
    for (const s of sightings) {
      const holder = s.tx.payment_txid !== null ? { paymentTxid: s.tx.payment_txid } : { orderId: s.tx.order_id! };
      recordFee(this.ctx, holder, s.tx, burnt.get(s.tx.txid) ?? 0n);
    }
    if (sightings.length > 0) this.ctx.log.debug({ settled: sightings.length, block: last.number.toString() }, 'transactions settled from solidified blocks');
    const activated = await this.activate(landings);
    await this.leaveToHolders(landings.filter((l) => !activated.has(l.orderId)));
    for (const id of ordersToWake) {
      const dueInMs = activated.get(id);
      if (dueInMs === undefined || dueInMs === 0) this.orders.wake(id);
      else this.orders.wakeIn(id, dueInMs);
    }
    if (paymentsToWake.size > 0) this.wakeRefunds();
    for (const w of this.watchers) w.committed?.();
  }

  /**
   * The orders of the delegations just confirmed that nobody holds, moved to
   * active here (landed-delegations.ts), each with when it is due next. If
   * that fails, none was: every order is woken, and its holder activates it.
   */
  private async activate(landings: readonly LandedDelegation[]): Promise<Map<string, number>> {
    try {
      const activated = await activateLandedDelegations(this.ctx, landings);
      return new Map(activated.map((a) => [a.order.id, a.dueInMs]));
    } catch (err) {
      this.ctx.log.warn({ err, orders: landings.length }, 'could not activate the confirmed delegations; their orders are woken to do it');
      return new Map();
    }
  }

  /**
   * The orders of confirmed delegations not activated here, made due so that
   * their holders (woken next) activate them. Should this write fail, or the
   * process stop before it, each is looked at when its backstop comes
   * (journaled-transaction.ts's ACCEPTED_BACKSTOP_POLLS): late, never lost.
   */
  private async leaveToHolders(landings: readonly LandedDelegation[]): Promise<void> {
    if (landings.length === 0) return;
    await makeOrdersDue(this.ctx.db, landings.map((l) => l.orderId)).catch((err: unknown) =>
      this.ctx.log.warn({ err, orders: landings.length }, 'could not make the orders of confirmed delegations due; their backstops will'),
    );
  }

  /**
   * The transaction's receipt, only where the block does not tell what we
   * need: no result code, or a failure (for its message). Fees are not in
   * blocks: what a pool burnt is estimated from its snapshot (chargeBandwidth).
   */
  private async receiptIfNeeded(s: Sighting): Promise<{ success: boolean; failure: string | undefined } | undefined> {
    if (s.result === 'SUCCESS') return undefined;
    const status = await this.ctx.chain.transactionStatus(s.tx.txid);
    if (status.state !== 'confirmed') return undefined;
    return { success: status.success, failure: status.failure };
  }

  /** Stops following and gives the cursor back, so another worker follows at once. */
  async close(): Promise<void> {
    await this.loop.close();
    await releaseCursor(this.ctx.db, this.ctx.workerId).catch(() => {});
  }
}

/**
 * Whether a transaction found in a solidified block succeeded: its result
 * code in the block (`SUCCESS`, or a failure's code), else its receipt;
 * undefined when neither says (no code in the block, no receipt yet).
 */
export function outcomeOf(result: string | undefined, receipt: { success: boolean } | undefined): boolean | undefined {
  if (receipt !== undefined) return receipt.success;
  return result === undefined ? undefined : result === 'SUCCESS';
}
