import type { ChainBlock, ChainGateway, TransferEvent } from '../chain/gateway.js';
import type { DbHandle } from '../db/connect.js';
import { anyDepositAddress } from '../db/deposit-addresses.js';
import { everyPoolAddress } from '../db/pool-snapshots.js';
import { USDT_CONTRACT } from '../domain/usdt.js';
import type { Logger } from '../observability/logger.js';
import { creditChainDeposit, depositOwners, type ChainDeposit } from '../use-cases/chain-deposit.js';
import type { BlockWatcher } from './block-follower.js';

/**
 * Receipt requests made in one follower turn at most: at TronGrid's 10
 * requests a second, a burst of USDT deposits holds the follower (and every
 * order's confirmation) for about 2 s a turn, not for the whole burst.
 */
const RECEIPT_REQUESTS_PER_TURN = 20;

/**
 * From this many USDT deposits in one block, the block's receipts are read
 * in one request (gettransactioninfobyblocknum) instead of one each: the
 * answer holds every transaction of the block, so for a single deposit the
 * receipt by id is the smaller read.
 */
const WHOLE_BLOCK_FROM = 2;

/** How often the deposit watch reads the cluster's pool accounts again (a pool added elsewhere is known within this). */
const POOLS_READ_EVERY_MS = 60_000;

type Payment = NonNullable<ChainBlock['transactions'][number]['payment']>;

/** Payments of some blocks that may be deposits, and the owners of those of their receivers that are deposit addresses. */
interface Candidates {
  candidates: { block: ChainBlock; txid: string; payment: Payment }[];
  owners: Map<string, bigint>;
}

/**
 * Finds, in the solidified blocks the follower reads, the payments to our
 * users' deposit addresses, and credits each once. TRX transfers are read
 * from the block itself. A USDT transfer to one of our addresses (a direct
 * transfer call, which the block shows) is confirmed by its receipt's
 * Transfer events: one request for a block holding one such transfer, one
 * for all of a block's receipts when it holds more, none for a block
 * without.
 * Failed transactions are never credited (only SUCCESS in the block, and a
 * failed call emits no event), nor transfers of nothing: a deposit of 0
 * would fail its row's check inside the follower's transaction, and stop
 * the follower at that block for good.
 */
export class DepositWatch implements BlockWatcher<ChainDeposit[]> {
  constructor(
    private readonly db: DbHandle,
    private readonly chain: ChainGateway,
    private readonly minimums: { TRX: bigint; USDT: bigint },
    private readonly log: Logger,
    /**
     * This worker's pool accounts. With every pool any worker has read (ownAccounts), what one of them sends
     * to a deposit address is the operator's (TRX to activate it, or for the bandwidth of a sweep), not a
     * user's deposit, whichever worker follows.
     */
    private readonly configuredPools: ReadonlySet<string> = new Set(),
  ) {}

  private pools?: { accounts: ReadonlySet<string>; readAt: number };

  /** Joule's pool accounts, this worker's and every other's (their snapshots), read again at most once a minute. */
  private async ownAccounts(): Promise<ReadonlySet<string>> {
    const now = performance.now();
    if (this.pools === undefined || now - this.pools.readAt > POOLS_READ_EVERY_MS) {
      this.pools = { accounts: new Set([...this.configuredPools, ...(await everyPoolAddress(this.db))]), readAt: now };
    }
    return this.pools.accounts;
  }

  /** Once true, stays so: an address handed out is never taken back. */
  private addressesHandedOut = false;

  /**
   * What `take` looked at, for `find` on the same turn: the follower takes
   * blocks, then finds in the first of them, and the receivers' owners,
   * read once, are the same for both (an address is committed before
   * anyone is told it, so before a block paying it can be read).
   */
  private looked?: { blocks: readonly ChainBlock[]; found: Candidates };

  /** Payments in these blocks that may be deposits, and which of their receivers are deposit addresses: read by `take`, reused by `find`. */
  private async candidates(blocks: readonly ChainBlock[]): Promise<Candidates> {
    const looked = this.looked;
    this.looked = undefined;
    if (looked !== undefined && blocks.length <= looked.blocks.length && blocks.every((b, i) => b === looked.blocks[i])) {
      const within = new Set(blocks);
      return { candidates: looked.found.candidates.filter((c) => within.has(c.block)), owners: looked.found.owners };
    }
    return this.lookAt(blocks);
  }

