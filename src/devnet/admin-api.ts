// /devnet/*: what tests and operators use to drive the devnet — mine blocks,
// inject faults, and see what really happened on chain. Never itself faulted.
import { toBase58, toHexAddress } from './address.js';
import { afterPoolMessage, isNotFinalCode, NOT_FINAL_CODES, refusalMessage } from './broadcast-codes.js';
import type { ChainView, TxRecord } from './chain-state.js';
import type { DevnetNode } from './devnet-node.js';
import type { ResolvedGenesis } from './genesis.js';
import { parseInt64 } from './json-wire.js';
import type { RateLimiter } from './rate-limit.js';

export interface AdminRequest {
  method: string;
  path: string; // after /devnet
  params: Record<string, unknown>;
  node: DevnetNode;
  genesis: ResolvedGenesis;
  blockIntervalMs: number;
  profile: string;
  rateLimiter?: RateLimiter | undefined;
}

export class AdminError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function count(params: Record<string, unknown>, name: string, fallback: number | null): number | null {
  const raw = params[name];
  if (raw === undefined || raw === null || raw === '') return fallback;
  const value = parseInt64(raw);
  if (value === null || value < 0n) throw new AdminError(400, `${name} must be a non-negative integer`);
  return Number(value);
}

/** A whole number of sun or bandwidth, or 'all' where the route allows it. */
function amountOrAll(params: Record<string, unknown>, name: string): bigint | 'all' {
  const raw = params[name];
  if (raw === undefined || raw === null || raw === '') return 0n;
  if (raw === 'all') return 'all';
  const value = parseInt64(raw);
  if (value === null || value < 0n) throw new AdminError(400, `${name} must be a non-negative integer or "all"`);
  return value;
}

function addressOf(params: Record<string, unknown>): string {
  const address = toHexAddress(params.address);
  if (address === null) throw new AdminError(400, 'address must be a TRON address');
  return address;
}

/** Runs an account change, turning "no such account" into a 400. */
function onAccount(change: () => void): void {
  try {
    change();
  } catch (err) {
    throw new AdminError(400, err instanceof Error ? err.message : String(err));
  }
}

function txSummary(tx: TxRecord): Record<string, unknown> {
  return {
    txID: tx.txID,
    contractType: tx.contractType,
    owner: toHexAddress(tx.owner) === null ? tx.owner : toBase58(tx.owner),
    receiver: tx.receiver === undefined || toHexAddress(tx.receiver) === null ? tx.receiver : toBase58(tx.receiver),
    amount: tx.amount,
    resource: tx.resource,
    status: tx.status,
    block: tx.blockNumber,
    includeAtBlock: tx.includeAtBlock,
    fee: tx.fee,
    netUsage: tx.netUsage,
    netFee: tx.netFee,
    // Only for a transaction that paid it, as the energy fields are only for a smart-contract call.
    memoFee: tx.memoFee === 0n ? undefined : tx.memoFee,
    failure: tx.failure,
    contractRet: tx.vm?.contractRet,
    energyUsageTotal: tx.vm?.energyUsageTotal,
    energyFee: tx.vm?.energyFee,
    answered: tx.answered,
  };
}

function delegations(view: ChainView): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const d of view.delegations()) {
    for (const [resource, balance, expireTime] of [
      ['ENERGY', d.energy, d.energyExpireTime],
      ['BANDWIDTH', d.bandwidth, d.bandwidthExpireTime],
    ] as const) {
      if (balance === 0n) continue;
      out.push({ from: toBase58(d.from), to: toBase58(d.to), resource, balance, lock: d.lock, expireTime });
    }
  }
  return out;
}

function rateLimitState(limiter: RateLimiter | undefined): Record<string, unknown> {
  return limiter === undefined ? { enabled: false } : { enabled: true, ...limiter.snapshot() };
}

