import type { AccountInfo, ChainGateway } from '../chain/gateway.js';

/** Receivers remembered at most (the least recently used go first). */
const MAX_KNOWN = 10_000;

/**
 * The receive address as the chain knows it, before anything is signed for
 * it (activated? a contract?), asked of the node once per receiver: an
 * activated account that is not a contract stays one (TRON deletes no
 * account), so the answer is kept for as long as the process lives. Most
 * rentals go to receivers seen before; each of them saves a request from
 * the quota and a round trip between an order's creation and its broadcast.
 * Orders to one new receiver at once share one request. Any other answer is
 * asked again next time: an address not activated yet may be activated by
 * then, and a contract may destroy itself. Should a remembered account ever
 * become a contract, the node refuses the delegation: the order waits and
 * fails with a refund, nothing lands.
 */
export function receiverCheck(chain: ChainGateway, maxKnown = MAX_KNOWN): (address: string) => Promise<AccountInfo> {
  const known = new Set<string>();
  const asking = new Map<string, Promise<AccountInfo>>();
  return (address) => {
    if (known.has(address)) {
      // Least recently used first out: a Set keeps insertion order.
      known.delete(address);
      known.add(address);
      return Promise.resolve({ exists: true, isContract: false });
    }
    let pending = asking.get(address);
    if (pending === undefined) {
      pending = chain
        .account(address)
        .then((account) => {
          if (account.exists && !account.isContract) {
            known.add(address);
            if (known.size > maxKnown) known.delete(known.values().next().value as string);
          }
          return account;
        })
        .finally(() => asking.delete(address));
      asking.set(address, pending);
    }
    return pending;
  };
}
