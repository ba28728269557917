// The standalone program: flags in, a chain TronWeb can use out, with a
// genesis file naming its own accounts.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { main } from '../../src/devnet/cli.js';
import { defaultGenesis, startDevnet } from '../../src/devnet/index.js';
import { client } from './tronweb-client.js';

const signalHandlersBefore = {
  SIGINT: new Set(process.listeners('SIGINT')),
  SIGTERM: new Set(process.listeners('SIGTERM')),
};

/** main() installs SIGINT/SIGTERM handlers for a standalone run; a test removes only those. */
function dropNewSignalHandlers(): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    for (const listener of process.listeners(signal)) {
      if (!signalHandlersBefore[signal].has(listener)) process.off(signal, listener);
    }
  }
}

const dir = mkdtempSync(join(tmpdir(), 'devnet-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('main() starts a devnet from flags and a genesis file, and prints the keys', async () => {
  const genesisFile = join(dir, 'genesis.json');
  writeFileSync(
    genesisFile,
    JSON.stringify({
      seed: 'cli-test',
      restOfNetworkEnergyWeight: '1000000',
      accounts: [
        { name: 'only-pool', role: 'pool', balance: '5000000000', stakeEnergy: '1000000000' },
        { name: 'buyer', role: 'customer', balance: '1000000' },
      ],
      contracts: ['TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t'],
    }),
  );
  const lines: string[] = [];
  const original = console.log;
  console.log = (...args: unknown[]) => lines.push(args.join(' '));
  let devnet;
  try {
    devnet = await main(['--port', '0', '--block-interval', '0', '--solidify-lag', '0', '--genesis', genesisFile, '--quiet'], loadConfig({}).chain.devnet);
  } finally {
    console.log = original;
  }
  try {
    const [pool] = devnet.accounts.pools;
    assert.equal(devnet.accounts.pools.length, 1);
    assert.ok(lines.some((l) => l.includes(pool!.address) && l.includes(pool!.privateKey)), 'address and key printed');
    const tw = client(devnet, pool!.privateKey);
    assert.equal(await tw.trx.getBalance(pool!.address), 5_000_000_000);
    const res = await tw.trx.getAccountResources(pool!.address);
    assert.equal(res.TotalEnergyWeight, 1_000_000 + 1_000);
  } finally {
    await devnet.close();
    dropNewSignalHandlers();
  }
});

test('the default genesis is deterministic and has staked pools, customers and the USDT contract', async () => {
  assert.deepEqual(defaultGenesis(), defaultGenesis());
  const a = await startDevnet({ blockIntervalMs: 0 });
  const b = await startDevnet({ blockIntervalMs: 0 });
  try {
    assert.deepEqual(a.accounts, b.accounts);
    assert.ok(a.accounts.pools.length >= 2);
    assert.ok(a.accounts.customers.length >= 3);
    assert.deepEqual(a.accounts.contracts, ['TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t']);
    const tw = client(a, a.accounts.customers[0]!.privateKey);
    const contract = await tw.trx.getAccount('TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t');
    assert.equal(contract.type, 'Contract');
    for (const c of a.accounts.customers) assert.ok((await tw.trx.getBalance(c.address)) > 0, 'customers are activated');
  } finally {
    await a.close();
    await b.close();
  }
});

test('DEVNET_SEED (read by the configuration, like every DEVNET_* setting) changes the keys of the built-in genesis', async () => {
  const original = console.log;
  console.log = () => {};
  let devnet;
  try {
    const settings = loadConfig({ DEVNET_PORT: '0', DEVNET_BLOCK_INTERVAL_MS: '0', DEVNET_SEED: 'another-seed' }).chain.devnet;
    devnet = await main([], settings);
  } finally {
    console.log = original;
  }
  try {
    const usual = defaultGenesis();
    assert.equal(devnet.accounts.pools.length, usual.accounts.filter((a) => a.role === 'pool').length);
    const standard = await startDevnet({ blockIntervalMs: 0 });
    assert.notEqual(devnet.accounts.pools[0]!.address, standard.accounts.pools[0]!.address);
    await standard.close();
  } finally {
    await devnet.close();
    dropNewSignalHandlers();
  }
});
