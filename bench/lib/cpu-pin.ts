// Cores of its own for a benchmark's database: PostgreSQL's server on one
// set of cores and the benchmark's process (Joule or the baseline, with its
// devnet) on the rest, as when the database runs on a host of its own.
// On a machine of two cores, where every process otherwise takes turns on
// both, this separates what Joule's process does from what the server's
// backends take from it. Linux's CPU affinity (`taskset`, util-linux); a
// process's threads and the processes it forks later keep the cores it had.
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

/** Puts every thread of `pid`, and of each process it has already forked, on `cores` (a list such as "1" or "0-2"). */
function pin(pid: number, cores: string): void {
  let children: string[] = [];
  try {
    children = execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).split(/\s+/).filter(Boolean);
  } catch {
    // pgrep exits 1 when the process has no children.
  }
  for (const p of [String(pid), ...children]) execFileSync('taskset', ['-a', '-p', '-c', cores, p], { stdio: 'ignore' });
}

/**
 * The database server `serverPid` on the machine's last core, this process
 * on the others. Returns what the split was, for the benchmark's title.
 */
export function databaseOnItsOwnCore(serverPid: number): string {
  const n = availableParallelism();
  if (n < 2) throw new Error('--database-core: needs two cores or more, one for the database and the rest for the benchmark');
  const last = n - 1;
  const rest = last === 1 ? '0' : `0-${last - 1}`;
  pin(serverPid, String(last));
  pin(process.pid, rest);
  return `PostgreSQL on core ${last}, this process (Joule or the baseline, and the devnet) on ${rest === '0' ? 'core 0' : `cores ${rest}`}`;
}
