import type { Kysely } from 'kysely';
import type { Dialect } from '../connect.js';
import * as m001 from './001-initial.js';
import * as m002 from './002-execution.js';
import * as m003 from './003-pool-snapshots.js';
import * as m004 from './004-partial-indexes.js';
import * as m005 from './005-delivered-energy-and-pool-fees.js';
import * as m006 from './006-block-follower.js';
import * as m007 from './007-currencies-and-deposit-addresses.js';
import * as m008 from './008-flash-rent.js';
import * as m009 from './009-order-cancel.js';
import * as m010 from './010-saved-addresses.js';
import * as m011 from './011-tenants-and-api-keys.js';
import * as m012 from './012-webhooks.js';
import * as m013 from './013-rate-limits.js';
import * as m014 from './014-finished-order-times.js';
import * as m015 from './015-order-tenant.js';
import * as m016 from './016-webhook-due-per-tenant.js';
import * as m017 from './017-locked-rentals-by-receiver.js';
import * as m018 from './018-open-orders-by-user.js';
import * as m019 from './019-deposits-by-ledger-entry.js';
import * as m020 from './020-tenant-users-by-user.js';
import * as m021 from './021-rentals-under-way-by-pool.js';
import * as m022 from './022-follower-watches-flash.js';
import * as m023 from './023-flash-payment-refund-fee.js';

export interface Migration {
  name: string;
  up(db: Kysely<any>, dialect: Dialect): Promise<void>;
}

/** Numbered and append-only: never edit a migration that has shipped, add the next one. */
export const MIGRATIONS: readonly Migration[] = [
  { name: '001-initial', up: m001.up },
  { name: '002-execution', up: m002.up },
  { name: '003-pool-snapshots', up: m003.up },
  { name: '004-partial-indexes', up: m004.up },
  { name: '005-delivered-energy-and-pool-fees', up: m005.up },
  { name: '006-block-follower', up: m006.up },
  { name: '007-currencies-and-deposit-addresses', up: m007.up },
  { name: '008-flash-rent', up: m008.up },
  { name: '009-order-cancel', up: m009.up },
  { name: '010-saved-addresses', up: m010.up },
  { name: '011-tenants-and-api-keys', up: m011.up },
  { name: '012-webhooks', up: m012.up },
  { name: '013-rate-limits', up: m013.up },
  { name: '014-finished-order-times', up: m014.up },
  { name: '015-order-tenant', up: m015.up },
  { name: '016-webhook-due-per-tenant', up: m016.up },
  { name: '017-locked-rentals-by-receiver', up: m017.up },
  { name: '018-open-orders-by-user', up: m018.up },
  { name: '019-deposits-by-ledger-entry', up: m019.up },
  { name: '020-tenant-users-by-user', up: m020.up },
  { name: '021-rentals-under-way-by-pool', up: m021.up },
  { name: '022-follower-watches-flash', up: m022.up },
  { name: '023-flash-payment-refund-fee', up: m023.up },
];
