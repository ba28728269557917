// Joule as the benchmarks run it: built by createJoule (the composition root
// `npm start` uses) on a fresh SQLite file, with the benchmarks' one admin token,
// in a process whose heap grows as main.ts has Joule's grow.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { loadConfig } from '../../src/config.js';
import { applyHeapGrowth } from '../../src/heap-growth.js';
import { createJoule, type Joule } from '../../src/joule.js';
import type { Logger } from '../../src/observability/logger.js';
import { BENCH_ADMIN_TOKEN } from './admin-token.js';

export interface BenchJoule extends Joule {
  /** The SQLite URL, for a second Joule on the same database (an `api` beside a `worker`). */
  databaseUrl: string;
  /** app.inject, for benchmarks that drive the API in-process. */
  inject(opts: InjectOptions): Promise<LightMyRequestResponse>;
  /** Credits a user through the admin API. */
  deposit(userId: number, amountSun: bigint): Promise<void>;
  /** close(), then the database folder goes too (unless the database was given). */
  close(): Promise<void>;
}

let references = 0;

export async function benchJoule(env: Record<string, string>, opts: { log?: Logger; databaseUrl?: string; workerId?: string } = {}): Promise<BenchJoule> {
  applyHeapGrowth();
  const dir = opts.databaseUrl === undefined ? mkdtempSync(join(tmpdir(), 'joule-bench-')) : undefined;
  const databaseUrl = opts.databaseUrl ?? `sqlite:${join(dir!, 'joule.db')}`;
  const config = loadConfig({ DATABASE_URL: databaseUrl, ADMIN_TOKEN: BENCH_ADMIN_TOKEN, HOST: '127.0.0.1', PORT: '0', ...env });
  const joule = await createJoule(config, { ...(opts.log ? { log: opts.log } : {}), ...(opts.workerId ? { workerId: opts.workerId } : {}) });
  const inject = (o: InjectOptions) => {
    if (!joule.app) throw new Error(`role ${config.role} serves no API`);
    return joule.app.inject(o);
  };
  return {
    ...joule,
    databaseUrl,
    inject,
    async deposit(userId, amountSun) {
      const res = await inject({
        method: 'POST',
        url: `/api/users/${userId}/deposits`,
        headers: { authorization: `Bearer ${BENCH_ADMIN_TOKEN}` },
        payload: { amount_sun: amountSun.toString(), reference: `bench-${process.pid}-${++references}` },
      });
      if (res.statusCode !== 201) throw new Error(`deposit: ${res.statusCode} ${res.body}`);
    },
    async close() {
      await joule.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * For bench/servers/*: listens on a free loopback port, announces it as
 * {"port":N} on the first stdout line (see startServer), and closes on SIGTERM.
 */
export async function serve(joule: Joule, onStop: () => Promise<void> = () => joule.close()): Promise<void> {
  await joule.listen();
  process.stdout.write(`${JSON.stringify({ port: (joule.app!.server.address() as { port: number }).port })}\n`);
  process.on('SIGTERM', () => void onStop().then(() => process.exit(0)));
}
