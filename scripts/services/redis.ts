// A real redis-server for tests, and a listener that accepts and never answers.
//
//   const redis = await startRedis();   // redis://127.0.0.1:<port>
//   await redis.freeze();               // SIGSTOP: connections hang
//   await redis.thaw();                 // SIGCONT
//   await redis.kill();                 // SIGKILL: connection refused from now on
//   await redis.restart();              // a new, empty server on the same port
//   await redis.stop();
//
// No persistence (--save '' --appendonly no): a restart starts empty.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { guard, isAlive, processState, type Guarded } from './reaper.js';

export interface RedisServer {
  /** redis://127.0.0.1:<port> */
  url: string;
  port: number;
  dir: string;
  /** Process id of the current redis-server (changes on restart). */
  readonly pid: number;
  /** Stops it (SIGTERM, then SIGKILL) and removes its folder. Safe to call twice. */
  stop(): Promise<void>;
  /** Sends `signal` (default SIGKILL) and waits until the process has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** SIGSTOP: the port still accepts connections, nothing is answered. */
  freeze(): Promise<void>;
  /** SIGCONT: answers again, including what was sent while frozen. */
  thaw(): Promise<void>;
  /** Stops the current process if it runs, starts a new one on the same port. */
  restart(): Promise<void>;
}

export interface StartRedisOptions {
  /** Port to listen on; default: a free one. */
  port?: number;
}

const READY_TIMEOUT_MS = 10_000;

export async function startRedis(options: StartRedisOptions = {}): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'joule-redis-'));
  let current: Running;
  try {
    current = await launchOnFreePort(dir, options.port);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const port = current.port;
  let stopping: Promise<void> | undefined;

  const server: RedisServer = {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    get pid() {
      return current.child.pid ?? -1;
    },
    stop: () =>
      (stopping ??= (async () => {
        await terminate(current, 'SIGTERM');
        rmSync(dir, { recursive: true, force: true });
      })()),
    async kill(signal = 'SIGKILL') {
      await terminate(current, signal);
    },
    async freeze() {
      await sendAndWaitState(current, 'SIGSTOP', (state) => state === 'T');
    },
    async thaw() {
      await sendAndWaitState(current, 'SIGCONT', (state) => state !== 'T');
    },
    async restart() {
      if (stopping) throw new Error('redis test server was stopped; start a new one');
      await terminate(current, 'SIGTERM');
      current = await launch(dir, port);
    },
  };
  return server;
}

/** A TCP server on 127.0.0.1 that accepts connections and never writes a byte. */
export interface SilentListener {
  port: number;
  /** redis://127.0.0.1:<port>, for "Redis accepts but is silent" tests. */
  url: string;
  /** Closes the listener and every connection it accepted. */
  close(): Promise<void>;
}

export function startSilentListener(): Promise<SilentListener> {
  return new Promise((resolve, reject) => {
    const sockets = new Set<Socket>();
    const server = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => sockets.delete(socket));
      socket.resume(); // read and drop whatever the client sends
      socket.unref();
    });
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1' }, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') return reject(new Error('silent listener has no port'));
      let closing: Promise<void> | undefined;
      resolve({
        port: address.port,
        url: `redis://127.0.0.1:${address.port}`,
        close: () =>
          (closing ??= new Promise((done) => {
            for (const socket of sockets) socket.destroy();
            server.close(() => done());
          })),
      });
    });
  });
}

/**
 * Sends one command as a RESP array over a fresh TCP connection. Resolves with
 * the reply: a status, error or integer line as sent ("+PONG", "-ERR ...",
 * ":1"), or the contents of a bulk string. Rejects on a connection error or
 * when no complete reply came within timeoutMs.
 */
