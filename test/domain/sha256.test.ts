import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hash, randomBytes } from 'node:crypto';
import { sha256 } from '../../src/domain/sha256.js';

const nodeSha256 = (m: Uint8Array) => hash('sha256', m, 'hex');
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

test('the published test vectors', () => {
  assert.equal(hex(sha256(new Uint8Array(0))), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  assert.equal(hex(sha256(Buffer.from('abc'))), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  assert.equal(
    hex(sha256(Buffer.from('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'))),
    '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
  );
  assert.equal(hex(sha256(Buffer.alloc(1_000_000, 'a'))), 'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0');
});

test('agrees with node:crypto for every length up to five blocks, on random and extreme bytes', () => {
  for (let n = 0; n <= 320; n++) {
    for (const message of [randomBytes(n), Buffer.alloc(n, 0), Buffer.alloc(n, 0xff)]) {
      assert.equal(hex(sha256(message)), nodeSha256(message), `length ${n}: ${message.toString('hex')}`);
    }
  }
});

test('a hash of a hash, as a checksum takes it, agrees with node:crypto, and the output buffer given is the one written', () => {
  for (let i = 0; i < 200; i++) {
    const payload = randomBytes(21);
    const out = new Uint8Array(32);
    assert.equal(sha256(sha256(payload), out), out);
    assert.equal(hex(out), nodeSha256(hash('sha256', payload, 'buffer')));
  }
});
