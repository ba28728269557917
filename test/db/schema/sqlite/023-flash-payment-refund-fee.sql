-- table api_keys
CREATE TABLE "api_keys" (
  "id" text primary key,
  "tenant_id" text not null references "tenants" ("id"),
  "name" text not null,
  "key_hash" text not null unique,
  "key_prefix" text not null,
  "created_at" bigint not null,
  "rotated_at" bigint,
  "last_used_at" bigint,
  "revoked_at" bigint,
  "rate_limit_per_min" bigint
);

-- index api_keys_tenant on api_keys
CREATE INDEX "api_keys_tenant" on "api_keys" ("tenant_id", "created_at");

-- index sqlite_autoindex_api_keys_1 on api_keys (id): primary key, from the table definition

-- index sqlite_autoindex_api_keys_2 on api_keys (key_hash): unique, from the table definition

-- table chain_cursors
CREATE TABLE "chain_cursors" (
  "name" text primary key,
  "block_number" bigint not null,
  "block_time" bigint not null,
  "started_at" bigint not null,
  "lease_owner" text,
  "lease_until" bigint,
  "updated_at" bigint not null,
  "lease_flash_address" text,
  "flash_watched_until" bigint
);

-- index sqlite_autoindex_chain_cursors_1 on chain_cursors (name): primary key, from the table definition

-- table chain_deposits
CREATE TABLE "chain_deposits" (
  "id" integer primary key autoincrement,
  "txid" text not null,
  "event_index" bigint not null,
  "address" text not null,
  "user_id" bigint not null references "users" ("id"),
  "currency" text not null,
  "amount" bigint not null,
  "block_number" bigint not null,
  "block_time" bigint not null,
  "credited" bigint not null,
  "ledger_entry_id" bigint references "ledger_entries" ("id"),
  "created_at" bigint not null,
  constraint "chain_deposits_event" unique ("txid", "event_index"),
  constraint "chain_deposits_currency_known" check (currency in ('TRX', 'USDT')),
  constraint "chain_deposits_amount_positive" check (amount > 0),
  constraint "chain_deposits_credited_has_entry" check (credited in (0, 1) and (credited = 1) = (ledger_entry_id is not null))
);

-- index chain_deposits_ledger_entry on chain_deposits
CREATE INDEX "chain_deposits_ledger_entry" on "chain_deposits" ("ledger_entry_id");

-- index chain_deposits_user on chain_deposits
CREATE INDEX "chain_deposits_user" on "chain_deposits" ("user_id", "id");

-- index sqlite_autoindex_chain_deposits_1 on chain_deposits (txid, event_index): unique, from the table definition

-- table chain_transactions
CREATE TABLE "chain_transactions" (
  "txid" text primary key,
  "order_id" text references "orders" ("id"),
  "kind" text not null,
  "pool_address" text not null,
  "receiver" text not null,
  "amount_sun" bigint not null,
  "lock_blocks" bigint,
  "signed_json" text not null,
  "expiration" bigint not null,
  "status" text not null,
  "result_code" text,
  "result_message" text,
  "block_number" bigint,
  "broadcasts" bigint default 0 not null,
  "created_at" bigint not null,
  "updated_at" bigint not null,
  "confirmed_at" bigint,
  "payment_txid" text references "flash_payments" ("txid"),
  constraint "chain_tx_kind_known" check (kind in ('delegate', 'reclaim', 'refund')),
  constraint "chain_tx_status_known" check (status in ('signed', 'broadcast', 'confirmed', 'failed', 'expired')),
  constraint "chain_tx_has_holder" check (order_id is not null or payment_txid is not null)
);

-- index chain_tx_order on chain_transactions
CREATE INDEX "chain_tx_order" on "chain_transactions" ("order_id", "kind", "created_at");

-- index chain_tx_payment on chain_transactions
CREATE INDEX "chain_tx_payment" on "chain_transactions" ("payment_txid", "kind", "created_at");

-- index chain_tx_status_expiration on chain_transactions
CREATE INDEX "chain_tx_status_expiration" on "chain_transactions" ("status", "expiration");

-- index sqlite_autoindex_chain_transactions_1 on chain_transactions (txid): primary key, from the table definition

-- table deposit_addresses
CREATE TABLE "deposit_addresses" (
  "user_id" bigint primary key references "users" ("id"),
  "derivation_index" bigint not null unique,
  "address" text not null unique,
  "created_at" bigint not null,
  constraint "deposit_index_not_hardened" check (derivation_index >= 0 and derivation_index < 2147483648)
);

-- index sqlite_autoindex_deposit_addresses_1 on deposit_addresses (user_id): primary key, from the table definition

