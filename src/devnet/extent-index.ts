// Where each entry of the devnet's history starts, packed. The history keeps
// every settled transaction on disk and only this index in memory, so the
// index is what still grows with the chain: as a Map of txID strings to
// objects it cost about 200 bytes a transaction (the 64-character key, the
// object, the Map's entry), 20 MB for 100,000 transactions. Here an entry is
// its key's two 32-bit hashes, its offset and its length: 20 bytes in typed
// arrays, 27–53 bytes a transaction with the table's free slots.
//
// An open-addressing table (linear probing). Two keys can share both hashes,
// so the table never decides alone that a slot is a key's: the caller says
// whether the entry at a slot is the one it means (`isKey`), by reading it
// from the history (every history line names its key). That read happens
// only when both hashes match, which for distinct keys is about once in
// 2^64, and for an entry written twice is the point: the last copy wins.

const FIRST_CAPACITY = 1_024;
// Grown at three quarters full, so a probe meets a free slot within a few steps.
const MAX_LOAD = 0.75;

/** Tells whether the entry stored at `offset`/`length` is the key being looked for. */
export type IsKey = (offset: number, length: number) => boolean;

export class ExtentIndex {
  private hashA = new Uint32Array(FIRST_CAPACITY);
  private hashB = new Uint32Array(FIRST_CAPACITY);
  private offsets = new Float64Array(FIRST_CAPACITY);
  // 0 marks a free slot: no entry is empty.
  private lengths = new Uint32Array(FIRST_CAPACITY);
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Bytes the table holds, for the benchmarks. */
  get bytes(): number {
    return this.hashA.byteLength + this.hashB.byteLength + this.offsets.byteLength + this.lengths.byteLength;
  }

  /** The offset and length of the key hashed (a, b), or undefined. */
  get(a: number, b: number, isKey: IsKey): { offset: number; length: number } | undefined {
    const slot = this.find(a, b, isKey);
    return slot < 0 ? undefined : { offset: this.offsets[slot]!, length: this.lengths[slot]! };
  }

  /** Records where the key hashed (a, b) is; a later copy of a key replaces the earlier. */
  set(a: number, b: number, offset: number, length: number, isKey: IsKey): void {
    if (length <= 0) throw new Error('an entry of the history is never empty');
    let slot = this.find(a, b, isKey);
    if (slot < 0) {
      if (this.count + 1 > this.lengths.length * MAX_LOAD) this.grow();
      slot = this.freeSlot(a);
      this.hashA[slot] = a;
      this.hashB[slot] = b;
      this.count++;
    }
    this.offsets[slot] = offset;
    this.lengths[slot] = length;
  }

  private find(a: number, b: number, isKey: IsKey): number {
    const mask = this.lengths.length - 1;
    for (let slot = a & mask; this.lengths[slot] !== 0; slot = (slot + 1) & mask) {
      if (this.hashA[slot] === a && this.hashB[slot] === b && isKey(this.offsets[slot]!, this.lengths[slot]!)) return slot;
    }
    return -1;
  }

  private freeSlot(a: number): number {
    const mask = this.lengths.length - 1;
    let slot = a & mask;
    while (this.lengths[slot] !== 0) slot = (slot + 1) & mask;
    return slot;
  }

  private grow(): void {
    const { hashA, hashB, offsets, lengths } = this;
    const capacity = lengths.length * 2;
    this.hashA = new Uint32Array(capacity);
    this.hashB = new Uint32Array(capacity);
    this.offsets = new Float64Array(capacity);
    this.lengths = new Uint32Array(capacity);
    for (let i = 0; i < lengths.length; i++) {
      if (lengths[i] === 0) continue;
      const slot = this.freeSlot(hashA[i]!);
      this.hashA[slot] = hashA[i]!;
      this.hashB[slot] = hashB[i]!;
      this.offsets[slot] = offsets[i]!;
      this.lengths[slot] = lengths[i]!;
    }
  }
}

/** MurmurHash3's finaliser: a bijection of 32 bits that spreads near keys apart (the table indexes by the low bits). */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Two independent 32-bit hashes of a string (FNV-1a, and the same walk with
 * MurmurHash's multiplier), for keys of any form: a txID a client asks for
 * need not be hex.
 */
export function hashOfString(key: string): [number, number] {
  let a = 0x811c9dc5;
  let b = 0x9747b28c;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  return [mix(a), b >>> 0];
}

/** A whole number's pair: exact (no two numbers below 2^53 share it), so no entry needs reading to tell keys apart. */
export function hashOfNumber(n: number): [number, number] {
  return [mix(n >>> 0), Math.floor(n / 2 ** 32) >>> 0];
}
