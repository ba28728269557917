import { hash } from 'node:crypto';

/**
 * TRON addresses in base58check: 25 bytes = 0x41 prefix + 20-byte account id
 * + 4-byte checksum (first 4 bytes of double SHA-256), 34 characters.
 * Anything else — other prefixes, bad checksums, look-alike Unicode — is refused.
 */
const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
/** Each ASCII character's base58 digit, -1 where it is not one. */
const DIGIT = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DIGIT[ALPHABET.charCodeAt(i)] = i;

/**
 * The base58 number as exactly `size` big-endian bytes, or null when a
 * character is not base58 (anything outside ASCII included) or the number
 * does not fit. Byte arithmetic rather than BigInt: every order's receiver
 * is decoded, and BigInt made this most of the address check's cost.
 */
function base58DecodeInto(text: string, size: number): Uint8Array | null {
  const out = new Uint8Array(size);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    let carry = code < 128 ? DIGIT[code]! : -1;
    if (carry < 0) return null;
    for (let j = size - 1; j >= 0; j--) {
      carry += out[j]! * 58;
      out[j] = carry & 0xff;
      carry >>>= 8;
    }
    if (carry !== 0) return null;
  }
  return out;
}

// The one-shot hash: createHash's object per call cost as much as the hashing.
const sha256 = (data: Uint8Array): Buffer => hash('sha256', data, 'buffer');

function base58Encode(bytes: Uint8Array): string {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  let text = '';
  while (n > 0n) {
    text = ALPHABET[Number(n % 58n)]! + text;
    n /= 58n;
  }
  for (const b of bytes) {
    if (b !== 0) break;
    text = '1' + text;
  }
  return text;
}

/** The base58check address of a 20-byte account id: 0x41 prefix, then a 4-byte double SHA-256 checksum. */
export function tronAddressFromAccountId(accountId: Uint8Array): string {
  if (accountId.length !== 20) throw new Error(`an account id is 20 bytes, got ${accountId.length}`);
  const payload = Uint8Array.of(0x41, ...accountId);
  return base58Encode(Uint8Array.of(...payload, ...sha256(sha256(payload)).subarray(0, 4)));
}

/** Hex form ("41" + 40 hex) of a valid base58check TRON address, or null. */
export function tronAddressToHex(address: string): string | null {
  if (typeof address !== 'string' || address.length !== 34 || address[0] !== 'T') return null;
  const bytes = base58DecodeInto(address, 25);
  if (!bytes || bytes[0] !== 0x41) return null;
  const payload = bytes.subarray(0, 21);
  const checksum = sha256(sha256(payload)).subarray(0, 4);
  for (let i = 0; i < 4; i++) if (checksum[i] !== bytes[21 + i]) return null;
  return Buffer.from(payload).toString('hex');
}

export const isTronAddress = (address: string): boolean => tronAddressToHex(address) !== null;
