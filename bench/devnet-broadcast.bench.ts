// Broadcast throughput of the devnet: N TronWeb-built and TronWeb-signed
// transactions (half TRX transfers, half energy delegations) sent over HTTP
// with fixed concurrency, beside a baseline run of the same number of
// `wallet/getnowblock` requests on the same server and client. The ratio
// says how much of the HTTP round trip the node's checks cost.
//
//   node --import tsx bench/devnet-broadcast.bench.ts [--n 5000] [--concurrency 32]
import { Agent, request } from 'node:http';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { TronWeb } from 'tronweb';
import { startDevnet } from '../src/devnet/index.js';

export interface PhaseResult {
  requests: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  failures: number;
}

export interface BenchResult {
  config: { n: number; concurrency: number; node: string; signMs: number };
  baseline: PhaseResult;
  broadcast: PhaseResult;
  /** broadcast throughput / baseline throughput. */
  ratio: number;
  included: number;
}

function post(agent: Agent, url: URL, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;
}

async function phase(
  agent: Agent,
  url: URL,
  bodies: readonly string[],
  concurrency: number,
  ok: (answer: string) => boolean,
): Promise<PhaseResult> {
  const latencies: number[] = new Array<number>(bodies.length);
  let next = 0;
  let failures = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < bodies.length) {
        const i = next++;
        const t0 = performance.now();
        const answer = await post(agent, url, bodies[i]!);
        latencies[i] = performance.now() - t0;
        if (!ok(answer)) failures++;
      }
    }),
  );
  const elapsed = performance.now() - started;
  latencies.sort((a, b) => a - b);
  const round = (x: number): number => Math.round(x * 100) / 100;
  return {
    requests: bodies.length,
    perSecond: Math.round((bodies.length / elapsed) * 1000),
    p50Ms: round(percentile(latencies, 50)),
    p99Ms: round(percentile(latencies, 99)),
    failures,
  };
}

export async function run(options: { n?: number; concurrency?: number } = {}): Promise<BenchResult> {
  const n = options.n ?? 5000;
  const concurrency = options.concurrency ?? 32;
  const devnet = await startDevnet({ blockIntervalMs: 0, solidifyLag: 0 });
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  try {
    const [transferPool, delegatePool] = devnet.accounts.pools as [typeof devnet.accounts.pools[0], typeof devnet.accounts.pools[0]];
    const customers = devnet.accounts.customers;
    const tw = new TronWeb({ fullHost: devnet.url });
    const ref = await tw.trx.getCurrentRefBlockParams();
    // Ten minutes of validity: signing thousands of transactions takes a while.
    const blockHeader = { ...ref, expiration: ref.timestamp + 600_000 };

    const signStarted = performance.now();
    const bodies: string[] = [];
    for (let i = 0; i < n; i++) {
      const receiver = customers[i % customers.length]!.address;
      // Distinct amounts make every transaction (and txID) distinct.
      const tx =
        i % 2 === 0
          ? await tw.transactionBuilder.sendTrx(receiver, 1 + i, transferPool!.address, { blockHeader })
          : await tw.transactionBuilder.delegateResource(1_000_000 + i, receiver, 'ENERGY', delegatePool!.address, false, undefined, {
              blockHeader,
            });
      const key = i % 2 === 0 ? transferPool!.privateKey : delegatePool!.privateKey;
      bodies.push(JSON.stringify(await tw.trx.sign(tx, key)));
    }
    const signMs = Math.round(performance.now() - signStarted);

    const base = new URL('/wallet/getnowblock', devnet.url);
    const baseline = await phase(agent, base, Array.from({ length: n }, () => '{}'), concurrency, (a) => a.includes('blockID'));
    const broadcast = await phase(agent, new URL('/wallet/broadcasttransaction', devnet.url), bodies, concurrency, (a) =>
      a.startsWith('{"result":true'),
    );
    await devnet.mine(1);
    const block = (await tw.trx.getCurrentBlock()) as { transactions?: unknown[] };
    return {
      config: { n, concurrency, node: process.version, signMs },
      baseline,
      broadcast,
      ratio: Math.round((broadcast.perSecond / baseline.perSecond) * 100) / 100,
      included: block.transactions?.length ?? 0,
    };
  } finally {
    agent.destroy();
    await devnet.close();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { n: { type: 'string' }, concurrency: { type: 'string' } } });
  const result = await run({
    ...(values.n ? { n: Number(values.n) } : {}),
    ...(values.concurrency ? { concurrency: Number(values.concurrency) } : {}),
  });
  const { config, baseline, broadcast } = result;
  console.log(`devnet broadcast bench: ${config.n} TronWeb-signed transactions, concurrency ${config.concurrency}, node ${config.node}`);
  console.log(`  (pre-signing took ${config.signMs} ms)`);
  console.log(`  baseline  getnowblock          ${baseline.perSecond}/s  p50 ${baseline.p50Ms} ms  p99 ${baseline.p99Ms} ms  failures ${baseline.failures}`);
  console.log(`  broadcasttransaction           ${broadcast.perSecond}/s  p50 ${broadcast.p50Ms} ms  p99 ${broadcast.p99Ms} ms  failures ${broadcast.failures}`);
  console.log(`  ratio broadcast/baseline       ${result.ratio}`);
  console.log(`  included in the next block     ${result.included}`);
}
