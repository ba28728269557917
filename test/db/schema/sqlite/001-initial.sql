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
  constraint "events_to_known" check (to_status in ('pending', 'delegating', 'active', 'reclaiming', 'completed', 'failed'))
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
  constraint "orders_status_known" check (status in ('pending', 'delegating', 'active', 'reclaiming', 'completed', 'failed')),
  constraint "orders_amounts_positive" check (energy_amount > 0 and price_sun > 0 and duration_seconds > 0)
);

-- index orders_idempotency_key on orders
CREATE UNIQUE INDEX "orders_idempotency_key" on "orders" ("idempotency_key") where "idempotency_key" is not null;

-- index orders_receiver on orders
CREATE INDEX "orders_receiver" on "orders" ("receive_address", "id");

-- index orders_status on orders
CREATE INDEX "orders_status" on "orders" ("status", "id");

-- index orders_user on orders
CREATE INDEX "orders_user" on "orders" ("user_id", "id");

-- index sqlite_autoindex_orders_1 on orders (id): primary key, from the table definition

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

-- table users
CREATE TABLE "users" (
  "id" bigint primary key,
  "balance_sun" bigint default 0 not null,
  "created_at" bigint not null,
  "updated_at" bigint not null,
  constraint "users_balance_not_negative" check (balance_sun >= 0)
);

-- index sqlite_autoindex_users_1 on users (id): primary key, from the table definition