export function redisCommand(port: number, args: string[], timeoutMs = 1000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let received = Buffer.alloc(0);
    const finish = (error: Error | null, reply?: string) => {
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(reply ?? '');
    };
    const timer = setTimeout(() => finish(new Error(`no reply from 127.0.0.1:${port} within ${timeoutMs} ms`)), timeoutMs);
    socket.on('connect', () => {
      socket.write(`*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join(''));
    });
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf('\r\n');
      if (end < 0) return;
      const line = received.subarray(0, end).toString('utf8');
      if (!line.startsWith('$')) return finish(null, line);
      const length = Number(line.slice(1));
      if (length < 0) return finish(null, line); // null bulk string: "$-1"
      if (received.length >= end + 2 + length + 2) finish(null, received.subarray(end + 2, end + 2 + length).toString('utf8'));
    });
    socket.on('error', (error) => finish(error));
    socket.on('close', () => finish(new Error(`connection to 127.0.0.1:${port} closed without a reply`)));
  });
}

interface Running {
  port: number;
  child: ChildProcess;
  exited: Promise<void>;
  guarded: Guarded;
  log: string;
}

async function launchOnFreePort(dir: string, port: number | undefined): Promise<Running> {
  if (port !== undefined) return launch(dir, port);
  for (let attempt = 1; ; attempt++) {
    try {
      return await launch(dir, await freePort());
    } catch (error) {
      // Lost the race for the port to another process: try another one.
      if (attempt >= 3 || !/Address already in use/i.test(String(error))) throw error;
    }
  }
}

async function launch(dir: string, port: number): Promise<Running> {
  const log = join(dir, `redis-${Date.now()}.log`);
  const child = spawn(
    'redis-server',
    [
      '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--logfile', log,
      '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--loglevel', 'notice',
    ],
    { cwd: dir, stdio: 'ignore' },
  );
  let exitedEarly: string | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exitedEarly = `exited (${signal ?? `code ${code}`})`;
      resolve();
    });
    child.once('error', (error) => {
      exitedEarly = (error as NodeJS.ErrnoException).code === 'ENOENT'
        ? 'not found: install the Debian package "redis-server" (`npm test` does it)'
        : error.message;
      resolve();
    });
  });
  child.unref(); // a forgotten stop() must not keep the test process alive; the reaper kills it
  const running: Running = { port, child, exited, log, guarded: { release() {} } };
  if (child.pid !== undefined) running.guarded = guard(child.pid, dir, 'SIGKILL');

  // Ready when the server on the port says it is this process: another
  // server already holding the port must not pass for ours.
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (exitedEarly !== undefined) break;
    try {
      const info = await redisCommand(port, ['INFO', 'server'], 250);
      if (new RegExp(`^process_id:${child.pid}\\r?$`, 'm').test(info)) return running;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) break;
    await Promise.race([exited, new Promise((r) => setTimeout(r, 25))]);
  }
  await terminate(running, 'SIGKILL');
  throw new Error(
    `redis-server on port ${port} ${exitedEarly ?? `did not answer PING within ${READY_TIMEOUT_MS} ms`}\n` +
      `--- redis log (last lines) ---\n${tail(log)}`,
  );
}

/** Sends signal and waits for the exit, escalating to SIGKILL after 5 s. */
async function terminate(running: Running, signal: NodeJS.Signals): Promise<void> {
  const { child } = running;
  if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
    child.kill(signal);
    if (signal !== 'SIGKILL') child.kill('SIGCONT'); // a frozen process only acts on a signal once running
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), 5000)));
    if ((await Promise.race([running.exited, late])) === 'late') {
      child.kill('SIGKILL');
      await running.exited;
    }
    clearTimeout(timer);
  }
  running.guarded.release();
}

async function sendAndWaitState(running: Running, signal: NodeJS.Signals, reached: (state: string) => boolean): Promise<void> {
  const pid = running.child.pid;
  if (pid === undefined || !isAlive(pid)) throw new Error('redis test server is not running');
  process.kill(pid, signal);
  const deadline = Date.now() + 2000;
  for (;;) {
    const state = processState(pid);
    if (state === undefined || reached(state)) return;
    if (Date.now() > deadline) throw new Error(`redis-server did not react to ${signal} (state ${state})`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
