// What a wake-up costs, per order, in CPU: of this process (BullMQ and
// ioredis building, sending and reading the jobs) and of redis-server (BullMQ's
// Lua script per job), for the shapes an API could send the wake-ups of one
// event-loop turn in, on a real redis-server. CPU time, not throughput: on a
// shared machine it is the steadier figure, and it is what a Redis-up API
// pays beside one with background tasks off (where both are 0).
//   add per order   one Queue.add per order, all started in the same turn (Joule before issue 17 goal 3)
//   addBulk         one Queue.addBulk per turn (Joule now; a lone job goes by add)
//   one job a turn  one job carrying every order id of the turn (not what Joule does: a comparator)
// Rounds alternate the shapes; medians.
import { loadavg } from 'node:os';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { startRedis } from '../scripts/services/redis.js';
import { QUEUE_NAME } from '../src/dispatch/redis-connection.js';
import { cpuMs, isMain, printTable } from './lib/harness.js';

const JOB_OPTIONS = { removeOnComplete: true, removeOnFail: true, attempts: 1 } as const;
const SHAPES = ['add per order', 'addBulk', 'one job a turn'] as const;
type Shape = (typeof SHAPES)[number];

export async function run() {
  const perTurn = (process.env.BENCH_PER_TURN ?? '1,10,40').split(',').map(Number);
  const orders = Number(process.env.BENCH_ORDERS ?? 10_000);
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  const [l1, l5, l15] = loadavg();
  console.log(`\nload average at start: ${l1!.toFixed(2)} ${l5!.toFixed(2)} ${l15!.toFixed(2)} (1, 5, 15 min)`);
  const redis = await startRedis();
  const connection = new Redis(redis.url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  await connection.connect();
  const queue = new Queue(QUEUE_NAME, { connection });
  await queue.waitUntilReady();
  let n = 0;
  const send = async (shape: Shape, ids: string[]) => {
    const jobs = ids.map((id) => ({ name: 'wake', data: { orderId: id }, opts: { ...JOB_OPTIONS, jobId: id } }));
    if (shape === 'add per order') await Promise.all(jobs.map((j) => queue.add(j.name, j.data, j.opts)));
    else if (shape === 'addBulk') await (jobs.length === 1 ? queue.add(jobs[0]!.name, jobs[0]!.data, jobs[0]!.opts) : queue.addBulk(jobs));
    else await queue.add('wake', { orderIds: ids }, { ...JOB_OPTIONS, jobId: ids[0]! });
  };
  const measure = async (shape: Shape, batch: number) => {
    const node0 = process.cpuUsage();
    const redis0 = cpuMs(redis.pid);
    for (let i = 0; i < orders / batch; i++) await send(shape, Array.from({ length: batch }, () => `bench-${process.pid}-${n++}`));
    const node = process.cpuUsage(node0);
    const redisUs = (cpuMs(redis.pid) - redis0) * 1000;
    await connection.flushall();
    return { node: (node.user + node.system) / orders, redis: redisUs / orders };
  };
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const rows: Array<Array<string | number>> = [];
  try {
    for (const batch of perTurn) await measure('add per order', batch); // warm-up
    for (const batch of perTurn) {
      const got = new Map<Shape, Array<{ node: number; redis: number }>>(SHAPES.map((s) => [s, []]));
      for (let r = 0; r < rounds; r++) for (const s of r % 2 === 0 ? SHAPES : [...SHAPES].reverse()) got.get(s)!.push(await measure(s, batch));
      const before = got.get('add per order')!;
      const beforeTotal = median(before.map((x) => x.node + x.redis));
      for (const s of SHAPES) {
        const xs = got.get(s)!;
        const node = median(xs.map((x) => x.node));
        const red = median(xs.map((x) => x.redis));
        const total = median(xs.map((x) => x.node + x.redis));
        rows.push([batch, s, node.toFixed(1), red.toFixed(1), total.toFixed(1), (total / beforeTotal).toFixed(2)]);
      }
    }
  } finally {
    await queue.close();
    connection.disconnect();
    await redis.stop();
  }
  printTable(
    `Wake-up cost per order by how a turn's orders are sent, ${orders} orders per run, median of ${rounds} rounds (ratio vs add per order)`,
    ['orders a turn', 'shape', 'this process µs/order', 'redis-server µs/order', 'total µs/order', 'ratio'],
    rows,
  );
  return rows;
}

if (isMain(import.meta.url)) await run();
