// Webhook delivery (issue 15): how long a tenant waits from a change to its
// signed webhook arriving, and how many events a second Joule delivers.
//
//   joule      `node dist/main.js all` (the real process, default settings
//              but WEBHOOK_ALLOW_PRIVATE=true, its log written to a file), on
//              a fresh SQLite file. A tenant is made through the admin API
//              (POST /api/admin/api-keys with a webhook_url) pointing at a
//              receiver in this process (bench/lib/webhook-receiver.ts: a
//              plain node:http server checking Joule-Signature with the
//              README's snippet). Then N admin deposits (POST
//              /api/users/:id/deposits with the tenant's id, 1,000 users,
//              autocannon, BENCH_WEBHOOK_PRODUCERS connections, at most
//              BENCH_WEBHOOK_RATE a second when set) each write one
//              deposit.credited event in the deposit's own transaction, and
//              Joule's own delivery workers POST them. A deposit is the
//              cheapest real change: one event, and nothing runs after it (an
//              order also goes on to the engine, the chain and order.active).
//              Latency: the event's created_at (written in the change's
//              transaction) to the moment the receiver has read the whole
//              body; throughput: N / (first change to last arrival).
//   bare loop, same arrivals
//              the baseline: bench/servers/webhook-sender.mjs, plain node in
//              its own process, signs and POSTs the same N bodies to the same
//              kind of receiver with the concurrency Joule gives one tenant
//              (a quarter of WEBHOOK_CONCURRENCY), each event not before the
//              moment it was created in Joule's run (its offset from the first
//              change), so the two see the same arrivals. Latency from that
//              moment; throughput as Joule's. The ratio is Joule's overhead:
//              outbox claims, the delivery log, its logging, and its API
//              making the changes on the same CPU.
//   bare loop, all at once
//              the same bodies all available at the start: what the sender
//              and the receiver manage at that concurrency (the ceiling).
//
// Rounds alternate (BENCH_ROUNDS, default 3): a replay must follow the Joule
// run it replays (each round's ratio pairs a run with its own arrivals), so
// what alternates is the ceiling: last in even rounds, first in odd ones
// (with the previous round's bodies), moving Joule from first to second.
// Medians of the rounds, with each round's figure and the machine's load.
//
//   npm run bench -- webhook-delivery
//   BENCH_WEBHOOK_EVENTS=10000 BENCH_WEBHOOK_CONCURRENCY=16 BENCH_WEBHOOK_PRODUCERS=10 BENCH_WEBHOOK_RATE=500 npm run bench -- webhook-delivery
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import { loadConfig } from '../src/config.js';
import { BENCH_ADMIN_TOKEN } from './lib/admin-token.js';
import { isMain, printTable } from './lib/harness.js';
import { machineLine, median, startJouleProcess } from './lib/processes.js';
import { startWebhookReceiver, type WebhookReceiver } from './lib/webhook-receiver.js';

const USERS = 1000;
const admin = { authorization: `Bearer ${BENCH_ADMIN_TOKEN}`, 'content-type': 'application/json' };

/** One event as Joule sent it, and when it was created relative to the run's first change. */
interface SentEvent {
  id: string;
  type: string;
  body: string;
  offset: number;
}

interface Delivery {
  /** Events per second, from the first change (or the sender's start) to the last arrival. */
  rate: number;
  p50: number;
  p99: number;
  max: number;
  duplicates: number;
  refused: number;
}

interface JouleRun extends Delivery {
  /** Changes per second made through the API (first to last event's created_at). */
  changes: number;
  /** Events delivered per second after the last change was made: delivery alone, once the API is quiet (NaN if none were left). */
  drain: number;
  events: SentEvent[];
}

/** The value below which a share `q` of the sorted values fall (nearest rank). */
function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

function summarise(latencies: number[], firstChange: number, lastArrival: number, receiver: WebhookReceiver): Delivery {
  const sorted = latencies.sort((a, b) => a - b);
  return {
    rate: (sorted.length * 1000) / (lastArrival - firstChange),
    p50: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
    max: sorted[sorted.length - 1]!,
    duplicates: receiver.duplicates,
    refused: receiver.refused,
  };
}

const deliveryTimeoutMs = (n: number) => Math.max(120_000, n * 30);

