// The devnet's one smart contract: USDT (TetherToken) at mainnet's address,
// executed natively instead of by a VM. It answers the TRC20 calls TronWeb's
// contract().at() and trc20 helpers make — transfer, balanceOf, decimals,
// name, symbol, totalSupply, and approve, allowance and transferFrom (a
// payment processor pulling what a payer approved) — with the energy a
// transfer costs on mainnet:
// 64,285 to an address that already holds USDT, 130,285 to one that holds
// none (the receiver's balance takes a new storage slot), of which the
// contract's dynamic-energy penalty is the part above the base cost.
import { toHexAddress } from './address.js';
import type { ChainView } from './chain-state.js';

export const USDT_ADDRESS = 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t';
export const USDT_HEX = toHexAddress(USDT_ADDRESS)!;
export const USDT_NAME = 'Tether USD';
export const USDT_SYMBOL = 'USDT';
export const USDT_DECIMALS = 6n;
/** The contract's name in the contract store (SmartContract.name), as deployed on mainnet. */
export const USDT_CONTRACT_NAME = 'TetherToken';
/** Who deployed it; holds no energy here, so every call is paid by its caller (origin_energy_usage 0). */
export const USDT_ORIGIN_HEX = '41' + '00'.repeat(19) + '01';
/** SmartContract.origin_energy_limit reported by getcontract. */
export const USDT_ORIGIN_ENERGY_LIMIT = 10_000_000n;

/** Energy of a transfer to an address that already holds some (mainnet's figure). */
export const TRANSFER_ENERGY = 64_285n;
/** Energy of a transfer to an address that holds none: the balance takes a new storage slot (mainnet's figure). */
export const TRANSFER_TO_NEW_HOLDER_ENERGY = 130_285n;
/**
 * Of the above, what the dynamic energy model adds for a contract as busy as
 * USDT (energy_penalty): mainnet's totals are the base cost, 14,610 and
 * 29,610 (the new slot's SSTORE is 20,000 instead of 5,000), times 4.4, USDT's
 * energy factor at its cap. The devnet's own split of mainnet's figures.
 */
export const TRANSFER_ENERGY_PENALTY = 49_675n;
export const TRANSFER_TO_NEW_HOLDER_ENERGY_PENALTY = 100_675n;
/** What a transfer's storage write costs, of the above: the operation an out-of-energy call fails at. */
const TRANSFER_STORE_ENERGY = 5_000n;
const NEW_SLOT_STORE_ENERGY = TRANSFER_STORE_ENERGY + (TRANSFER_TO_NEW_HOLDER_ENERGY - TRANSFER_ENERGY);
/**
 * transferFrom: a transfer's cost and the allowance's storage write besides
 * (5,000 at the base cost, times the same 4.4): the devnet's own figures,
 * in line with mainnet's for a transfer.
 */
export const TRANSFER_FROM_ENERGY = 86_285n;
export const TRANSFER_FROM_ENERGY_PENALTY = 66_675n;
export const TRANSFER_FROM_TO_NEW_HOLDER_ENERGY = 152_285n;
export const TRANSFER_FROM_TO_NEW_HOLDER_ENERGY_PENALTY = 117_675n;
/** approve: a new allowance takes a storage slot (20,000 at the base cost), a changed one rewrites it (5,000); devnet's own figures at the same 4.4. */
export const APPROVE_NEW_ENERGY = 96_800n;
export const APPROVE_NEW_ENERGY_PENALTY = 74_800n;
export const APPROVE_ENERGY = 30_800n;
export const APPROVE_ENERGY_PENALTY = 23_800n;
/** A call that reverts (too little balance, unknown function, TRX sent to a non-payable function): the devnet's own figure. */
export const REVERT_ENERGY = 11_000n;

/** keccak256("Transfer(address,address,uint256)"). */
export const TRANSFER_TOPIC = 'ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef';
/** keccak256("Approval(address,address,uint256)"). */
export const APPROVAL_TOPIC = '8c5be1e5ebec7d5bd14f71427d1e84f3dd0314c0f7b2291e5b200ac8c7c3b925';

export const SELECTORS = {
  transfer: 'a9059cbb',
  balanceOf: '70a08231',
  decimals: '313ce567',
  name: '06fdde03',
  symbol: '95d89b41',
  totalSupply: '18160ddd',
  approve: '095ea7b3',
  allowance: 'dd62ed3e',
  transferFrom: '23b872dd',
} as const;

/** Energy of the read-only functions (devnet's own figures, of the order mainnet reports). */
const READ_ENERGY: Record<string, bigint> = {
  [SELECTORS.balanceOf]: 1_000n,
  [SELECTORS.decimals]: 300n,
  [SELECTORS.name]: 1_500n,
  [SELECTORS.symbol]: 1_500n,
  [SELECTORS.totalSupply]: 600n,
  [SELECTORS.allowance]: 1_200n,
};

