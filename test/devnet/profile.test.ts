// Timing profiles: `mainnet` is 3 s blocks solidified 19 blocks behind the
// head; with a short block interval its chain time runs faster than the
// clock (each block is still 3 s of chain time), so tests at mainnet timing
// finish quickly. `default` stays a block a second, solid 2 blocks later.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../../src/config.js';
import { main } from '../../src/devnet/cli.js';
import { startDevnet, type Devnet } from '../../src/devnet/index.js';
import { admin, broadcast, client } from './tronweb-client.js';

test('the mainnet profile at 100 ms blocks: 3 s of chain time a block, 30x the clock, solid 19 blocks behind', async () => {
  const devnet = await startDevnet({ profile: 'mainnet', blockIntervalMs: 100 });
  try {
    const status = await admin(devnet, 'GET', '/status');
    assert.deepEqual([status.profile, status.blockIntervalMs, status.solidifyLag], ['mainnet', 100, 19]);
    const pool = devnet.accounts.pools[0]!;
    const tw = client(devnet, pool.privateKey);
    const tx = await tw.transactionBuilder.delegateResource(2_000_000, devnet.accounts.customers[0]!.address, 'ENERGY', pool.address);
    const out = await broadcast(tw, await tw.trx.sign(tx));
    assert.equal(out.result, true, out.message);
    const startedAt = Date.now();
    let included: number | undefined;
    while (Date.now() - startedAt < 10_000) {
      included = (await tw.trx.getUnconfirmedTransactionInfo(out.txid)).blockNumber;
      if (included !== undefined) break;
      await sleep(20);
    }
    assert.ok(included !== undefined, 'included in a block');
    assert.deepEqual(await tw.trx.getTransactionInfo(out.txid), {}, 'not solid yet');
    while ((await tw.trx.getConfirmedCurrentBlock()).block_header.raw_data.number < included) await sleep(50);
    const head = (await tw.trx.getCurrentBlock()).block_header.raw_data;
    const solid = (await tw.trx.getConfirmedCurrentBlock()).block_header.raw_data;
    assert.ok(head.number - solid.number >= 19 && head.number - solid.number <= 20, `head ${head.number}, solid ${solid.number}`);
    assert.equal((await tw.trx.getTransactionInfo(out.txid)).blockNumber, included);
    const previous = await tw.trx.getBlockByNumber(head.number - 1);
    assert.equal(head.timestamp - previous.block_header.raw_data.timestamp, 3000);
    assert.ok(head.timestamp - Date.now() > 30_000, 'chain time runs ahead of the clock');
  } finally {
    await devnet.close();
  }
});

test('without a profile, the devnet keeps its quick timing: a block a second, solid 2 blocks later', async () => {
  const devnet = await startDevnet({});
  try {
    const status = await admin(devnet, 'GET', '/status');
    assert.deepEqual([status.profile, status.blockIntervalMs, status.solidifyLag], ['default', 1000, 2]);
  } finally {
    await devnet.close();
  }
});

test('--profile mainnet and DEVNET_PROFILE pick the profile; an explicit interval or lag still wins', async () => {
  const original = console.log;
  console.log = () => {};
  const listenersBefore = { SIGINT: new Set(process.listeners('SIGINT')), SIGTERM: new Set(process.listeners('SIGTERM')) };
  const started = [];
  try {
    started.push(await main(['--profile', 'mainnet', '--block-interval', '0', '--port', '0', '--quiet'], loadConfig({}).chain.devnet));
    started.push(await main(['--port', '0', '--quiet'], loadConfig({ DEVNET_PROFILE: 'mainnet', DEVNET_BLOCK_INTERVAL_MS: '0' }).chain.devnet));
    started.push(await main(['--port', '0', '--quiet', '--solidify-lag', '4'], loadConfig({ DEVNET_PROFILE: 'mainnet', DEVNET_BLOCK_INTERVAL_MS: '0' }).chain.devnet));
  } finally {
    console.log = original;
    // main() installs SIGINT/SIGTERM handlers for a standalone run: remove only those.
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      for (const listener of process.listeners(signal)) if (!listenersBefore[signal].has(listener)) process.off(signal, listener);
    }
  }
  try {
    const lags = [];
    for (const devnet of started) {
      const status = await admin(devnet, 'GET', '/status');
      assert.equal(status.profile, 'mainnet');
      assert.equal(status.blockIntervalMs, 0);
      lags.push(status.solidifyLag);
    }
    assert.deepEqual(lags, [19, 19, 4]);
    await assert.rejects(main(['--profile', 'fast', '--port', '0'], loadConfig({}).chain.devnet), /profile must be one of default, mainnet/);
  } finally {
    for (const devnet of started) await devnet.close();
  }
});

test('--profile trongrid and DEVNET_PROFILE=trongrid limit requests; --rate-limit-* and DEVNET_RATE_LIMIT_* set the limits, a flag winning', async () => {
  const original = console.log;
  const lines: string[] = [];
  console.log = (...args: unknown[]) => lines.push(args.join(' '));
  const listenersBefore = { SIGINT: new Set(process.listeners('SIGINT')), SIGTERM: new Set(process.listeners('SIGTERM')) };
  const started = [];
  try {
    started.push(await main(['--profile', 'trongrid', '--block-interval', '0', '--port', '0', '--quiet'], loadConfig({}).chain.devnet));
    const settings = loadConfig({ DEVNET_PROFILE: 'trongrid', DEVNET_BLOCK_INTERVAL_MS: '0', DEVNET_RATE_LIMIT_PER_SECOND: '5', DEVNET_RATE_LIMIT_PER_DAY: '7' }).chain.devnet;
    started.push(await main(['--port', '0', '--quiet', '--rate-limit-per-second', '2', '--rate-limit-suspend', '0'], settings));
  } finally {
    console.log = original;
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      for (const listener of process.listeners(signal)) if (!listenersBefore[signal].has(listener)) process.off(signal, listener);
    }
  }
  try {
    const [free, set] = started as [Devnet, Devnet];
    assert.deepEqual((await admin(free, 'GET', '/status')).rateLimit, { perSecond: 15, perDay: 100_000, suspendMs: 30_000 });
    assert.deepEqual((await admin(set, 'GET', '/status')).rateLimit, { perSecond: 2, perDay: 7, suspendMs: 0 });
    assert.ok(lines.some((l) => l.includes('rate limited like TronGrid') && l.includes('15 a second')), 'the limits are printed');
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await fetch(`${set.url}/wallet/getnowblock`)).status);
    assert.deepEqual(statuses, [200, 200, 403]);
    await assert.rejects(main(['--rate-limit-per-second', '0', '--port', '0'], loadConfig({}).chain.devnet), /rateLimit.perSecond must be a positive integer/);
  } finally {
    for (const devnet of started) await devnet.close();
  }
});
