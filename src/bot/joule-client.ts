/**
 * The bot's only way into Joule: its public HTTP API, with the bot's own
 * client key (one tenant; Telegram users are that tenant's users). Each
 * answer is either what the API documents or one of two errors, so that no
 * screen can mistake a failure for a success:
 *   JouleRefused     the API answered with an error body ({error:{code,message}})
 *   JouleUnreachable no answer (refused, timed out) or one that is not the API's
 */

export class JouleRefused extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** The error's other fields (price_sun and balance_sun for insufficient_balance, reason for a cancel, …). */
    readonly details: Record<string, unknown>,
  ) {
    super(message);
  }
}

export class JouleUnreachable extends Error {
  constructor(
    message: string,
    /** False when the request certainly never reached Joule (connection refused): nothing it asked for happened. */
    readonly mayHaveArrived: boolean,
  ) {
    super(message);
  }
}

/** Errors fetch reports when no connection was made, so no request was read. */
const NOT_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/** An order as GET /api/orders/:id answers it: only the fields the bot reads. */
export interface OrderView {
  id: string;
  user_id: number;
  status: string;
  energy_amount: number;
  duration: string;
  receive_address: string;
  price: string;
  pay_currency: string;
  delegate_txid: string | null;
  reclaim_txid: string | null;
  reclaim_attempts: number;
  wait_reason: string | null;
  error_code: string | null;
  error_message: string | null;
  /** What was refunded, in the order's pay_currency's smallest unit (sun, micro-USDT). */
  refunded: string | null;
  refunded_sun: string | null;
  expires_at: string | null;
  /** Set once a cancel was asked for: an active rental then ends early. */
  cancel_requested_at: string | null;
  created_at: string;
}

export interface PriceTable {
  min_energy: number;
  max_energy: number;
  durations: Array<{ duration: string; seconds: number }>;
}

export interface Quote {
  price: string;
  price_decimal: string;
  pay_currency: string;
}

export interface UserBalances {
  balance_sun: string;
  balance_trx: string;
  balance_micro_usdt: string;
  balance_usdt: string;
}

/** A ledger entry as GET /api/users/:id/ledger answers it: only the fields the bot reads. */
export interface LedgerEntryView {
  id: string;
  kind: string;
  currency: string;
  /** Signed, in the currency's smallest unit. */
  amount: string;
}

export interface SavedAddress {
  address: string;
  label: string;
  energy: { activated: boolean; available: number | string; limit: number | string } | null;
  energy_error: string | null;
}

export interface UsdtEstimate {
  energy_amount: number;
  holds_usdt: boolean;
}

export interface PoolView {
  address: string;
  available_energy: number | string | null;
  last_error: string | null;
}

export interface StatusView {
  orders: { by_status: Record<string, number>; oldest_pending_ms: number | null };
  dispatch: { mode: string; redis: { state: string; up: boolean; breaker: string } | null };
}

type Query = Record<string, string | number | undefined>;

export class JouleClient {
  constructor(
    private readonly baseUrl: string,
    private readonly key: string,
    private readonly timeoutMs: number,
    /** For /stats and alerts; undefined: those calls are refused before any request. */
    private readonly adminToken?: string,
  ) {}

  priceTable(): Promise<PriceTable> {
    return this.call('GET', '/api/prices');
  }

  quote(energyAmount: number, duration: string, payCurrency: 'TRX' | 'USDT' = 'TRX'): Promise<Quote> {
    return this.call('GET', '/api/prices/quote', { query: { energy_amount: energyAmount, duration, ...(payCurrency === 'TRX' ? {} : { pay_currency: payCurrency }) } });
  }

  /** 201 a new order, 200 the one this key already placed: the same either way. */
  placeOrder(
    order: { userId: number; energyAmount: number; duration: string; receiveAddress: string; payCurrency?: 'TRX' | 'USDT'; maxPrice?: string },
    idempotencyKey: string,
  ): Promise<OrderView> {
    return this.call('POST', '/api/orders', {
      body: {
        user_id: order.userId,
        energy_amount: order.energyAmount,
        duration: order.duration,
        receive_address: order.receiveAddress,
        ...(order.payCurrency === undefined || order.payCurrency === 'TRX' ? {} : { pay_currency: order.payCurrency }),
        ...(order.maxPrice === undefined ? {} : { max_price: order.maxPrice }),
      },
      headers: { 'idempotency-key': idempotencyKey },
    });
  }

  order(id: string): Promise<OrderView> {
    return this.call('GET', `/api/orders/${encodeURIComponent(id)}`);
  }

