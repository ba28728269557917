import assert from 'node:assert/strict';
import { test } from 'node:test';
import { randomBytes } from 'node:crypto';
import { TronWeb, utils } from 'tronweb';
import { isTronAddress, tronAddressFromAccountId, tronAddressToHex } from '../../src/domain/address.js';

test('the seed address and other real mainnet addresses are valid', () => {
  assert.equal(tronAddressToHex('TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t'), '41a614f803b6fd780986a42c78ec9c7f77e6ded13c');
  assert.ok(isTronAddress('TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7'));
});

test('when one character changes, the checksum refuses the address', () => {
  assert.equal(isTronAddress('TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u'), false);
  assert.equal(isTronAddress('TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj7t'), false);
});

test('wrong length, wrong prefix, base58-excluded and look-alike characters are refused', () => {
  for (const bad of [
    '',
    'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6',
    'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6tt',
    '1BoatSLRHtKNngkdXEeobR76b53LETtpyT', // a Bitcoin address: right alphabet, wrong prefix
    'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj0t', // 0 is not base58
    'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLjIt', // I is not base58
    'ТR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t', // Cyrillic Т
    'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6\u200b', // zero-width space
    ' TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t',
    '41a614f803b6fd780986a42c78ec9c7f77e6ded13c',
  ]) {
    assert.equal(isTronAddress(bad), false, JSON.stringify(bad));
  }
});

test('any account id round-trips, and agrees with TronWeb both ways', () => {
  for (let i = 0; i < 300; i++) {
    const id = randomBytes(20);
    // The extremes too: leading zero bytes and all 0xff.
    if (i === 0) id.fill(0);
    if (i === 1) id.fill(0xff);
    const address = tronAddressFromAccountId(id);
    assert.equal(address, TronWeb.address.fromHex(`41${id.toString('hex')}`));
    assert.equal(tronAddressToHex(address), `41${id.toString('hex')}`);
  }
});

test('a base58check text whose first byte is not 0x41 is refused, even when it starts with T and its checksum holds', () => {
  let startingWithT = 0;
  for (const prefix of [0x40, 0x42]) {
    for (let i = 0; i < 50; i++) {
      // TronWeb writes any 21 bytes as base58check, checksum and all.
      const text = utils.crypto.getBase58CheckAddress([prefix, ...randomBytes(20)]);
      if (text.length === 34 && text[0] === 'T') startingWithT++;
      assert.equal(tronAddressToHex(text), null, text);
    }
  }
  assert.ok(startingWithT > 0, 'some of them read as T addresses');
});

test('on valid addresses and on each of them with one character changed, the verdict is TronWeb’s', () => {
  const alphabet = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
  let refused = 0;
  for (let i = 0; i < 200; i++) {
    const address = tronAddressFromAccountId(randomBytes(20));
    const at = 1 + (i % 33);
    const changed = address.slice(0, at) + alphabet[(alphabet.indexOf(address[at]!) + 1 + i) % 58] + address.slice(at + 1);
    for (const text of [address, changed]) {
      assert.equal(isTronAddress(text), TronWeb.isAddress(text), text);
      if (!isTronAddress(text)) refused++;
    }
  }
  assert.ok(refused >= 190, `most one-character changes break the checksum (${refused} of 200 refused)`);
});
