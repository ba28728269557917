import { randomFillSync } from 'node:crypto';

/** Entropy drawn 4 KiB at a time: one system call per 256 ids instead of one per id. */
const pool = Buffer.alloc(4096);
let offset = pool.length;

function random16(): Buffer {
  if (offset + 16 > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const out = Buffer.from(pool.subarray(offset, offset + 16));
  offset += 16;
  return out;
}

/** The last id handed out, and its millisecond: the next one must sort after it. */
let lastMs = -1;
let last: Buffer = Buffer.alloc(16);

/**
 * Adds a random step of 1 to 2^32 to the 74 random bits (rand_a and rand_b
 * around the version and variant bits). The step is random so that one id
 * does not tell the next; it cannot run out within a millisecond, but if it
 * ever did the carry is reported and the caller moves to the next one.
 */
function stepRandomBits(bytes: Buffer): boolean {
  let carry = random16().readUInt32BE(0) + 1;
  for (let i = 15; i >= 6 && carry > 0; i--) {
    if (i === 8) {
      const sum = (bytes[8]! & 0x3f) + carry;
      bytes[8] = 0x80 | (sum & 0x3f);
      carry = Math.floor(sum / 0x40);
    } else if (i === 6) {
      const sum = (bytes[6]! & 0x0f) + carry;
      bytes[6] = 0x70 | (sum & 0x0f);
      carry = Math.floor(sum / 0x10);
    } else {
      const sum = bytes[i]! + carry;
      bytes[i] = sum & 0xff;
      carry = Math.floor(sum / 0x100);
    }
  }
  return carry === 0;
}

/**
 * UUIDv7 (RFC 9562): 48-bit millisecond timestamp, then randomness. Ids sort
 * by creation time, so "newest first" keyset pagination can page on id alone.
 * Within one millisecond (or if the clock steps back) an id is the previous
 * one plus a random step, as RFC 9562 §6.2 method 3 allows: one process's ids
 * always sort in the order it made them, so the orders of one user placed
 * back to back list newest first. Ids of two processes in the same
 * millisecond sort at random, which pagination does not mind: it only needs
 * a total order.
 *
 * `at` names an id's time outright (rows written as of a past moment): such
 * an id is random within its millisecond and leaves the sequence alone.
 */
export function uuidv7(at?: number): string {
  const now = at ?? Date.now();
  if (at !== undefined && at < lastMs) return format(fresh(at));
  if (now > lastMs || !stepRandomBits(last)) {
    lastMs = Math.max(now, lastMs + 1);
    last = fresh(lastMs);
  }
  return format(last);
}

function fresh(ms: number): Buffer {
  const bytes = random16();
  bytes.writeUIntBE(ms, 0, 6);
  bytes[6] = (bytes[6]! & 0x0f) | 0x70;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  return bytes;
}

function format(bytes: Buffer): string {
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
