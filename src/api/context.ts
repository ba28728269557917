import type { Config } from '../config.js';
import type { Db } from '../db/connect.js';
import type { Dispatch } from '../dispatch/dispatch.js';
import type { Guards } from './auth.js';

/** What route handlers may use: the database, the settings (prices among them), the guards and dispatch. Never the chain. */
export interface ApiContext {
  config: Config;
  db: Db;
  guards: Guards;
  /** Told about every new order after its commit; never awaited, never fails the request. */
  dispatch: Dispatch;
}
