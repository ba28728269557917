import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { CrashPoint } from '../../src/config.js';
import { spawnJoule } from './process.js';

/** What a worker child needs to reach the test's database and devnet. */
export interface WorkerSetup {
  databaseUrl: string;
  fullHost: string;
  poolKeys: readonly string[];
  dataDir: string;
  durations: string;
  /** Anything else (overrides the fast defaults below). */
  env?: Record<string, string>;
}

export interface WorkerProcess {
  child: ReturnType<typeof spawnJoule>['child'];
  logs: any[];
  stderr(): string;
  /** Resolves with the exit code (null when a signal ended it) once its output is fully read. */
  exited: Promise<number | null>;
  /** Waits for the process to have killed itself with SIGKILL at its crash point. */
  crashed(timeoutMs?: number): Promise<void>;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL if still running (clean-up after a failed test). */
  kill(): Promise<void>;
}

const running = (w: { child: WorkerProcess['child'] }) => w.child.exitCode === null && w.child.signalCode === null;

/**
 * Runs the real `joule worker` binary against the test's database and
 * devnet, with fast timings: confirmation polls every 100 ms, sweeps every
 * 200 ms, leases of 1.5 s (so a successor takes a dead worker's order over
 * soon). With `crashPoint`, it SIGKILLs itself there.
 */
export function spawnWorker(setup: WorkerSetup, crashPoint?: CrashPoint): WorkerProcess {
  const p = spawnJoule(['worker'], {
    DATABASE_URL: setup.databaseUrl,
    TRON_FULL_HOST: setup.fullHost,
    POOL_PRIVATE_KEYS: setup.poolKeys.join(','),
    DATA_DIR: setup.dataDir,
    ALLOWED_DURATIONS: setup.durations,
    CONFIRM_POLL_MS: '100',
    SWEEP_INTERVAL_MS: '200',
    LEASE_MS: '1500',
    CHAIN_TIMEOUT_MS: '1500',
    // The default budget (10 a second) scaled with the devnet's clock, as the times above are (stack.ts).
    TRON_MAX_RPS: '300',
    ...(crashPoint === undefined ? {} : { JOULE_CRASH_POINT: crashPoint }),
    ...setup.env,
  });
  // 'close' comes after the last of its stdout: every log line is in `logs` by then.
  const closed = once(p.child, 'close');
  const exited = Promise.all([p.exited, closed]).then(([code]) => code);
  const describe = () => `exit code ${p.child.exitCode}, signal ${p.child.signalCode}; stderr: ${p.stderr()}; last logs: ${JSON.stringify(p.logs.slice(-5))}`;
  return {
    child: p.child,
    logs: p.logs,
    stderr: p.stderr,
    exited,
    async crashed(timeoutMs = 20_000) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), timeoutMs);
      });
      const r = await Promise.race([exited, timeout]);
      clearTimeout(timer);
      assert.notEqual(r, 'timeout', `the worker did not crash within ${timeoutMs} ms; ${describe()}`);
      assert.equal(p.child.signalCode, 'SIGKILL', `the worker should have died by SIGKILL; ${describe()}`);
    },
    async stop() {
      if (running(p)) p.child.kill('SIGTERM');
      return exited;
    },
    async kill() {
      if (running(p)) p.child.kill('SIGKILL');
      await exited;
    },
  };
}
