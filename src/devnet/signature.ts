// Who signed a transaction. Recovering a public key from a signature costs
// ~2 ms in JavaScript, so each address's public key is remembered once
// recovered, and later signatures are checked against the keys the
// permission names with OpenSSL's native ECDSA verify (~0.3-0.6 ms), in
// worker threads when there are cores to spare. That keeps broadcast
// throughput in the thousands per second.
import { createPublicKey, verify, type JsonWebKey, type KeyObject } from 'node:crypto';
import { utils } from 'tronweb';

const { SigningKey, Signature, keccak256 } = utils.ethersUtils;

export class SignatureFormatError extends Error {
  override readonly name = 'SignatureFormatError';
}

/** The 65-byte r‖s‖v signature, or a format error with java-tron's message. */
export function parseSignature(signatureHex: string): Buffer | SignatureFormatError {
  const bytes = /^[0-9a-fA-F]*$/.test(signatureHex) ? Buffer.from(signatureHex, 'hex') : Buffer.alloc(0);
  if (bytes.length < 65) return new SignatureFormatError(`Signature size is ${bytes.length}`);
  return bytes;
}

function addressOfPublicKey(uncompressed: Buffer): string {
  return `41${keccak256(uncompressed.subarray(1)).slice(-40)}`;
}

/** Public keys learnt so far, by address (41… hex). */
export class KeyCache {
  private readonly keys = new Map<string, { key: KeyObject; jwk: JsonWebKey }>();
  /** Told about each new key, so worker threads can learn it too. */
  onNewKey: ((address: string, jwk: JsonWebKey) => void) | undefined;

  has(address: string): boolean {
    return this.keys.has(address);
  }

  entries(): IterableIterator<[string, { key: KeyObject; jwk: JsonWebKey }]> {
    return this.keys.entries();
  }

  /** Which of `candidates` (with known keys) signed `rawBytes`, checked here. */
  verifyLocally(rawBytes: Uint8Array, signature: Buffer, candidates: readonly string[]): string | null {
    const rs = signature.subarray(0, 64);
    for (const address of candidates) {
      const entry = this.keys.get(address);
      if (entry !== undefined && verify('sha256', rawBytes, { key: entry.key, dsaEncoding: 'ieee-p1363' }, rs)) {
        return address;
      }
    }
    return null;
  }

  /** Recovers the signer from the signature alone, and remembers its key. */
  recover(txID: string, signature: Buffer): string | SignatureFormatError {
    let v = signature[64]!;
    if (v < 27) v += 27;
    let publicKeyHex: string;
    try {
      const sig = Signature.from({
        r: `0x${signature.subarray(0, 32).toString('hex')}`,
        s: `0x${signature.subarray(32, 64).toString('hex')}`,
        v,
      });
      publicKeyHex = SigningKey.recoverPublicKey(`0x${txID}`, sig);
    } catch (err) {
      return new SignatureFormatError(err instanceof Error ? err.message : String(err));
    }
    const publicKey = Buffer.from(publicKeyHex.slice(2), 'hex');
    const address = addressOfPublicKey(publicKey);
    if (!this.keys.has(address)) {
      const jwk: JsonWebKey = {
        kty: 'EC',
        crv: 'secp256k1',
        x: publicKey.subarray(1, 33).toString('base64url'),
        y: publicKey.subarray(33, 65).toString('base64url'),
      };
      this.keys.set(address, { key: createPublicKey({ key: jwk, format: 'jwk' }), jwk });
      this.onNewKey?.(address, jwk);
    }
    return address;
  }
}
