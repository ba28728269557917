// Address forms: java-tron speaks `41`+40 hex on the wire unless `visible`
// is set, in which case it speaks base58check. Internally we always key by
// lowercase hex so both forms land on the same account.
import { utils } from 'tronweb';

const HEX_ADDRESS = /^41[0-9a-fA-F]{40}$/;

/** Normalises a hex or base58 address to lowercase `41…` hex; null when it is neither. */
export function toHexAddress(input: unknown): string | null {
  if (typeof input !== 'string' || input.length === 0) return null;
  const bare = input.startsWith('0x') ? input.slice(2) : input;
  if (HEX_ADDRESS.test(bare)) return bare.toLowerCase();
  if (input.length === 34 && utils.address.isAddress(input)) return utils.address.toHex(input).toLowerCase();
  return null;
}

/** Lowercase `41…` hex to base58check. */
export function toBase58(hex: string): string {
  return utils.address.fromHex(hex);
}

/** java-tron's DecodeUtil.addressValid: 21 bytes starting with 0x41. */
export function isValidHexAddress(hex: string): boolean {
  return HEX_ADDRESS.test(hex);
}

/** Derives the base58 address of a hex private key. */
export function addressOfPrivateKey(privateKey: string): string {
  const address = utils.address.fromPrivateKey(privateKey.replace(/^0x/, ''));
  if (address === false) throw new Error('invalid private key');
  return address;
}
