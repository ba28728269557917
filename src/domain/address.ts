import { createHash } from 'node:crypto';

/**
 * TRON addresses in base58check: 25 bytes = 0x41 prefix + 20-byte account id
 * + 4-byte checksum (first 4 bytes of double SHA-256), 34 characters.
 * Anything else — other prefixes, bad checksums, look-alike Unicode — is refused.
 */
const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const INDEX = new Map([...ALPHABET].map((c, i) => [c, BigInt(i)]));

function base58Decode(text: string): Uint8Array | null {
  let n = 0n;
  for (const ch of text) {
    const digit = INDEX.get(ch);
    if (digit === undefined) return null;
    n = n * 58n + digit;
  }
  const bytes: number[] = [];
  while (n > 0n) {
    bytes.unshift(Number(n & 0xffn));
    n >>= 8n;
  }
  for (const ch of text) {
    if (ch !== '1') break;
    bytes.unshift(0);
  }
  return Uint8Array.from(bytes);
}

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest();

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
  const bytes = base58Decode(address);
  if (!bytes || bytes.length !== 25 || bytes[0] !== 0x41) return null;
  const payload = bytes.subarray(0, 21);
  const checksum = sha256(sha256(payload)).subarray(0, 4);
  for (let i = 0; i < 4; i++) if (checksum[i] !== bytes[21 + i]) return null;
  return Buffer.from(payload).toString('hex');
}

export const isTronAddress = (address: string): boolean => tronAddressToHex(address) !== null;