export function handleAdmin(req: AdminRequest): unknown {
  const { node, params } = req;
  const { faults, state } = node;
  const route = `${req.method} ${req.path}`;
  switch (route) {
    case 'POST /mine': {
      node.mine(count(params, 'blocks', 1)!);
      return { head: state.head, solid: state.solidBlock };
    }
    case 'GET /status':
      return {
        head: state.head,
        solid: state.solidBlock,
        pending: state.pending.length,
        profile: req.profile,
        blockIntervalMs: req.blockIntervalMs,
        solidifyLag: state.config.solidifyLag,
        rateLimit: req.rateLimiter?.limit ?? null,
        faults: faults.state,
      };
    case 'GET /accounts':
      return {
        accounts: req.genesis.accounts.map((a) => ({ name: a.name, role: a.role, address: a.address, privateKey: a.privateKey })),
        contracts: req.genesis.contracts,
      };
    case 'GET /faults':
      return faults.state;
    case 'POST /faults/clear':
    case 'DELETE /faults':
      faults.clear();
      return faults.state;
    case 'POST /faults/http-error': {
      const status = count(params, 'status', 503)!;
      if (status < 500 || status > 599) throw new AdminError(400, 'status must be 5xx');
      const when = params.when === 'after' ? 'after' : 'before';
      faults.state.httpError = {
        status,
        remaining: count(params, 'count', null),
        pathPrefix: typeof params.pathPrefix === 'string' ? params.pathPrefix : '/',
        when,
      };
      return faults.state;
    }
    case 'POST /faults/hang': {
      faults.state.hang = {
        ms: count(params, 'ms', 30_000)!,
        remaining: count(params, 'count', null),
        pathPrefix: typeof params.pathPrefix === 'string' ? params.pathPrefix : '/',
      };
      return faults.state;
    }
    case 'POST /faults/empty-read': {
      const pathPrefix = typeof params.pathPrefix === 'string' ? params.pathPrefix : '';
      if (!pathPrefix.startsWith('/wallet')) throw new AdminError(400, 'pathPrefix must name the reads to answer empty (/wallet/… or /walletsolidity/…)');
      faults.state.emptyRead = { remaining: count(params, 'count', 1), pathPrefix };
      return faults.state;
    }
    case 'POST /faults/drop':
      faults.state.drop = { remaining: count(params, 'count', null) };
      return faults.state;
    case 'POST /faults/delay':
      faults.state.delay = { blocks: count(params, 'blocks', 1)!, remaining: count(params, 'count', null) };
      return faults.state;
    case 'POST /faults/fail-broadcast': {
      const code = typeof params.code === 'string' ? params.code : 'SERVER_BUSY';
      faults.state.failBroadcast = {
        code,
        message: typeof params.message === 'string' ? params.message : refusalMessage(code),
        remaining: count(params, 'count', 1)!,
      };
      return faults.state;
    }
    case 'POST /faults/accept-then-fail': {
      const code = typeof params.code === 'string' ? params.code : 'NOT_ENOUGH_EFFECTIVE_CONNECTION';
      if (!isNotFinalCode(code)) {
        throw new AdminError(400, `code must be one of ${NOT_FINAL_CODES.join(', ')}: the others prove the transaction cannot land`);
      }
      faults.state.acceptThenFail = {
        code,
        message: typeof params.message === 'string' ? params.message : afterPoolMessage(code),
        remaining: count(params, 'count', 1),
      };
      return faults.state;
    }
    case 'GET /transactions': {
      const status = typeof params.status === 'string' ? params.status : undefined;
      // The settled ones from the history first (older), then those in memory. Pending and
      // delayed ones are never settled: listing them reads nothing from disk.
      const unsettled = status === 'pending' || status === 'delayed';
      const settled = unsettled ? [] : [...(state.history?.transactions() ?? [])].filter((t) => !state.txs.has(t.txID));
      const txs = [...settled, ...state.txs.values()].filter((t) => status === undefined || t.status === status);
      return { transactions: txs.map(txSummary) };
    }
    case 'GET /delegations':
      return { delegations: delegations(params.view === 'solid' ? state.solid() : state.latest()) };
    case 'POST /consume-energy': {
      const address = toHexAddress(params.address);
      const energy = parseInt64(params.energy);
      if (address === null || energy === null || energy < 0n) throw new AdminError(400, 'address and energy are required');
      try {
        node.consumeEnergy(address, energy);
      } catch (err) {
        throw new AdminError(400, err instanceof Error ? err.message : String(err));
      }
      return { ok: true };
    }
    case 'POST /accounts/set-balance': {
      const address = addressOf(params);
      const balance = parseInt64(params.balance_sun);
      if (balance === null || balance < 0n) throw new AdminError(400, 'balance_sun must be a non-negative integer');
      onAccount(() => node.setBalance(address, balance));
      return { address: toBase58(address), balance: state.latest().account(address)!.balance };
    }
    case 'POST /consume-bandwidth': {
      const address = addressOf(params);
      const net = amountOrAll(params, 'net');
      const freeNet = amountOrAll(params, 'free_net');
      onAccount(() => node.consumeBandwidth(address, net, freeNet));
      const account = state.latest().account(address)!;
      return { address: toBase58(address), net_usage: account.netUsage, free_net_usage: account.freeNetUsage };
    }
    case 'POST /network/energy-weight': {
      const total = params.total_trx === undefined ? null : parseInt64(params.total_trx);
      const delta = params.delta_trx === undefined ? null : parseInt64(params.delta_trx);
      if ((total === null) === (delta === null)) throw new AdminError(400, 'give exactly one of total_trx and delta_trx (whole TRX)');
      if (total !== null && total <= 0n) throw new AdminError(400, 'total_trx must be positive');
      let weight: bigint;
      try {
        weight = node.scheduleEnergyWeight(total !== null ? { total } : { delta: delta! });
      } catch (err) {
        throw new AdminError(400, err instanceof Error ? err.message : String(err));
      }
      return { TotalEnergyWeight: weight, TotalEnergyLimit: state.config.totalEnergyLimit, fromBlock: state.head + 1 };
    }
    case 'GET /calls':
      return node.calls.snapshot();
    case 'DELETE /calls':
    case 'POST /calls/reset':
      node.calls.reset();
      return node.calls.snapshot();
    case 'GET /rate-limit':
      return rateLimitState(req.rateLimiter);
    case 'DELETE /rate-limit':
    case 'POST /rate-limit/reset':
      // Quotas and suspensions only: the call counts have their own reset.
      req.rateLimiter?.reset();
      return rateLimitState(req.rateLimiter);
    default:
      throw new AdminError(404, `no devnet route ${route}`);
  }
}
