import type { Config } from '../config.js';
import type { Db } from '../db/connect.js';
import type { Dispatch } from '../dispatch/dispatch.js';
import type { UsdtTransferEstimate } from '../domain/usdt.js';
import type { Guards } from './auth.js';

/**
 * The one question the API may put to the chain, through a port the
 * composition root fills in (the chain room answers it, behind the
 * process's request budget). Failures are AppErrors with their HTTP status.
 */
export interface TransferEstimates {
  usdtTransfer(to: string): Promise<UsdtTransferEstimate>;
}

/** What route handlers may use: the database, the settings (prices among them), the guards and dispatch. Never the chain itself. */
export interface ApiContext {
  config: Config;
  db: Db;
  guards: Guards;
  /** Told about every new order after its commit; never awaited, never fails the request. */
  dispatch: Dispatch;
  /** Undefined: this process has no node to ask (role `api` without TRON_FULL_HOST). */
  estimates?: TransferEstimates | undefined;
}
