// Memory of the one-process setup under load (issue 17, goal 5): `node
// dist/main.js all` (API, engine and the embedded devnet), users funded, 50
// connections placing orders for BENCH_SECONDS (default 60). The process's
// RSS is read from /proc every 5 s; the table shows it, and the growth over
// the second half of the load, which is what "not growing" asks about.
import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { isMain, load, printTable } from './lib/harness.js';
import { machineLine, startJouleProcess } from './lib/processes.js';

const USERS = 10_000;
const ADDRESS = 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t';

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

export async function run() {
  const seconds = Number(process.env.BENCH_SECONDS ?? 60);
  console.log(`\n${machineLine()}`);
  const joule = await startJouleProcess('all');
  try {
    const db = new Database(joule.databaseUrl.slice('sqlite:'.length));
    db.pragma('busy_timeout = 10000');
    db.exec(`with recursive ids(id) as (select 1 union all select id + 1 from ids where id < ${USERS})
      insert into users (id, balance_sun, created_at, updated_at) select id, 1000000000000, 0, 0 from ids`);
    db.close();
    const pid = joule.child.pid!;
    const samples: Array<[number, number]> = [[0, rssMb(pid)]];
    const started = Date.now();
    const timer = setInterval(() => samples.push([Math.round((Date.now() - started) / 1000), rssMb(pid)]), 5000);
    const result = await load(joule.url, '/api/orders/', (i) => ({ user_id: (i % USERS) + 1, energy_amount: 32000, duration: '1h', receive_address: ADDRESS }), { seconds, warmupSeconds: 0 });
    clearInterval(timer);
    samples.push([Math.round((Date.now() - started) / 1000), rssMb(pid)]);
    const half = samples.filter(([t]) => t >= seconds / 2);
    const growth = half.length > 1 ? half[half.length - 1]![1] - half[0]![1] : 0;
    printTable(
      `RSS of node dist/main.js all under ${seconds} s of order creation (${result.rps.toFixed(0)} orders/s, p99 ${result.p99} ms, non-2xx ${result.non2xx})`,
      ['second', 'RSS MB'],
      samples.map(([t, mb]) => [t, mb.toFixed(0)]),
    );
    console.log(`max ${Math.max(...samples.map(([, mb]) => mb)).toFixed(0)} MB; growth over the second half ${growth.toFixed(0)} MB`);
  } finally {
    await joule.stop();
  }
}

if (isMain(import.meta.url)) await run();
