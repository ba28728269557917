import type { AccountInfo, ChainGateway } from '../chain/gateway.js';

/**
 * Receivers remembered at most, of each kind: activated ones (the least
 * recently used go first) and refusals (the earliest heard go first).
 */
const MAX_KNOWN = 10_000;

export interface ReceiverCheckOptions {
  /**
   * How long a refusal (not activated, a contract) stands before the node is
   * asked again: a block interval (CONFIRM_POLL_MS). The node's answer only
   * changes when a block does, so asking again sooner would mostly hear the
   * same, and each order to such an address would cost a request.
   */
  refusalMs: number;
  maxKnown?: number;
  now?: () => number;
}

/**
 * The receive address as the chain knows it, before anything is signed for
 * it (activated? a contract?), asked of the node once per receiver: an
 * activated account that is not a contract stays one (TRON deletes no
 * account), so the answer is kept for as long as the process lives. Most
 * rentals go to receivers seen before; each of them saves a request from
 * the quota and a round trip between an order's creation and its broadcast.
 * Orders to one new receiver at once share one request.
 *
 * Any other answer stands for `refusalMs` only, then is asked again: an
 * address not activated yet may be activated by the next block, and a
 * contract may destroy itself. Within that time, orders to it fail on the
 * answer already heard: a flood of orders to a contract or an unused address
 * costs one request a block, not one per order. Should a remembered account
 * ever become a contract, the node refuses the delegation: the order waits
 * and fails with a refund, nothing lands.
 */
export function receiverCheck(chain: ChainGateway, options: ReceiverCheckOptions): (address: string) => Promise<AccountInfo> {
  const { refusalMs, maxKnown = MAX_KNOWN, now = Date.now } = options;
  const known = new Set<string>();
  const refused = new Map<string, { account: AccountInfo; until: number }>();
  const asking = new Map<string, Promise<AccountInfo>>();
  // The first inserted goes first: a Set or a Map keeps insertion order (an activated receiver is re-inserted on each use).
  const forgetOldestPastBound = <K>(kept: Set<K> | Map<K, unknown>) => {
    if (kept.size > maxKnown) kept.delete(kept.keys().next().value as K);
  };
  return (address) => {
    if (known.has(address)) {
      known.delete(address);
      known.add(address);
      return Promise.resolve({ exists: true, isContract: false });
    }
    const refusal = refused.get(address);
    if (refusal !== undefined) {
      if (refusal.until > now()) return Promise.resolve(refusal.account);
      refused.delete(address);
    }
    let pending = asking.get(address);
    if (pending === undefined) {
      pending = chain
        .account(address)
        .then((account) => {
          if (account.exists && !account.isContract) {
            known.add(address);
            forgetOldestPastBound(known);
          } else if (refusalMs > 0) {
            refused.set(address, { account, until: now() + refusalMs });
            forgetOldestPastBound(refused);
          }
          return account;
        })
        .finally(() => asking.delete(address));
      asking.set(address, pending);
    }
    return pending;
  };
}
