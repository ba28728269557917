// Makes sure a server a test started does not outlive the test process.
//
// Two layers, because neither alone covers every way a process dies:
// - an 'exit' handler signals the server and removes its folder synchronously
//   (runs on normal exit, process.exit() and uncaught exceptions);
// - a detached `sh` watchdog per server blocks reading a pipe from this
//   process; when this process dies in any way (SIGTERM from the test runner,
//   Ctrl-C, even SIGKILL) the pipe closes and the watchdog does the same
//   clean-up. It is detached, so a Ctrl-C to the terminal does not reach it.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import type { Socket } from 'node:net';

export interface Guarded {
  /** The server was stopped properly: forget it (does not touch the folder). */
  release(): void;
}

interface Entry {
  pid: number;
  dir: string;
  signal: NodeJS.Signals;
  watchdog: ChildProcess;
}

const live = new Set<Entry>();
let hooked = false;

const WATCHDOG = `
read _
kill -s "$2" "$1" 2>/dev/null
i=0
while [ "$i" -lt 50 ] && kill -0 "$1" 2>/dev/null; do sleep 0.1; i=$((i+1)); done
kill -s KILL "$1" 2>/dev/null
rm -rf "$3"
`;

/**
 * Kill `pid` with `signal` (then SIGKILL if it lingers) and remove `dir`
 * when this process goes away without calling release().
 */
export function guard(pid: number, dir: string, signal: NodeJS.Signals): Guarded {
  hook();
  const watchdog = spawn('sh', ['-c', WATCHDOG, 'joule-test-reaper', String(pid), signal.replace(/^SIG/, ''), dir], {
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  watchdog.on('error', () => {}); // no sh: the exit handler still covers normal exits
  watchdog.unref();
  (watchdog.stdin as Socket | null)?.unref();
  const entry: Entry = { pid, dir, signal, watchdog };
  live.add(entry);
  return {
    release() {
      if (!live.delete(entry)) return;
      dismiss(entry.watchdog);
    },
  };
}

/** Whether pid is a running (not zombie) process. */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    try {
      process.kill(pid, 0);
      return true;
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'EPERM';
    }
  }
}

/** The one-letter scheduler state from /proc (R, S, T, ...), or undefined. */
export function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.charAt(stat.lastIndexOf(')') + 2);
  } catch {
    return undefined;
  }
}

function dismiss(watchdog: ChildProcess): void {
  try {
    watchdog.kill('SIGKILL');
  } catch {
    // already gone
  }
  watchdog.stdin?.destroy();
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

function reapAll(): void {
  const entries = [...live];
  live.clear();
  for (const entry of entries) {
    signal(entry.pid, entry.signal);
    signal(entry.pid, 'SIGCONT'); // a frozen server cannot act on anything but SIGKILL
  }
  const deadline = Date.now() + 3000;
  while (entries.some((e) => isAlive(e.pid)) && Date.now() < deadline) sleepSync(20);
  for (const entry of entries) {
    if (isAlive(entry.pid)) signal(entry.pid, 'SIGKILL');
    rmSync(entry.dir, { recursive: true, force: true });
    dismiss(entry.watchdog);
  }
}

function hook(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', reapAll);
}