async function runJoule(n: number, env: Record<string, string>, producers: number, rate: number | undefined): Promise<JouleRun> {
  const receiver = await startWebhookReceiver();
  const joule = await startJouleProcess('all', env);
  try {
    const issued = await fetch(`${joule.url}/api/admin/api-keys`, { method: 'POST', headers: admin, body: JSON.stringify({ name: 'webhook bench', webhook_url: receiver.url }) });
    if (issued.status !== 201) throw new Error(`POST /api/admin/api-keys: ${issued.status} ${await issued.text()}`);
    const { tenant_id: tenantId, signing_secret: secret } = (await issued.json()) as { tenant_id: string; signing_secret: string };
    receiver.secret = secret;

    let i = 0;
    const made = await autocannon({
      url: joule.url,
      connections: producers,
      amount: n,
      ...(rate === undefined ? {} : { overallRate: rate }),
      requests: [
        {
          method: 'POST',
          path: '/api/users/1/deposits',
          headers: admin,
          setupRequest: (req: any) => {
            const k = i++;
            return { ...req, path: `/api/users/${(k % USERS) + 1}/deposits`, body: JSON.stringify({ amount_sun: '1000000', reference: `webhook-bench-${k}`, tenant_id: tenantId }) };
          },
        },
      ],
    });
    if (made['2xx'] !== n) throw new Error(`${made['2xx']} of ${n} deposits answered 2xx (non-2xx ${made.non2xx}, errors ${made.errors}, timeouts ${made.timeouts})`);
    if (!(await receiver.waitFor(n, deliveryTimeoutMs(n)))) throw new Error(`only ${receiver.arrivals.size} of ${n} events arrived within ${deliveryTimeoutMs(n) / 1000} s`);

    const events = [...receiver.arrivals].map(([id, a]) => {
      const json = JSON.parse(a.body) as { type: string; created_at: string };
      return { id, type: json.type, body: a.body, created: Date.parse(json.created_at), at: a.at };
    });
    if (events.some((e) => e.type !== 'deposit.credited')) throw new Error('an event other than deposit.credited arrived');
    events.sort((a, b) => a.created - b.created || (a.id < b.id ? -1 : 1));
    const first = events[0]!.created;
    const lastChange = events[events.length - 1]!.created;
    const lastArrival = Math.max(...events.map((e) => e.at));
    const left = events.filter((e) => e.at > lastChange).length;
    return {
      ...summarise(
        events.map((e) => e.at - e.created),
        first,
        lastArrival,
        receiver,
      ),
      changes: (n * 1000) / Math.max(1, lastChange - first),
      drain: left >= Math.max(10, n / 20) ? (left * 1000) / (lastArrival - lastChange) : NaN,
      events: events.map((e) => ({ id: e.id, type: e.type, body: e.body, offset: e.created - first })),
    };
  } finally {
    await joule.stop();
    await receiver.close();
  }
}

