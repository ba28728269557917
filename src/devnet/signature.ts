// Who signed a transaction. Recovering a public key from a signature costs
// ~2 ms in JavaScript, so each address's public key is remembered once
// recovered and later signatures are checked with OpenSSL's native ECDSA
// verify (~0.3 ms). That keeps broadcast throughput in the thousands per second.
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { utils } from 'tronweb';

const { SigningKey, Signature, keccak256 } = utils.ethersUtils;

export class SignatureFormatError extends Error {
  override readonly name = 'SignatureFormatError';
}

function addressOfPublicKey(uncompressed: Buffer): string {
  const hash = keccak256(uncompressed.subarray(1));
  return `41${hash.slice(-40)}`;
}

export class SignerCache {
  private readonly keys = new Map<string, KeyObject>();

  /**
   * Address (41… hex) that produced `signatureHex` over `rawBytes`
   * (whose sha256 is the txID). `likely` lists addresses to try first.
   */
  signerOf(rawBytes: Uint8Array, txID: string, signatureHex: string, likely: readonly string[]): string {
    const bytes = Buffer.from(signatureHex, 'hex');
    if (bytes.length < 65 || !/^[0-9a-fA-F]*$/.test(signatureHex)) {
      throw new SignatureFormatError(`Signature size is ${bytes.length}`);
    }
    const rs = bytes.subarray(0, 64);
    for (const address of likely) {
      const key = this.keys.get(address);
      if (key !== undefined && verify('sha256', rawBytes, { key, dsaEncoding: 'ieee-p1363' }, rs)) return address;
    }
    return this.recover(txID, bytes);
  }

  private recover(txID: string, bytes: Buffer): string {
    let v = bytes[64]!;
    if (v < 27) v += 27;
    let publicKeyHex: string;
    try {
      const signature = Signature.from({
        r: `0x${bytes.subarray(0, 32).toString('hex')}`,
        s: `0x${bytes.subarray(32, 64).toString('hex')}`,
        v,
      });
      publicKeyHex = SigningKey.recoverPublicKey(`0x${txID}`, signature);
    } catch (err) {
      throw new SignatureFormatError(err instanceof Error ? err.message : String(err));
    }
    const publicKey = Buffer.from(publicKeyHex.slice(2), 'hex');
    const address = addressOfPublicKey(publicKey);
    if (!this.keys.has(address)) {
      this.keys.set(
        address,
        createPublicKey({
          key: {
            kty: 'EC',
            crv: 'secp256k1',
            x: publicKey.subarray(1, 33).toString('base64url'),
            y: publicKey.subarray(33, 65).toString('base64url'),
          },
          format: 'jwk',
        }),
      );
    }
    return address;
  }
}
