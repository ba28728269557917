// Memory of the one-process setup through whole rentals (issue 17, goal 5:
// not growing). bench/memory.bench.ts measures order creation, where the
// devnet's pools soon fill and nothing is delegated; here every order runs
// its course: `node dist/main.js all` (default settings, embedded devnet
// with its data file) on a fast chain clock (a block every 100 ms: chain
// time runs 30 times the wall clock), rentals of 10 s to the devnet's
// customers, BENCH_RATE orders a second (default 40) for BENCH_SECONDS
// (default 300). Each order is delegated, reclaimed at its expiry and
// completed, so the devnet makes two transactions an order and, seconds
// later (once expired, 20 blocks past the solidified head), settles them
// into its history.
//
// Every 10 s: the process's RSS, its JS heap, the orders completed, and the
// sizes of the devnet's data file and history. Printed: the table, and the
// growth of RSS over the second half (what "not growing" asks about) beside
// the orders completed over it.
//
//   npm run build && npm run bench -- rentals-rss
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadGenesis, resolveGenesis } from '../src/devnet/genesis.js';
import { historyFileOf } from '../src/devnet/persistence.js';
import { isMain, printTable } from './lib/harness.js';
import { fundUsers, heapMbOf, jouleStatus, machineLine, rssMb, startJouleProcess } from './lib/processes.js';

const USERS = 1_000;
const DURATION = '10s';

const sizeMb = (file: string) => (existsSync(file) ? statSync(file).size / 1e6 : 0);

interface Sample {
  second: number;
  rssMb: number;
  heapMb: number;
  completed: number;
  dataFileMb: number;
  historyMb: number;
}

export async function run() {
  const seconds = Number(process.env.BENCH_SECONDS ?? 300);
  const rate = Number(process.env.BENCH_RATE ?? 40);
  console.log(`\n${machineLine()}`);
  const customers = resolveGenesis(loadGenesis(undefined))
    .accounts.filter((a) => a.role === 'customer')
    .map((a) => a.address);
  const joule = await startJouleProcess('all', { DEVNET_BLOCK_INTERVAL_MS: '100', ALLOWED_DURATIONS: `${DURATION},1h` });
  const dataFile = join(dirname(joule.databaseUrl.slice('sqlite:'.length)), 'devnet.json');
  const history = historyFileOf(dataFile);
  try {
    fundUsers(joule.databaseUrl, USERS);

    const pid = joule.child.pid!;
    const started = Date.now();
    const samples: Sample[] = [];
    const sample = async () => {
      const status = await jouleStatus(joule.url);
      samples.push({
        second: Math.round((Date.now() - started) / 1000),
        rssMb: rssMb(pid),
        heapMb: heapMbOf(status),
        completed: status === undefined ? NaN : (status.orders.by_status.completed ?? 0),
        dataFileMb: sizeMb(dataFile),
        historyMb: sizeMb(history),
      });
    };
    await sample();
    const timer = setInterval(() => void sample(), 10_000);
    let placed = 0;
    let refused = 0;
    const sends: Array<Promise<void>> = [];
    // Paced: order i leaves at i / rate seconds, whatever the answers' pace.
    for (let i = 0; Date.now() - started < seconds * 1000; i++) {
      const due = started + (i * 1000) / rate;
      if (due > Date.now()) await sleep(due - Date.now());
      sends.push(
        fetch(`${joule.url}/api/orders/`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ user_id: (i % USERS) + 1, energy_amount: 32_000, duration: DURATION, receive_address: customers[i % customers.length] }),
        }).then(
          (res) => void (res.status === 201 ? placed++ : refused++),
          () => void refused++,
        ),
      );
    }
    await Promise.all(sends);
    clearInterval(timer);
    await sample();
    samples.sort((a, b) => a.second - b.second);
    const half = samples.filter((s) => s.second >= seconds / 2);
    const first = half[0]!;
    const last = half[half.length - 1]!;
    printTable(
      `node dist/main.js all through ${seconds} s of rentals (${DURATION}, ${rate} orders/s offered: ${placed} placed, ${refused} refused; a block every 100 ms)`,
      ['second', 'RSS MB', 'JS heap MB', 'completed', 'devnet.json MB', 'history MB'],
      samples.map((s) => [s.second, s.rssMb.toFixed(0), s.heapMb.toFixed(0), s.completed, s.dataFileMb.toFixed(2), s.historyMb.toFixed(2)]),
    );
    console.log(
      `max RSS ${Math.max(...samples.map((s) => s.rssMb)).toFixed(0)} MB; over the second half RSS ${(last.rssMb - first.rssMb).toFixed(0)} MB ` +
        `while ${last.completed - first.completed} more orders completed`,
    );
  } finally {
    await joule.stop();
  }
}

if (isMain(import.meta.url)) await run();