/** The ABI as java-tron's getcontract prints it (enum names capitalised). */
export const USDT_ABI = [
  {
    constant: true,
    outputs: [{ type: 'string' }],
    name: 'name',
    stateMutability: 'View',
    type: 'Function',
  },
  {
    constant: true,
    outputs: [{ type: 'uint256' }],
    name: 'totalSupply',
    stateMutability: 'View',
    type: 'Function',
  },
  {
    constant: true,
    outputs: [{ type: 'uint256' }],
    name: 'decimals',
    stateMutability: 'View',
    type: 'Function',
  },
  {
    constant: true,
    inputs: [{ name: 'who', type: 'address' }],
    outputs: [{ type: 'uint256' }],
    name: 'balanceOf',
    stateMutability: 'View',
    type: 'Function',
  },
  {
    constant: true,
    outputs: [{ type: 'string' }],
    name: 'symbol',
    stateMutability: 'View',
    type: 'Function',
  },
  {
    inputs: [
      { name: '_to', type: 'address' },
      { name: '_value', type: 'uint256' },
    ],
    outputs: [{ type: 'bool' }],
    name: 'transfer',
    stateMutability: 'Nonpayable',
    type: 'Function',
  },
  {
    inputs: [
      { name: '_spender', type: 'address' },
      { name: '_value', type: 'uint256' },
    ],
    outputs: [{ type: 'bool' }],
    name: 'approve',
    stateMutability: 'Nonpayable',
    type: 'Function',
  },
  {
    constant: true,
    inputs: [
      { name: '_owner', type: 'address' },
      { name: '_spender', type: 'address' },
    ],
    outputs: [{ name: 'remaining', type: 'uint256' }],
    name: 'allowance',
    stateMutability: 'View',
    type: 'Function',
  },
  {
    inputs: [
      { name: '_from', type: 'address' },
      { name: '_to', type: 'address' },
      { name: '_value', type: 'uint256' },
    ],
    outputs: [{ type: 'bool' }],
    name: 'transferFrom',
    stateMutability: 'Nonpayable',
    type: 'Function',
  },
  {
    inputs: [
      { indexed: true, name: 'from', type: 'address' },
      { indexed: true, name: 'to', type: 'address' },
      { name: 'value', type: 'uint256' },
    ],
    name: 'Transfer',
    type: 'Event',
  },
  {
    inputs: [
      { indexed: true, name: 'owner', type: 'address' },
      { indexed: true, name: 'spender', type: 'address' },
      { name: 'value', type: 'uint256' },
    ],
    name: 'Approval',
    type: 'Event',
  },
];

export interface TokenLog {
  /** 20-byte hex of the emitting contract (no 41), as java-tron's Log prints it. */
  address: string;
  topics: string[];
  data: string;
}

/** What a call does, before anyone pays for it. */
export interface TokenCall {
  /** Energy the call needs. */
  energy: bigint;
  /** Of `energy`, what the contract's energy factor adds (triggerconstantcontract's energy_penalty). */
  penalty: bigint;
  /** Energy of the storage write it ends with (what an out-of-energy call is short of). */
  storeEnergy: bigint;
  revert: boolean;
  returnHex: string;
  logs: TokenLog[];
  /** New balances to write on success: [holder 41… hex, balance]. */
  writes: Array<[string, bigint]>;
  /** New allowances to write on success: [owner, spender (41… hex), value]. */
  allowanceWrites?: Array<[string, string, bigint]>;
}

const word = (value: bigint): string => value.toString(16).padStart(64, '0');
const addressWord = (hex41: string): string => hex41.slice(2).padStart(64, '0');

function stringResult(text: string): string {
  const bytes = Buffer.from(text, 'utf8');
  const padded = bytes.toString('hex').padEnd(Math.ceil(bytes.length / 32) * 64, '0');
  return word(32n) + word(BigInt(bytes.length)) + padded;
}

function reverted(): TokenCall {
  return { energy: REVERT_ENERGY, penalty: 0n, storeEnergy: 0n, revert: true, returnHex: '', logs: [], writes: [] };
}

function read(selector: string, returnHex: string): TokenCall {
  return { energy: READ_ENERGY[selector]!, penalty: 0n, storeEnergy: 0n, revert: false, returnHex, logs: [], writes: [] };
}

/** The address in an ABI word: its last 20 bytes, as 41… hex. */
function addressArg(argsHex: string, index: number): string | null {
  const w = argsHex.slice(index * 64, index * 64 + 64);
  if (w.length !== 64) return null;
  return '41' + w.slice(24).toLowerCase();
}

function uintArg(argsHex: string, index: number): bigint | null {
  const w = argsHex.slice(index * 64, index * 64 + 64);
  return w.length === 64 ? BigInt('0x' + w) : null;
}

export function totalSupply(view: ChainView): bigint {
  return view.tokenHolders(USDT_HEX).reduce((sum, [, balance]) => sum + balance, 0n);
}

/**
 * Runs a call of `dataHex` (selector and ABI-encoded arguments) by `caller`
 * against the state of `view`; nothing is written here.
 */
