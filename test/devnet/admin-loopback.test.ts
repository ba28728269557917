import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startDevnet } from '../../src/devnet/index.js';
import { isLoopbackPeer } from '../../src/devnet/server.js';

test('the /devnet admin API (keys, faults) answers loopback peers only, whatever address the node listens on', async () => {
  for (const peer of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1']) assert.equal(isLoopbackPeer(peer), true, peer);
  for (const peer of ['10.0.0.5', '192.168.1.2', '::ffff:10.0.0.5', 'fe80::1', undefined]) assert.equal(isLoopbackPeer(peer), false, String(peer));
  // Listening on every address, a loopback client still gets its answer.
  const devnet = await startDevnet({ host: '0.0.0.0', blockIntervalMs: 0 });
  try {
    const port = new URL(devnet.url).port;
    const res = await fetch(`http://127.0.0.1:${port}/devnet/status`);
    assert.equal(res.status, 200);
  } finally {
    await devnet.close();
  }
});