/** The bare loop: bench/servers/webhook-sender.mjs sends `events` to a fresh receiver. */
async function runBareLoop(events: readonly SentEvent[], concurrency: number): Promise<Delivery> {
  const receiver = await startWebhookReceiver();
  receiver.secret = `whsec_${randomBytes(24).toString('base64url')}`;
  const dir = mkdtempSync(join(tmpdir(), 'joule-webhook-bench-'));
  try {
    const file = join(dir, 'events.json');
    writeFileSync(file, JSON.stringify(events));
    const child = spawn(process.execPath, ['bench/servers/webhook-sender.mjs'], {
      env: { ...process.env, EVENTS_FILE: file, URL: receiver.url, SECRET: receiver.secret, CONCURRENCY: String(concurrency) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines: string[] = [];
    createInterface({ input: child.stdout! }).on('line', (l) => lines.push(l));
    const [code] = (await once(child, 'exit')) as [number | null];
    // The readline interface may hand over the last lines just after the exit.
    await new Promise((r) => setImmediate(r));
    if (code !== 0) throw new Error(`webhook-sender.mjs exited with ${code}`);
    const { startAt } = JSON.parse(lines[0]!) as { startAt: number };
    const { failed } = JSON.parse(lines[lines.length - 1]!) as { failed: number };
    if (failed > 0) throw new Error(`the bare loop had ${failed} requests not answered 2xx`);
    if (!(await receiver.waitFor(events.length, 10_000))) throw new Error(`only ${receiver.arrivals.size} of ${events.length} bare-loop events arrived`);
    const latencies = events.map((e) => receiver.arrivals.get(e.id)!.at - (startAt + e.offset));
    return summarise(latencies, startAt, Math.max(...[...receiver.arrivals.values()].map((a) => a.at)), receiver);
  } finally {
    await receiver.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

type Case = 'joule' | 'bare loop, same arrivals' | 'bare loop, all at once';
const CASES: readonly Case[] = ['joule', 'bare loop, same arrivals', 'bare loop, all at once'];

export async function run(opts: { events?: number; rounds?: number } = {}) {
  const n = opts.events ?? Number(process.env.BENCH_WEBHOOK_EVENTS ?? 10_000);
  const rounds = opts.rounds ?? Number(process.env.BENCH_ROUNDS ?? 3);
  const producers = Number(process.env.BENCH_WEBHOOK_PRODUCERS ?? 10);
  const rate = process.env.BENCH_WEBHOOK_RATE === undefined ? undefined : Number(process.env.BENCH_WEBHOOK_RATE);
  const env: Record<string, string> = { WEBHOOK_ALLOW_PRIVATE: 'true' };
  if (process.env.BENCH_WEBHOOK_CONCURRENCY !== undefined) env.WEBHOOK_CONCURRENCY = process.env.BENCH_WEBHOOK_CONCURRENCY;
  if (process.env.LOG_LEVEL !== undefined) env.LOG_LEVEL = process.env.LOG_LEVEL;
  const concurrency = loadConfig(env).webhooks.concurrency;
  // What one tenant gets of a worker's slots (src/webhooks/webhook-deliveries.ts, the README): a quarter.
  const perTenant = Math.max(1, Math.floor(concurrency / 4));
  console.log(`\n${machineLine()}`);

  const results = new Map<Case, Delivery[]>(CASES.map((c) => [c, []]));
  const changes: number[] = [];
  const drains: number[] = [];
  const rateRatios: number[] = [];
  const p50Ratios: number[] = [];
  const p99Ratios: number[] = [];
  let last: SentEvent[] | undefined;
  for (let r = 0; r < rounds; r++) {
    const round = new Map<Case, Delivery>();
    // A replay follows the run it replays; the ceiling (any run's bodies will do) goes last in even rounds, first in odd ones.
    for (const c of r % 2 === 0 ? CASES : (['bare loop, all at once', 'joule', 'bare loop, same arrivals'] as const)) {
      if (c === 'joule') {
        const j = await runJoule(n, env, producers, rate);
        changes.push(j.changes);
        drains.push(j.drain);
        last = j.events;
        round.set(c, j);
      } else {
        round.set(c, await runBareLoop(c === 'bare loop, all at once' ? last!.map((e) => ({ ...e, offset: 0 })) : last!, perTenant));
      }
    }
    for (const [c, x] of round) results.get(c)!.push(x);
    const j = round.get('joule')!;
    const b = round.get('bare loop, same arrivals')!;
    rateRatios.push(j.rate / b.rate);
    p50Ratios.push(j.p50 / b.p50);
    p99Ratios.push(j.p99 / b.p99);
  }

  const ms = (x: number) => x.toFixed(x < 10 ? 1 : 0);
  const times = (x: number) => `×${x.toFixed(x < 10 ? 1 : 0)}`;
  printTable(
    `Webhook delivery, ${n} deposit.credited events a run, WEBHOOK_CONCURRENCY ${concurrency} (${perTenant} at once for the one tenant), median of ${rounds} alternating rounds ` +
      `(Joule log level ${process.env.LOG_LEVEL ?? 'info, the default'})`,
    ['case', 'events/s', 'p50 ms', 'p99 ms', 'max ms', 'repeats', 'bad sig', 'ratio to bare loop, same arrivals', 'each round (events/s)'],
    CASES.map((c) => {
      const xs = results.get(c)!;
      const ratio = c === 'joule' ? `${median(rateRatios).toFixed(2)} (latency: p50 ${times(median(p50Ratios))}, p99 ${times(median(p99Ratios))})` : '';
      const latency = c === 'bare loop, all at once' ? ['-', '-', '-'] : [ms(median(xs.map((x) => x.p50))), ms(median(xs.map((x) => x.p99))), ms(median(xs.map((x) => x.max)))];
      return [c, median(xs.map((x) => x.rate)).toFixed(0), ...latency, xs.reduce((k, x) => k + x.duplicates, 0), xs.reduce((k, x) => k + x.refused, 0), ratio, xs.map((x) => x.rate.toFixed(0)).join(' ')];
    }),
  );
  console.log(
    `changes (deposits through the API, ${producers} connections${rate === undefined ? ', as fast as they answer' : `, at most ${rate}/s`}): ` +
      `${median(changes).toFixed(0)}/s median (${changes.map((x) => x.toFixed(0)).join(' ')}); latency: the event's created_at to the body read by the receiver; ` +
      'events/s: events over first change to last arrival',
  );
  const backlogged = drains.filter((x) => !Number.isNaN(x));
  // Paced, what is left at the last change is mostly waiting for the deliveries' next look (up to a second), not a backlog.
  if (rate === undefined) {
    console.log(
      backlogged.length === 0
        ? 'joule kept up: under 5 % of the events were still to deliver when the last change was made'
        : `joule alone after the last change (its API quiet, ${backlogged.length} of ${rounds} runs left a backlog): ${median(backlogged).toFixed(0)} events/s delivered ` +
            `median (${backlogged.map((x) => x.toFixed(0)).join(' ')}); before it, the API making the changes and the deliveries share the process`,
    );
  }
  return { rate: median(rateRatios), p50: median(results.get('joule')!.map((x) => x.p50)), p99: median(results.get('joule')!.map((x) => x.p99)) };
}

if (isMain(import.meta.url)) await run();