  async recentOrders(userId: number, limit = 10): Promise<OrderView[]> {
    const page = await this.call<{ orders: OrderView[] }>('GET', '/api/orders', { query: { user_id: userId, limit } });
    return page.orders;
  }

  cancel(orderId: string): Promise<OrderView> {
    return this.call('POST', `/api/orders/${encodeURIComponent(orderId)}/cancel`);
  }

  /** A user who never deposited nor ordered has no row yet: zero balances. */
  async balances(userId: number): Promise<UserBalances> {
    try {
      return await this.call('GET', `/api/users/${userId}`);
    } catch (err) {
      if (err instanceof JouleRefused && err.code === 'not_found') return { balance_sun: '0', balance_trx: '0', balance_micro_usdt: '0', balance_usdt: '0' };
      throw err;
    }
  }

  /** The user's newest ledger entries, newest first; none for a user with no row yet. */
  async ledger(userId: number, limit: number): Promise<LedgerEntryView[]> {
    try {
      return (await this.call<{ entries: LedgerEntryView[] }>('GET', `/api/users/${userId}/ledger`, { query: { limit } })).entries;
    } catch (err) {
      if (err instanceof JouleRefused && err.code === 'not_found') return [];
      throw err;
    }
  }

  /** The user's own deposit address; undefined when the operator takes no deposits on chain. */
  async depositAddress(userId: number): Promise<string | undefined> {
    try {
      return (await this.call<{ address: string }>('GET', `/api/users/${userId}/deposit-address`)).address;
    } catch (err) {
      if (err instanceof JouleRefused && err.code === 'deposits_not_configured') return undefined;
      throw err;
    }
  }

  async savedAddresses(userId: number): Promise<SavedAddress[]> {
    return (await this.call<{ addresses: SavedAddress[] }>('GET', `/api/users/${userId}/addresses`)).addresses;
  }

  saveAddress(userId: number, address: string, label: string): Promise<SavedAddress> {
    return this.call('POST', `/api/users/${userId}/addresses`, { body: { address, label } });
  }

  forgetAddress(userId: number, address: string): Promise<unknown> {
    return this.call('DELETE', `/api/users/${userId}/addresses/${encodeURIComponent(address)}`);
  }

  usdtEstimate(to: string, duration: string): Promise<UsdtEstimate> {
    return this.call('GET', '/api/estimate/usdt-transfer', { query: { to, duration } });
  }

  status(): Promise<StatusView> {
    return this.call('GET', '/api/status', { admin: true });
  }

  async pools(): Promise<PoolView[]> {
    return (await this.call<{ pools: PoolView[] }>('GET', '/api/pools', { admin: true })).pools;
  }

  /** Every tenant's orders in one status (admin): the alerts look for reclaims that keep failing. */
  async ordersInStatus(status: string, limit: number): Promise<OrderView[]> {
    return (await this.call<{ orders: OrderView[] }>('GET', '/api/orders', { query: { status, limit }, admin: true })).orders;
  }

  private async call<T>(method: string, path: string, opts: { query?: Query; body?: unknown; headers?: Record<string, string>; admin?: boolean } = {}): Promise<T> {
    const url = new URL(this.baseUrl + path);
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    if (opts.admin && this.adminToken === undefined) throw new JouleRefused(401, 'unauthorized', 'no JOULE_ADMIN_TOKEN', {});
    const headers: Record<string, string> = { authorization: `Bearer ${opts.admin ? this.adminToken : this.key}`, ...opts.headers };
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    let text: string;
    try {
      res = await fetch(url, {
        method,
        headers,
        ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await res.text();
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      const timedOut = (err as Error).name === 'TimeoutError';
      throw new JouleUnreachable(
        `${method} ${path}: ${timedOut ? `no answer within ${this.timeoutMs} ms` : `${(err as Error).message}${cause ? ` (${cause})` : ''}`}`,
        !(cause !== undefined && NOT_CONNECTED.has(cause)),
      );
    }
    let body: any;
    try {
      body = JSON.parse(text);
    } catch {
      throw new JouleUnreachable(`${method} ${path}: HTTP ${res.status} without a JSON body`, true);
    }
    if (res.ok) return body as T;
    const error = body?.error;
    if (typeof error?.code !== 'string') throw new JouleUnreachable(`${method} ${path}: HTTP ${res.status} without an error body`, true);
    const { code, message, ...details } = error as { code: string; message: string };
    throw new JouleRefused(res.status, code, String(message), details);
  }
}
