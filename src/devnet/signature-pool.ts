// Signature checks off the main thread: the node keeps answering HTTP while
// worker threads run the ECDSA verifications. Workers only verify against
// keys they were sent; anything they cannot match (a new key, a wrong
// signer) is recovered on the main thread, which also learns the key.
import type { JsonWebKey } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { KeyCache, parseSignature, SignatureFormatError } from './signature.js';
import type { DecodedTransaction } from './transaction-codec.js';

// Plain CommonJS so it runs the same from sources and from a build.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createPublicKey, verify } = require('node:crypto');
const keys = new Map();
parentPort.on('message', (m) => {
  if (m.type === 'key') { keys.set(m.address, createPublicKey({ key: m.jwk, format: 'jwk' })); return; }
  const signers = m.sigs.map((rs) => {
    for (const address of m.candidates) {
      const key = keys.get(address);
      if (key !== undefined && verify('sha256', m.raw, { key, dsaEncoding: 'ieee-p1363' }, rs)) return address;
    }
    return null;
  });
  parentPort.postMessage({ id: m.id, signers });
});
`;

interface Job {
  resolve: (signers: Array<string | null>) => void;
  reject: (err: Error) => void;
}

/** Per signature: the signer's address, or why the signature is malformed. */
export type SignerResult = string | SignatureFormatError;

export class SignatureVerifier {
  readonly keys = new KeyCache();
  private readonly workers: Worker[] = [];
  private readonly inFlight: number[] = [];
  private readonly jobs = new Map<number, Job>();
  private nextId = 0;

  /** `threads` 0 verifies on the main thread. */
  constructor(threads = defaultThreads()) {
    for (let i = 0; i < threads; i++) {
      const worker = new Worker(WORKER_SOURCE, { eval: true });
      worker.unref();
      worker.on('message', (m: { id: number; signers: Array<string | null> }) => {
        this.inFlight[i]!--;
        const job = this.jobs.get(m.id);
        this.jobs.delete(m.id);
        job?.resolve(m.signers);
      });
      worker.on('error', (err) => {
        for (const job of this.jobs.values()) job.reject(err);
        this.jobs.clear();
      });
      this.workers.push(worker);
      this.inFlight.push(0);
    }
    this.keys.onNewKey = (address, jwk) => this.teach(address, jwk);
  }

  private teach(address: string, jwk: JsonWebKey): void {
    for (const worker of this.workers) worker.postMessage({ type: 'key', address, jwk });
  }

  /** Who signed each signature of `tx`; `likely` are the addresses the permission names. */
  async signersOf(tx: DecodedTransaction, likely: readonly string[]): Promise<SignerResult[]> {
    const parsed = tx.signatures.map(parseSignature);
    const candidates = likely.filter((a) => this.keys.has(a));
    let matched: Array<string | null>;
    if (this.workers.length === 0 || candidates.length === 0) {
      matched = parsed.map((sig) => (sig instanceof SignatureFormatError ? null : this.keys.verifyLocally(tx.rawBytes, sig, candidates)));
    } else {
      const sigs = parsed.map((sig) => (sig instanceof SignatureFormatError ? new Uint8Array(64) : new Uint8Array(sig.subarray(0, 64))));
      matched = await this.dispatch(tx.rawBytes, sigs, candidates);
    }
    return parsed.map((sig, i) => {
      if (sig instanceof SignatureFormatError) return sig;
      return matched[i] ?? this.keys.recover(tx.txID, sig);
    });
  }

  private dispatch(raw: Uint8Array, sigs: Uint8Array[], candidates: string[]): Promise<Array<string | null>> {
    let index = 0;
    for (let i = 1; i < this.workers.length; i++) if (this.inFlight[i]! < this.inFlight[index]!) index = i;
    const id = this.nextId++;
    this.inFlight[index]!++;
    return new Promise((resolve, reject) => {
      this.jobs.set(id, { resolve, reject });
      this.workers[index]!.postMessage({ id, raw, sigs, candidates });
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers.length = 0;
  }
}

function defaultThreads(): number {
  // The main thread needs a core of its own for HTTP and state; on two cores
  // one worker measured ~2,000 broadcasts/s and two workers ~1,500.
  return Math.max(1, Math.min(4, availableParallelism() - 1));
}
