import type { ChainGateway, ChainParameters } from '../chain/gateway.js';

/** Chain parameters change only by a proposal: read them at most this often. */
const REFRESH_MS = 3_600_000;

/**
 * The chain's parameters (the longest lock, the fee per byte), read from the
 * node once and again every hour; a failed refresh keeps the last ones.
 */
export function chainParameterCache(chain: ChainGateway): () => Promise<ChainParameters> {
  let last: { at: number; value: ChainParameters } | undefined;
  let reading: Promise<ChainParameters> | undefined;
  return async () => {
    if (last && Date.now() - last.at < REFRESH_MS) return last.value;
    reading ??= chain
      .chainParameters()
      .then((value) => {
        last = { at: Date.now(), value };
        return value;
      })
      .catch((err: unknown) => {
        if (last) return last.value;
        throw err;
      })
      .finally(() => (reading = undefined));
    return reading;
  };
}