-- index sqlite_autoindex_deposit_addresses_2 on deposit_addresses (derivation_index): unique, from the table definition

-- index sqlite_autoindex_deposit_addresses_3 on deposit_addresses (address): unique, from the table definition

-- table flash_payments
CREATE TABLE "flash_payments" (
  "txid" text primary key,
  "sender" text not null,
  "memo" text,
  "amount_sun" bigint not null,
  "block_number" bigint not null,
  "block_time" bigint not null,
  "refund_status" text,
  "refund_reason" text,
  "refund_sun" bigint,
  "refund_txid" text,
  "refund_tx_status" text,
  "lease_owner" text,
  "lease_until" bigint,
  "lease_version" bigint default 0 not null,
  "attempts" bigint default 0 not null,
  "next_attempt_at" bigint,
  "wait_reason" text,
  "created_at" bigint not null,
  "updated_at" bigint not null,
  "refund_fee_sun" bigint,
  constraint "flash_payments_amount_positive" check (amount_sun > 0),
  constraint "flash_payments_refund_status_known" check (refund_status is null or refund_status in ('due', 'refunded')),
  constraint "flash_payments_refund_positive" check ((refund_status is null) = (refund_sun is null) and (refund_sun is null or refund_sun > 0))
);

-- index flash_payments_created_at on flash_payments
CREATE INDEX "flash_payments_created_at" on "flash_payments" ("created_at");

-- index flash_payments_refund_due on flash_payments
CREATE INDEX "flash_payments_refund_due" on "flash_payments" ("next_attempt_at") where "refund_status" = 'due';

-- index sqlite_autoindex_flash_payments_1 on flash_payments (txid): primary key, from the table definition

-- table ledger_entries
CREATE TABLE "ledger_entries" (
  "id" integer primary key autoincrement,
  "user_id" bigint not null references "users" ("id"),
  "kind" text not null,
  "amount_sun" bigint not null,
  "balance_after_sun" bigint not null,
  "order_id" text,
  "reference" text,
  "created_at" bigint not null,
  "currency" text default 'TRX' not null check (currency in ('TRX', 'USDT')),
  constraint "ledger_kind_known" check (kind in ('deposit', 'order_debit', 'refund')),
  constraint "ledger_amount_not_zero" check (amount_sun <> 0)
);

-- index ledger_deposit_reference on ledger_entries
CREATE UNIQUE INDEX "ledger_deposit_reference" on "ledger_entries" ("reference") where "reference" is not null;

-- index ledger_order_kind on ledger_entries
CREATE UNIQUE INDEX "ledger_order_kind" on "ledger_entries" ("order_id", "kind");

-- index ledger_user on ledger_entries
CREATE INDEX "ledger_user" on "ledger_entries" ("user_id", "id");

-- table order_events
CREATE TABLE "order_events" (
  "id" integer primary key autoincrement,
  "order_id" text not null references "orders" ("id"),
  "from_status" text,
  "to_status" text not null,
  "reason" text not null,
  "actor" text not null,
  "detail" text,
  "at" bigint not null,
  constraint "events_to_known" check (to_status in ('pending', 'delegating', 'active', 'reclaiming', 'completed', 'failed', 'cancelled'))
);

-- index order_events_order on order_events
CREATE INDEX "order_events_order" on "order_events" ("order_id", "id");

-- table orders
CREATE TABLE "orders" (
  "id" text primary key,
  "user_id" bigint not null references "users" ("id"),
  "status" text not null,
  "energy_amount" bigint not null,
  "duration" text not null,
  "duration_seconds" bigint not null,
  "receive_address" text not null,
  "price_sun" bigint not null,
  "rate_sun_per_energy_day" bigint not null,
  "idempotency_key" text,
  "request_hash" text not null,
  "pool_address" text,
  "delegated_sun" bigint,
  "delegate_txid" text,
  "reclaim_txid" text,
  "lease_owner" text,
  "lease_until" bigint,
  "lease_version" bigint default 0 not null,
  "attempts" bigint default 0 not null,
  "next_attempt_at" bigint,
  "error_code" text,
  "error_message" text,
  "refunded_sun" bigint,
  "created_at" bigint not null,
  "updated_at" bigint not null,
  "delegated_at" bigint,
  "expires_at" bigint,
  "reclaimed_at" bigint,
  "completed_at" bigint,
  "failed_at" bigint,
  "delegate_tx_status" text,
  "reclaim_tx_status" text,
  "lock_blocks" bigint,
  "wait_reason" text,
  "reclaim_attempts" bigint default 0 not null,
  "delivered_energy" bigint,
  "pay_currency" text default 'TRX' not null check (pay_currency in ('TRX', 'USDT')),
  "payment_txid" text references "flash_payments" ("txid"),
  "cancel_requested_at" bigint,
  "cancelled_at" bigint,
  "tenant_id" text default 'default' not null,
  constraint "orders_status_known" check (status in ('pending', 'delegating', 'active', 'reclaiming', 'completed', 'failed', 'cancelled')),
  constraint "orders_amounts_positive" check (energy_amount > 0 and price_sun > 0 and duration_seconds > 0)
);

