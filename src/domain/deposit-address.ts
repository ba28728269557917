import { secp256k1 } from '@noble/curves/secp256k1';
import { keccak_256 } from '@noble/hashes/sha3';
import { HDKey } from '@scure/bip32';
import { tronAddressFromAccountId } from './address.js';

/**
 * Deposit addresses derived from the operator's extended public key at
 * TRON's account path m/44'/195'/0' (SLIP-44 coin type 195): one address per
 * user at .../0/<index>, the external chain, non-hardened, so that no private
 * key is ever needed here. The operator's wallet derives the same addresses
 * (and their keys) from the mnemonic, which is how deposits are swept.
 */

/** The highest non-hardened child index: above it a path step is hardened and needs the private key. */
export const MAX_DEPOSIT_INDEX = 0x7fff_ffff;

const HARDENED = 0x8000_0000;
/** An account-level key is at depth 3: m / 44' / 195' / 0'. */
const ACCOUNT_DEPTH = 3;

export class XpubError extends Error {}

/**
 * Parses and checks an account extended public key. The message of a refusal
 * never repeats the key (an xprv pasted by mistake is a secret).
 */
export function parseAccountXpub(text: string): HDKey {
  if (/^[xtyzuv]prv/.test(text)) throw new XpubError('is an extended private key: give the xpub of m/44\'/195\'/0\'; Joule never holds deposit keys');
  if (!text.startsWith('xpub')) throw new XpubError('must be an extended public key starting with xpub');
  let key: HDKey;
  try {
    key = HDKey.fromExtendedKey(text);
  } catch {
    throw new XpubError('is not a valid extended public key (bad length, checksum or point)');
  }
  if (key.privateKey !== null) throw new XpubError('is an extended private key: give the xpub');
  if (key.depth !== ACCOUNT_DEPTH || key.index !== HARDENED) {
    throw new XpubError(`must be the account key at m/44'/195'/0' (depth 3, index 0'); this one is at depth ${key.depth}, index ${key.index >= HARDENED ? `${key.index - HARDENED}'` : key.index}`);
  }
  return key;
}

/** TRON's address of a secp256k1 public key: keccak256 of the uncompressed point without its 0x04, last 20 bytes. */
export function tronAddressOfPublicKey(publicKey: Uint8Array): string {
  const uncompressed = secp256k1.ProjectivePoint.fromHex(publicKey).toRawBytes(false);
  return tronAddressFromAccountId(keccak_256(uncompressed.subarray(1)).subarray(12));
}

/** The deposit address at .../0/<index> under an account key. */
export function depositAddressAt(account: HDKey, index: number): string {
  if (!Number.isInteger(index) || index < 0 || index > MAX_DEPOSIT_INDEX) throw new RangeError(`deposit index ${index} is out of 0..${MAX_DEPOSIT_INDEX}`);
  const child = account.deriveChild(0).deriveChild(index);
  return tronAddressOfPublicKey(child.publicKey!);
}
