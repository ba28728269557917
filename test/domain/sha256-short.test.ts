import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hash, randomBytes } from 'node:crypto';
import { SHORT_MESSAGE_MAX, sha256Short } from '../../src/domain/sha256-short.js';

const nodeSha256 = (m: Uint8Array) => hash('sha256', m, 'hex');
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

test('the published test vectors', () => {
  assert.equal(hex(sha256Short(new Uint8Array(0))), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  assert.equal(hex(sha256Short(Buffer.from('abc'))), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
});

test('agrees with node:crypto for every length that fits one block, on random and extreme bytes', () => {
  for (let n = 0; n <= SHORT_MESSAGE_MAX; n++) {
    for (const message of [randomBytes(n), randomBytes(n), Buffer.alloc(n, 0), Buffer.alloc(n, 0xff)]) {
      assert.equal(hex(sha256Short(message)), nodeSha256(message), `length ${n}: ${message.toString('hex')}`);
    }
  }
});

test('a hash of a hash, as a checksum takes it, agrees with node:crypto, and the output buffer given is the one written', () => {
  for (let i = 0; i < 200; i++) {
    const payload = randomBytes(21);
    const out = new Uint8Array(32);
    const inner = sha256Short(payload);
    assert.equal(sha256Short(inner, out), out);
    assert.equal(hex(out), nodeSha256(hash('sha256', payload, 'buffer')));
  }
});

test('a message longer than one block is refused rather than hashed wrong', () => {
  assert.throws(() => sha256Short(new Uint8Array(SHORT_MESSAGE_MAX + 1)), /at most 55 bytes/);
});
