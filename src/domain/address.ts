import { sha256 } from './sha256.js';

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
 * does not fit. Every order's receiver is decoded: BigInt made this most of
 * the address check's cost, and multiplying the bytes by 58 once a digit
 * (850 steps for an address) still a third of it. Three digits are read as
 * one number below 58^3 and multiplied in at once: a byte times 58^3, plus
 * the carry, stays below 2^26, small-integer arithmetic, in 300 steps.
 */
function base58DecodeInto(text: string, size: number): Uint8Array | null {
  const out = new Uint8Array(size);
  for (let start = 0; start < text.length; start += 3) {
    const end = Math.min(start + 3, text.length);
    let carry = 0;
    let times = 1;
    for (let i = start; i < end; i++) {
      const code = text.charCodeAt(i);
      const digit = code < 128 ? DIGIT[code]! : -1;
      if (digit < 0) return null;
      carry = carry * 58 + digit;
      times *= 58;
    }
    for (let j = size - 1; j >= 0; j--) {
      const x = out[j]! * times + carry;
      out[j] = x & 0xff;
      carry = x >>> 8;
    }
    if (carry !== 0) return null;
  }
  return out;
}

/** Double SHA-256, the base58check checksum's hash. */
const checksumHash = (payload: Uint8Array): Uint8Array => sha256(sha256(payload));

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
  return base58Encode(Uint8Array.of(...payload, ...checksumHash(payload).subarray(0, 4)));
}

/** The 21-byte payload (0x41 + account id) of a valid base58check TRON address, or null. */
function checkedPayload(address: string): Uint8Array | null {
  if (typeof address !== 'string' || address.length !== 34 || address[0] !== 'T') return null;
  const bytes = base58DecodeInto(address, 25);
  if (!bytes || bytes[0] !== 0x41) return null;
  const payload = bytes.subarray(0, 21);
  const checksum = checksumHash(payload);
  for (let i = 0; i < 4; i++) if (checksum[i] !== bytes[21 + i]) return null;
  return payload;
}

/** Hex form ("41" + 40 hex) of a valid base58check TRON address, or null. */
export function tronAddressToHex(address: string): string | null {
  const payload = checkedPayload(address);
  return payload === null ? null : Buffer.from(payload.buffer, payload.byteOffset, payload.length).toString('hex');
}

export const isTronAddress = (address: string): boolean => checkedPayload(address) !== null;
