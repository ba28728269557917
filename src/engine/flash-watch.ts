import type { FlashRentConfig } from '../config.js';
import type { ChainBlock } from '../chain/gateway.js';
import type { DbHandle } from '../db/connect.js';
import type { Logger } from '../observability/logger.js';
import { serveFlashTransfer, type FlashTransfer } from '../use-cases/flash-payment.js';
import type { BlockWatcher } from './block-follower.js';

/**
 * Finds, in the solidified blocks the follower reads, the successful TRX
 * transfers to FLASH_RENT_ADDRESS from anyone but Joule's own pool
 * accounts, and serves each once in the follower's transaction: an order for
 * an amount in the table, a refund owed for any other. The block says all of it (amount, sender, memo, result): no request.
 */
export class FlashWatch implements BlockWatcher<FlashTransfer[]> {
  constructor(
    private readonly flash: FlashRentConfig,
    private readonly log: Logger,
    /** Told after the commit that refunds are owed. */
    private readonly refundsOwed: () => void,
    /** Joule's own pool accounts (the flash address among them): TRX one of them sends is the operator's, not a payment. */
    private readonly ownAccounts: ReadonlySet<string>,
  ) {}

  private owed = false;

  async find(blocks: readonly ChainBlock[]): Promise<FlashTransfer[]> {
    const found: FlashTransfer[] = [];
    for (const block of blocks) {
      for (const t of block.transactions) {
        const p = t.payment;
        // The operator funding the address from another pool is not paying for energy: served as a payment,
        // an amount not in the table would be sent straight back, less the refund fee.
        if (t.result !== 'SUCCESS' || p?.kind !== 'TRX' || p.to !== this.flash.address || this.ownAccounts.has(p.from)) continue;
        found.push({ txid: t.txid, sender: p.from, memo: p.memo, amountSun: p.amount, blockNumber: block.number, blockTime: block.timestamp });
      }
    }
    return found;
  }

  async apply(tx: DbHandle, transfers: readonly FlashTransfer[]): Promise<string[]> {
    const orders: string[] = [];
    this.owed = false;
    for (const t of transfers) {
      const outcome = await serveFlashTransfer(tx, this.flash, t);
      if (outcome.kind === 'duplicate') continue;
      const at = { paymentTxid: t.txid, from: t.sender, amountSun: t.amountSun.toString(), block: t.blockNumber.toString() };
      if (outcome.kind === 'order') {
        orders.push(outcome.orderId!);
        this.log.info({ ...at, orderId: outcome.orderId, receiver: outcome.receiver, energy: outcome.offer.energyAmount.toString(), duration: outcome.offer.duration.text }, 'flash-rent payment placed an order');
      } else if (outcome.kind === 'refund') {
        this.log.info({ ...at, reason: outcome.reason, refundSun: outcome.refundSun.toString() }, 'flash-rent payment will be refunded');
        this.owed = true;
      } else {
        this.log.info({ ...at, reason: outcome.reason }, 'flash-rent payment too small to refund: recorded only');
      }
    }
    return orders;
  }

  committed(): void {
    if (this.owed) this.refundsOwed();
    this.owed = false;
  }
}