export function callUsdt(view: ChainView, caller: string, dataHex: string, callValue: bigint): TokenCall {
  const data = dataHex.replace(/^0x/, '').toLowerCase();
  const selector = data.slice(0, 8);
  const args = data.slice(8);
  // Every function is non-payable: TRX sent along makes it revert.
  if (callValue > 0n) return reverted();
  switch (selector) {
    case SELECTORS.balanceOf: {
      const who = addressArg(args, 0);
      return who === null ? reverted() : read(selector, word(view.tokenBalance(USDT_HEX, who)));
    }
    case SELECTORS.decimals:
      return read(selector, word(USDT_DECIMALS));
    case SELECTORS.name:
      return read(selector, stringResult(USDT_NAME));
    case SELECTORS.symbol:
      return read(selector, stringResult(USDT_SYMBOL));
    case SELECTORS.totalSupply:
      return read(selector, word(totalSupply(view)));
    case SELECTORS.transfer: {
      const to = addressArg(args, 0);
      const amount = uintArg(args, 1);
      if (to === null || amount === null) return reverted();
      const moved = move(view, caller, to, amount);
      if (moved === null) return reverted();
      const newSlot = moved.newSlot;
      return {
        energy: newSlot ? TRANSFER_TO_NEW_HOLDER_ENERGY : TRANSFER_ENERGY,
        penalty: newSlot ? TRANSFER_TO_NEW_HOLDER_ENERGY_PENALTY : TRANSFER_ENERGY_PENALTY,
        storeEnergy: newSlot ? NEW_SLOT_STORE_ENERGY : TRANSFER_STORE_ENERGY,
        revert: false,
        returnHex: word(1n),
        logs: [transferLog(caller, to, amount)],
        writes: moved.writes,
      };
    }
    case SELECTORS.allowance: {
      const owner = addressArg(args, 0);
      const spender = addressArg(args, 1);
      return owner === null || spender === null ? reverted() : read(selector, word(view.tokenAllowance(USDT_HEX, owner, spender)));
    }
    case SELECTORS.approve: {
      const spender = addressArg(args, 0);
      const value = uintArg(args, 1);
      if (spender === null || value === null) return reverted();
      const current = view.tokenAllowance(USDT_HEX, caller, spender);
      // TetherToken's rule against a spender racing a change: a set allowance goes back to 0 before it takes another value.
      if (value !== 0n && current !== 0n) return reverted();
      const newSlot = current === 0n && value !== 0n;
      return {
        energy: newSlot ? APPROVE_NEW_ENERGY : APPROVE_ENERGY,
        penalty: newSlot ? APPROVE_NEW_ENERGY_PENALTY : APPROVE_ENERGY_PENALTY,
        storeEnergy: newSlot ? NEW_SLOT_STORE_ENERGY : TRANSFER_STORE_ENERGY,
        revert: false,
        returnHex: word(1n),
        logs: [{ address: USDT_HEX.slice(2), topics: [APPROVAL_TOPIC, addressWord(caller), addressWord(spender)], data: word(value) }],
        writes: [],
        allowanceWrites: [[caller, spender, value]],
      };
    }
    case SELECTORS.transferFrom: {
      const from = addressArg(args, 0);
      const to = addressArg(args, 1);
      const amount = uintArg(args, 2);
      if (from === null || to === null || amount === null) return reverted();
      const allowed = view.tokenAllowance(USDT_HEX, from, caller);
      if (amount > allowed) return reverted();
      const moved = move(view, from, to, amount);
      if (moved === null) return reverted();
      const newSlot = moved.newSlot;
      return {
        energy: newSlot ? TRANSFER_FROM_TO_NEW_HOLDER_ENERGY : TRANSFER_FROM_ENERGY,
        penalty: newSlot ? TRANSFER_FROM_TO_NEW_HOLDER_ENERGY_PENALTY : TRANSFER_FROM_ENERGY_PENALTY,
        storeEnergy: newSlot ? NEW_SLOT_STORE_ENERGY : TRANSFER_STORE_ENERGY,
        revert: false,
        returnHex: word(1n),
        logs: [transferLog(from, to, amount)],
        writes: moved.writes,
        allowanceWrites: [[from, caller, allowed - amount]],
      };
    }
    default:
      return reverted();
  }
}

/** `amount` of `from`'s USDT to `to`: the balances to write, or null when `from` holds too little. */
function move(view: ChainView, from: string, to: string, amount: bigint): { writes: Array<[string, bigint]>; newSlot: boolean } | null {
  const fromBalance = view.tokenBalance(USDT_HEX, from);
  if (amount > fromBalance) return null;
  const toBalance = view.tokenBalance(USDT_HEX, to);
  const writes: Array<[string, bigint]> =
    to === from ? [] : [
      [from, fromBalance - amount],
      [to, toBalance + amount],
    ];
  return { writes, newSlot: toBalance === 0n };
}

const transferLog = (from: string, to: string, amount: bigint): TokenLog => ({
  address: USDT_HEX.slice(2),
  topics: [TRANSFER_TOPIC, addressWord(from), addressWord(to)],
  data: word(amount),
});