-- index orders_cancelled_at on orders
CREATE INDEX "orders_cancelled_at" on "orders" ("cancelled_at") where "cancelled_at" is not null and "completed_at" is null;

-- index orders_completed_at on orders
CREATE INDEX "orders_completed_at" on "orders" ("completed_at") where "completed_at" is not null;

-- index orders_created_at on orders
CREATE INDEX "orders_created_at" on "orders" ("created_at");

-- index orders_delegated_at on orders
CREATE INDEX "orders_delegated_at" on "orders" ("delegated_at", "created_at") where "delegated_at" is not null;

-- index orders_expiry on orders
CREATE INDEX "orders_expiry" on "orders" ("expires_at") where "status" = 'active';

-- index orders_failed_at on orders
CREATE INDEX "orders_failed_at" on "orders" ("failed_at") where "failed_at" is not null;

-- index orders_idempotency_key on orders
CREATE UNIQUE INDEX "orders_idempotency_key" on "orders" ("idempotency_key") where "idempotency_key" is not null;

-- index orders_locked_receiver on orders
CREATE INDEX "orders_locked_receiver" on "orders" ("receive_address", "pool_address") where status in ('delegating', 'active', 'reclaiming') and lock_blocks is not null;

-- index orders_payment_txid on orders
CREATE UNIQUE INDEX "orders_payment_txid" on "orders" ("payment_txid") where "payment_txid" is not null;

-- index orders_receiver on orders
CREATE INDEX "orders_receiver" on "orders" ("receive_address", "id");

-- index orders_status on orders
CREATE INDEX "orders_status" on "orders" ("status", "id");

-- index orders_tenant on orders
CREATE INDEX "orders_tenant" on "orders" ("tenant_id", "id");

-- index orders_under_way_by_pool on orders
CREATE INDEX "orders_under_way_by_pool" on "orders" ("pool_address", "status", "delegated_sun") where status in ('delegating', 'active', 'reclaiming');

-- index orders_user on orders
CREATE INDEX "orders_user" on "orders" ("user_id", "id");

-- index orders_user_open on orders
CREATE INDEX "orders_user_open" on "orders" ("user_id", "pay_currency") where status in ('pending', 'delegating', 'active', 'reclaiming');

-- index sqlite_autoindex_orders_1 on orders (id): primary key, from the table definition

-- table pool_snapshots
CREATE TABLE "pool_snapshots" (
  "address" text primary key,
  "staked_sun" bigint default 0 not null,
  "delegated_sun" bigint default 0 not null,
  "delegatable_sun" bigint default 0 not null,
  "energy_limit" bigint default 0 not null,
  "total_energy_weight" bigint default 0 not null,
  "total_energy_limit" bigint default 0 not null,
  "observed_at" bigint,
  "error" text,
  "updated_at" bigint not null,
  "balance_sun" bigint default 0 not null,
  "free_net_limit" bigint default 0 not null,
  "free_net_used" bigint default 0 not null,
  "net_limit" bigint default 0 not null,
  "net_used" bigint default 0 not null,
  "transaction_fee_sun" bigint default 0 not null,
  "observed_block" bigint
);

-- index sqlite_autoindex_pool_snapshots_1 on pool_snapshots (address): primary key, from the table definition

-- table rate_limit_counts
CREATE TABLE "rate_limit_counts" (
  "credential" text not null,
  "window_start" bigint not null,
  "count" bigint not null,
  constraint "rate_limit_counts_pkey" primary key ("credential", "window_start")
);

-- index sqlite_autoindex_rate_limit_counts_1 on rate_limit_counts (credential, window_start): primary key, from the table definition

-- table receiver_energy
CREATE TABLE "receiver_energy" (
  "address" text primary key,
  "activated" bigint,
  "energy_limit" bigint,
  "energy_used" bigint,
  "observed_at" bigint,
  "due_at" bigint,
  "error" text,
  "updated_at" bigint not null,
  constraint "receiver_energy_activated_flag" check (activated is null or activated in (0, 1))
);

-- index receiver_energy_due on receiver_energy
CREATE INDEX "receiver_energy_due" on "receiver_energy" ("due_at") where "due_at" is not null;

