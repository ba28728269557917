import type { Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * The refund fee a flash-rent payment was taken under (FLASH_RENT_REFUND_FEE_SUN
 * when it was served), kept with the payment. Whoever owes it back later (a
 * worker failing its order, an API process cancelling it, perhaps without
 * flash-rent settings of its own, or after the operator changed the fee)
 * keeps what the payer was told. Null for payments served before: the fee of
 * the process that owes them back applies, as it did.
 */
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  await db.schema.alterTable('flash_payments').addColumn('refund_fee_sun', 'bigint').execute();
}
