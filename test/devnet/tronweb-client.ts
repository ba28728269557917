// Shared test plumbing: TronWeb clients against a devnet, and the decoding a
// TronWeb user does on a failed broadcast (the message is hex of UTF-8).
import { TronWeb, utils } from 'tronweb';
import type { Devnet } from '../../src/devnet/index.js';

/** A TronWeb on the devnet; with `apiKey`, it sends it as TronGrid's TRON-PRO-API-KEY header, as Joule's gateway does. */
export function client(devnet: Devnet, privateKey: string, apiKey?: string): TronWeb {
  return new TronWeb({ fullHost: devnet.url, privateKey, ...(apiKey === undefined ? {} : { headers: { 'TRON-PRO-API-KEY': apiKey } }) });
}

export interface Outcome {
  result: boolean;
  txid: string;
  code?: string;
  message?: string;
}

/** sendRawTransaction, with the failure message decoded as a TronWeb user would. */
export async function broadcast(tronWeb: TronWeb, signed: unknown): Promise<Outcome> {
  const r = (await tronWeb.trx.sendRawTransaction(signed as never)) as unknown as {
    result?: boolean;
    txid: string;
    code?: string;
    message?: string;
  };
  const out: Outcome = { result: r.result === true, txid: r.txid };
  if (r.code !== undefined) out.code = r.code;
  if (r.message !== undefined) out.message = TronWeb.toUtf8(r.message);
  return out;
}

/** Signs with the key named, whoever the owner is (TronWeb's sign refuses a foreign key; this is what an attacker does). */
export function signWith<T extends object>(privateKey: string, tx: T): T {
  return utils.crypto.signTransaction(privateKey, structuredClone(tx)) as unknown as T;
}

interface TxJson {
  txID: string;
  raw_data_hex: string;
  raw_data: { contract: Array<{ parameter: { value: Record<string, unknown> } }> };
}

/** Edits a built transaction's contract value and re-derives txID and raw_data_hex with TronWeb's helpers. */
export function rebuild<T extends object>(tx: T, edit: (value: Record<string, unknown>) => void): T {
  const copy = structuredClone(tx) as unknown as TxJson;
  edit(copy.raw_data.contract[0]!.parameter.value);
  const pb = utils.transaction.txJsonToPb(copy);
  copy.txID = utils.transaction.txPbToTxID(pb).replace(/^0x/, '');
  copy.raw_data_hex = utils.transaction.txPbToRawDataHex(pb).toLowerCase();
  return copy as unknown as T;
}

export async function admin(devnet: Devnet, method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${devnet.url}/devnet${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!res.ok) throw new Error(`admin ${path}: HTTP ${res.status} ${await res.text()}`);
  return res.json();
}

/** A fresh address nobody has activated. */
export function freshAddress(): string {
  return utils.accounts.generateAccount().address.base58;
}