  private async lookAt(blocks: readonly ChainBlock[]): Promise<Candidates> {
    // Every follower watches, whatever its own settings: the API that hands out addresses may be configured
    // apart from the worker that follows, and a block read without this watch is never read again. Until an
    // address exists, a row read a turn replaces the look-up of every payment's receiver. (An address is
    // committed before anyone is told it, so before any block holding a payment to it is read.)
    if (!this.addressesHandedOut) this.addressesHandedOut = await anyDepositAddress(this.db);
    if (!this.addressesHandedOut) return { candidates: [], owners: new Map<string, bigint>() };
    const own = await this.ownAccounts();
    const candidates = blocks.flatMap((block) =>
      block.transactions
        .filter(
          (t) =>
            t.result === 'SUCCESS' &&
            t.payment !== undefined &&
            t.payment.amount > 0n &&
            (t.payment.kind === 'TRX' || t.payment.token === USDT_CONTRACT) &&
            !own.has(t.payment.from),
        )
        .map((t) => ({ block, txid: t.txid, payment: t.payment! })),
    );
    const owners = candidates.length === 0 ? new Map<string, bigint>() : await depositOwners(this.db, [...new Set(candidates.map((c) => c.payment.to))]);
    return { candidates, owners };
  }

  /** The USDT transfers to deposit addresses whose receipts must be read, by block, in block order. */
  private receiptsToRead(candidates: Candidates['candidates'], owners: Map<string, bigint>) {
    const byBlock = new Map<ChainBlock, string[]>();
    for (const c of candidates) {
      if (c.payment.kind !== 'TRC20' || !owners.has(c.payment.to)) continue;
      const txids = byBlock.get(c.block) ?? [];
      txids.push(c.txid);
      byBlock.set(c.block, txids);
    }
    return byBlock;
  }

  /** As many blocks as need no more than RECEIPT_REQUESTS_PER_TURN receipt requests (at least one). */
  async take(blocks: readonly ChainBlock[]): Promise<number> {
    const found = await this.lookAt(blocks);
    this.looked = { blocks, found };
    const { candidates, owners } = found;
    // Block by block, in order: the first block that would pass the cap is left out.
    let requests = 0;
    for (const [block, txids] of this.receiptsToRead(candidates, owners)) {
      requests += txids.length >= WHOLE_BLOCK_FROM ? 1 : txids.length;
      if (requests > RECEIPT_REQUESTS_PER_TURN) return Math.max(1, blocks.indexOf(block));
    }
    return blocks.length;
  }

  /** What these blocks paid to deposit addresses. Reads only; crediting is `apply`, in the follower's transaction. */
  async find(blocks: readonly ChainBlock[]): Promise<ChainDeposit[]> {
    const { candidates, owners } = await this.candidates(blocks);
    if (candidates.length === 0) return [];
    const wholeBlocks = new Map<ChainBlock, Map<string, TransferEvent[]>>();
    for (const [block, txids] of this.receiptsToRead(candidates, owners)) {
      if (txids.length >= WHOLE_BLOCK_FROM) wholeBlocks.set(block, await this.chain.blockTransferEvents(block.number));
    }
    const found: ChainDeposit[] = [];
    for (const c of candidates) {
      if (!owners.has(c.payment.to)) continue;
      const at = { txid: c.txid, blockNumber: c.block.number, blockTime: c.block.timestamp };
      if (c.payment.kind === 'TRX') {
        found.push({ address: c.payment.to, currency: 'TRX', amount: c.payment.amount, eventIndex: 0, ...at });
        continue;
      }
      // A receipt the block's answer lacks (a node still indexing it) is asked for by id: never taken for no event.
      const events = wholeBlocks.get(c.block)?.get(c.txid) ?? (await this.chain.transferEvents(c.txid));
      for (const e of events) {
        // A transfer of nothing pays nothing: anyone can send one to any address, holding no USDT at all.
        if (e.token === USDT_CONTRACT && owners.has(e.to) && e.amount > 0n) found.push({ address: e.to, currency: 'USDT', amount: e.amount, eventIndex: e.index, ...at });
      }
    }
    return found;
  }

  /**
   * Credits what `find` found, each once, in the follower's transaction (a
   * repeat, after a restart or by another worker, is a duplicate).
   */
  async apply(tx: DbHandle, deposits: readonly ChainDeposit[]): Promise<void> {
    for (const d of deposits) {
      const outcome = await creditChainDeposit(tx, d, this.minimums);
      if (outcome === 'duplicate') continue;
      this.log.info(
        { address: d.address, currency: d.currency, amount: d.amount.toString(), txid: d.txid, eventIndex: d.eventIndex, block: d.blockNumber.toString(), outcome },
        outcome === 'credited' ? 'deposit credited' : 'deposit below the minimum: recorded, not credited',
      );
    }
  }
}
