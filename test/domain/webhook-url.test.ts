import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isPrivateAddress } from '../../src/domain/webhook-url.js';

test('an IPv6 address that carries a private IPv4 address to an IPv4 host is private; one carrying a public address is not', () => {
  const carried = {
    // NAT64's well-known prefix (RFC 6052): the cloud metadata service, loopback, a private network.
    '64:ff9b::a9fe:a9fe': true,
    '64:ff9b::169.254.169.254': true,
    '64:ff9b::7f00:1': true,
    '64:ff9b::10.0.0.5': true,
    '64:ff9b::808:808': false,
    '64:ff9b::8.8.8.8': false,
    // 6to4 (RFC 3056): the IPv4 address follows 2002:.
    '2002:7f00:1::': true,
    '2002:a9fe:a9fe::1': true,
    '2002:c0a8:101:1::1': true,
    '2002:808:808::1': false,
    // Teredo (RFC 4380): its server's address, then its client's inverted.
    '2001:0:a9fe:a9fe::': true,
    '2001:0:808:808:0:0:80ff:fffe': true, // client 127.0.0.1
    '2001:0:808:808:0:0:f7f7:f7f7': false, // client 8.8.8.8
    // The IPv4-translated form (RFC 2765) and the deprecated IPv4-compatible one.
    '::ffff:0:7f00:1': true,
    '::ffff:0:808:808': false,
    '::127.0.0.1': true,
    '::a9fe:a9fe': true,
    '::8.8.8.8': false,
    // IPv4-mapped, as before.
    '::ffff:127.0.0.1': true,
    '::ffff:8.8.8.8': false,
    // NAT64 for a local network's own use (RFC 8215) reaches only that network.
    '64:ff9b:1::808:808': true,
  };
  for (const [address, expected] of Object.entries(carried)) assert.equal(isPrivateAddress(address), expected, address);
});

test('other IPv6 and IPv4 addresses keep their verdicts', () => {
  for (const address of ['::1', '::', 'fd00::1', 'fe80::1%eth0', '[fe80::1]', 'ff02::1', '127.0.0.1', '10.1.2.3', '169.254.169.254', '0.0.0.0', 'not an address']) {
    assert.equal(isPrivateAddress(address), true, address);
  }
  for (const address of ['2001:4860:4860::8888', '2606:4700:4700::1111', '[2a00:1450:4001:80b::200e]', '8.8.8.8', '1.1.1.1']) {
    assert.equal(isPrivateAddress(address), false, address);
  }
});
