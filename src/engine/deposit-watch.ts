import type { ChainBlock, ChainGateway } from '../chain/gateway.js';
import type { DbHandle } from '../db/connect.js';
import { USDT_CONTRACT } from '../domain/usdt.js';
import type { Logger } from '../observability/logger.js';
import { creditChainDeposit, depositOwners, type ChainDeposit } from '../use-cases/chain-deposit.js';
import type { BlockWatcher } from './block-follower.js';

/**
 * Receipts read in one follower turn at most: at TronGrid's 10 requests a
 * second, a burst of USDT deposits holds the follower (and every order's
 * confirmation) for about 2 s a turn, not for the whole burst.
 */
const RECEIPTS_PER_TURN = 20;

/**
 * Finds, in the solidified blocks the follower reads, the payments to our
 * users' deposit addresses, and credits each once. TRX transfers are read
 * from the block itself. A USDT transfer to one of our addresses (a direct
 * transfer call, which the block shows) is confirmed by its receipt's
 * Transfer events: one request per such transfer, never one per block.
 * Failed transactions are never credited (only SUCCESS in the block, and a
 * failed call emits no event).
 */
export class DepositWatch implements BlockWatcher<ChainDeposit[]> {
  constructor(
    private readonly db: DbHandle,
    private readonly chain: ChainGateway,
    private readonly minimums: { TRX: bigint; USDT: bigint },
    private readonly log: Logger,
  ) {}

  /** Payments in these blocks that may be deposits, and which of their receivers are deposit addresses. */
  private async candidates(blocks: readonly ChainBlock[]) {
    const candidates = blocks.flatMap((block) =>
      block.transactions
        .filter((t) => t.result === 'SUCCESS' && t.payment !== undefined && (t.payment.kind === 'TRX' || t.payment.token === USDT_CONTRACT))
        .map((t) => ({ block, txid: t.txid, payment: t.payment! })),
    );
    const owners = candidates.length === 0 ? new Map<string, bigint>() : await depositOwners(this.db, [...new Set(candidates.map((c) => c.payment.to))]);
    return { candidates, owners };
  }

  /** As many blocks as need no more than RECEIPTS_PER_TURN receipts (at least one). */
  async take(blocks: readonly ChainBlock[]): Promise<number> {
    const { candidates, owners } = await this.candidates(blocks);
    // Candidates come block by block, in order: the first block that would pass the cap is left out.
    let receipts = 0;
    for (const c of candidates) {
      if (c.payment.kind !== 'TRC20' || !owners.has(c.payment.to)) continue;
      if (++receipts > RECEIPTS_PER_TURN) return Math.max(1, blocks.indexOf(c.block));
    }
    return blocks.length;
  }

  /** What these blocks paid to deposit addresses. Reads only; crediting is `apply`, in the follower's transaction. */
  async find(blocks: readonly ChainBlock[]): Promise<ChainDeposit[]> {
    const { candidates, owners } = await this.candidates(blocks);
    if (candidates.length === 0) return [];
    const found: ChainDeposit[] = [];
    for (const c of candidates) {
      if (!owners.has(c.payment.to)) continue;
      const at = { txid: c.txid, blockNumber: c.block.number, blockTime: c.block.timestamp };
      if (c.payment.kind === 'TRX') {
        found.push({ address: c.payment.to, currency: 'TRX', amount: c.payment.amount, eventIndex: 0, ...at });
        continue;
      }
      for (const e of await this.chain.transferEvents(c.txid)) {
        if (e.token === USDT_CONTRACT && owners.has(e.to)) found.push({ address: e.to, currency: 'USDT', amount: e.amount, eventIndex: e.index, ...at });
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
