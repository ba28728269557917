import type { Config } from '../config.js';
import type { Db } from '../db/connect.js';
import type { PriceTable } from '../domain/pricing.js';
import type { Guards } from './auth.js';

/** What route handlers may use: the database, the settings and the guards. Never the chain. */
export interface ApiContext {
  config: Config;
  db: Db;
  prices: PriceTable;
  guards: Guards;
}