-- index sqlite_autoindex_receiver_energy_1 on receiver_energy (address): primary key, from the table definition

-- table saved_addresses
CREATE TABLE "saved_addresses" (
  "user_id" bigint not null references "users" ("id"),
  "address" text not null,
  "label" text not null,
  "created_at" bigint not null,
  "updated_at" bigint not null,
  constraint "saved_addresses_pkey" primary key ("user_id", "address"),
  constraint "saved_addresses_label_length" check (length(label) between 1 and 64)
);

-- index saved_addresses_address on saved_addresses
CREATE INDEX "saved_addresses_address" on "saved_addresses" ("address");

-- index sqlite_autoindex_saved_addresses_1 on saved_addresses (user_id, address): primary key, from the table definition

-- table schema_migrations
CREATE TABLE "schema_migrations" (
  "name" text primary key,
  "applied_at" bigint not null
);

-- index sqlite_autoindex_schema_migrations_1 on schema_migrations (name): primary key, from the table definition

-- table sqlite_sequence
CREATE TABLE sqlite_sequence (
  name,
  seq
);

-- table tenant_users
CREATE TABLE "tenant_users" (
  "tenant_id" text not null references "tenants" ("id"),
  "external_id" bigint not null,
  "user_id" bigint not null unique references "users" ("id"),
  "created_at" bigint not null,
  constraint "tenant_users_pkey" primary key ("tenant_id", "external_id"),
  constraint "tenant_users_ids" check (external_id > 0 and user_id < 0)
);

-- index sqlite_autoindex_tenant_users_1 on tenant_users (user_id): unique, from the table definition

-- index sqlite_autoindex_tenant_users_2 on tenant_users (tenant_id, external_id): primary key, from the table definition

-- index tenant_users_tenant_user on tenant_users
CREATE INDEX "tenant_users_tenant_user" on "tenant_users" ("tenant_id", "user_id");

-- table tenants
CREATE TABLE "tenants" (
  "id" text primary key,
  "name" text not null,
  "created_at" bigint not null,
  "updated_at" bigint not null,
  "webhook_url" text,
  "signing_secret" text
);

-- index sqlite_autoindex_tenants_1 on tenants (id): primary key, from the table definition

-- table users
CREATE TABLE "users" (
  "id" bigint primary key,
  "balance_sun" bigint default 0 not null,
  "created_at" bigint not null,
  "updated_at" bigint not null,
  "balance_micro_usdt" bigint default 0 not null check (balance_micro_usdt >= 0),
  constraint "users_balance_not_negative" check (balance_sun >= 0)
);

-- index sqlite_autoindex_users_1 on users (id): primary key, from the table definition

-- table webhook_attempts
CREATE TABLE "webhook_attempts" (
  "id" integer primary key autoincrement,
  "event_id" text not null references "webhook_events" ("id"),
  "url" text not null,
  "worker" text not null,
  "started_at" bigint not null,
  "duration_ms" bigint not null,
  "status_code" bigint,
  "error" text
);

-- index webhook_attempts_event on webhook_attempts
CREATE INDEX "webhook_attempts_event" on "webhook_attempts" ("event_id", "id");

-- table webhook_events
CREATE TABLE "webhook_events" (
  "id" text primary key,
  "tenant_id" text not null references "tenants" ("id"),
  "type" text not null,
  "payload" text not null,
  "created_at" bigint not null,
  "status" text not null,
  "attempts" bigint default 0 not null,
  "next_attempt_at" bigint,
  "deadline_at" bigint not null,
  "lease_owner" text,
  "lease_until" bigint,
  "lease_version" bigint default 0 not null,
  "last_attempt_at" bigint,
  "last_status_code" bigint,
  "last_error" text,
  "last_duration_ms" bigint,
  "delivered_at" bigint,
  "updated_at" bigint not null,
  constraint "webhook_events_type_known" check (type in ('order.created', 'order.active', 'order.completed', 'order.failed', 'order.cancelled', 'deposit.credited')),
  constraint "webhook_events_status_known" check (status in ('pending', 'delivered', 'failed'))
);

-- index sqlite_autoindex_webhook_events_1 on webhook_events (id): primary key, from the table definition

-- index webhook_events_created on webhook_events
CREATE INDEX "webhook_events_created" on "webhook_events" ("created_at");

-- index webhook_events_tenant on webhook_events
CREATE INDEX "webhook_events_tenant" on "webhook_events" ("tenant_id", "id");

-- index webhook_events_tenant_due on webhook_events
CREATE INDEX "webhook_events_tenant_due" on "webhook_events" ("tenant_id", "next_attempt_at", "id") where "status" = 'pending';
