/**
 * SHA-256 (FIPS 180-4) in JavaScript, for the bytes hashed on every order:
 * an address's checksum hashes its 21 bytes, then the 32 of that hash.
 * node:crypto's one-shot `hash` answers bytes in a Buffer made for each
 * call, about a microsecond, three times what the hashing costs here (for a
 * text hashed to hex, as the request hash and API keys are, it is the
 * faster). test/domain/sha256.test.ts holds it to node:crypto for every
 * length up to five blocks.
 */

// The first 32 bits of the fractional parts of the cube roots of the first 64 primes.
const K = Int32Array.from([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
  0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
// The first 32 bits of the fractional parts of the square roots of the first 8 primes.
const H0 = Int32Array.from([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);

// The running hash and the message schedule, reused: JavaScript runs one call at a time.
const H = new Int32Array(8);
const W = new Int32Array(64);

const rotr = (x: number, n: number) => (x >>> n) | (x << (32 - n));

/** One block (W[0..15], filled by the caller) folded into H. */
function compress(): void {
  for (let i = 16; i < 64; i++) {
    const a = W[i - 15]!;
    const b = W[i - 2]!;
    const s0 = rotr(a, 7) ^ rotr(a, 18) ^ (a >>> 3);
    const s1 = rotr(b, 17) ^ rotr(b, 19) ^ (b >>> 10);
    W[i] = (W[i - 16]! + s0 + W[i - 7]! + s1) | 0;
  }
  let a = H[0]!, b = H[1]!, c = H[2]!, d = H[3]!, e = H[4]!, f = H[5]!, g = H[6]!, h = H[7]!;
  for (let i = 0; i < 64; i++) {
    const t1 = (h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[i]! + W[i]!) | 0;
    const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  H[0] = H[0]! + a;
  H[1] = H[1]! + b;
  H[2] = H[2]! + c;
  H[3] = H[3]! + d;
  H[4] = H[4]! + e;
  H[5] = H[5]! + f;
  H[6] = H[6]! + g;
  H[7] = H[7]! + h;
}

/** The first `count` bytes of `message` from `start`, big-endian into W[0..15] (the rest zero). */
function load(message: Uint8Array, start: number, count: number): void {
  W.fill(0, 0, 16);
  for (let i = 0; i < count; i++) W[i >> 2]! |= message[start + i]! << (24 - 8 * (i & 3));
}

/** The 32-byte SHA-256 of `message`, written into `out`, which is returned. */
export function sha256(message: Uint8Array, out: Uint8Array = new Uint8Array(32)): Uint8Array {
  const n = message.length;
  H.set(H0);
  let start = 0;
  for (; n - start >= 64; start += 64) {
    load(message, start, 64);
    compress();
  }
  // The padding: a 1 bit after the message, zeros, and the message's length in bits in the last 8 bytes.
  const rest = n - start;
  load(message, start, rest);
  W[rest >> 2]! |= 0x80 << (24 - 8 * (rest & 3));
  if (rest >= 56) {
    compress();
    W.fill(0, 0, 16);
  }
  W[14] = Math.floor(n / 0x20000000);
  W[15] = n << 3;
  compress();
  for (let i = 0; i < 8; i++) {
    out[4 * i] = H[i]! >>> 24;
    out[4 * i + 1] = H[i]! >>> 16;
    out[4 * i + 2] = H[i]! >>> 8;
    out[4 * i + 3] = H[i]!;
  }
  return out;
}
