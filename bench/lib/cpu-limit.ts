// A fixed CPU budget for a benchmark's server process, as a container's CPU
// limit gives it: a cgroup of its own with a CFS quota (cgroup v1's `cpu`
// controller, or cgroup v2's `cpu.max`). On a machine of two cores, where
// the load generator and PostgreSQL share the cores with the servers, this
// is what lets a benchmark ask whether two processes place twice the orders
// of one: each gets the same budget, and what is left over stays free for
// the rest. Needs root (or a delegated cgroup); refused with a message
// naming the setting otherwise. The figures in docs/BENCHMARKS.md ran on
// cgroup v1; the v2 branch writes the same quota to `cpu.max` and has not
// been run on the machines they come from.
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The CFS period: short, so a capped process waits milliseconds at a time, not tens of them. */
const PERIOD_US = 10_000;

interface Hierarchy {
  /** Where a new group's folder goes. */
  root: string;
  /** Writes the quota into a group's folder. */
  limit(group: string, cores: number): void;
}

function hierarchy(): Hierarchy | null {
  const v1 = '/sys/fs/cgroup/cpu';
  if (existsSync(join(v1, 'cpu.cfs_quota_us'))) {
    return {
      root: v1,
      limit(group, cores) {
        writeFileSync(join(group, 'cpu.cfs_period_us'), String(PERIOD_US));
        writeFileSync(join(group, 'cpu.cfs_quota_us'), String(Math.round(cores * PERIOD_US)));
      },
    };
  }
  const v2 = '/sys/fs/cgroup';
  const controllers = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split(/\s+/) : []);
  if (controllers(join(v2, 'cgroup.subtree_control')).includes('cpu')) {
    return { root: v2, limit: (group, cores) => writeFileSync(join(group, 'cpu.max'), `${Math.round(cores * PERIOD_US)} ${PERIOD_US}`) };
  }
  return null;
}

/** BENCH_CPU_LIMIT: cores per server process (0.3, 1), or null when unset. */
export function cpuLimitFromEnv(): number | null {
  const text = process.env.BENCH_CPU_LIMIT;
  if (text === undefined || text === '') return null;
  const cores = Number(text);
  if (!(cores > 0 && cores <= 64)) throw new Error(`BENCH_CPU_LIMIT: cores per server process, a number such as 0.3, not ${JSON.stringify(text)}`);
  return cores;
}

let groups = 0;

/**
 * Puts process `pid` (every thread of it) in a new group allowed `cores` of
 * CPU time. The returned function removes the group once the process has
 * exited (a group with a process in it cannot be removed).
 */
export function limitCpu(pid: number, cores: number): () => void {
  const h = hierarchy();
  if (h === null) throw new Error('BENCH_CPU_LIMIT: no cgroup CPU controller to write to here (cgroup v1 `cpu` or v2 `cpu.max`, as root)');
  const group = join(h.root, `joule-bench-${process.pid}-${++groups}`);
  try {
    mkdirSync(group);
    h.limit(group, cores);
    writeFileSync(join(group, 'cgroup.procs'), String(pid));
  } catch (err) {
    throw new Error(`BENCH_CPU_LIMIT: could not cap process ${pid} at ${cores} cores in ${group}: ${(err as Error).message}`);
  }
  return () => {
    try {
      rmdirSync(group);
    } catch {
      // Still busy (the process has not exited): left for the system; it holds nothing once empty.
    }
  };
}
