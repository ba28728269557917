import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface JouleProcess {
  child: ChildProcess;
  /** http://host:port, from the "joule started" line. */
  url: string;
  /** Every JSON log line so far, parsed. */
  logs: any[];
  stderr(): string;
  waitForLog(match: (line: any) => boolean, timeoutMs?: number): Promise<any>;
  /** Sends the signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Runs the real Joule binary (src/main.ts through tsx) as a child process. */
export function spawnJoule(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'info', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: any[] = [];
  let err = '';
  let buffered = '';
  const waiters: Array<() => void> = [];
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      try {
        logs.push(JSON.parse(line));
      } catch {
        logs.push({ msg: line, unparsed: true });
      }
      for (const w of waiters.splice(0)) w();
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  const exited = once(child, 'exit').then(([code]) => code as number | null);

  const waitForLog = (match: (line: any) => boolean, timeoutMs = 20_000): Promise<any> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`log line not seen in ${timeoutMs} ms; stderr: ${err}`)), timeoutMs);
      const check = () => {
        const hit = logs.find(match);
        if (hit) {
          clearTimeout(timer);
          resolve(hit);
        } else waiters.push(check);
      };
      void exited.then(() => {
        clearTimeout(timer);
        const hit = logs.find(match);
        if (hit) resolve(hit);
        else reject(new Error(`joule exited before the log line; stderr: ${err}`));
      });
      check();
    });

  return {
    child,
    logs,
    exited,
    stderr: () => err,
    waitForLog,
    async started(): Promise<JouleProcess> {
      const line = await waitForLog((l) => l.msg === 'joule started');
      return {
        child,
        url: line.url,
        logs,
        stderr: () => err,
        waitForLog,
        async stop(signal = 'SIGTERM') {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          return exited;
        },
      };
    },
  };
}
