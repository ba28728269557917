// A real, throw-away PostgreSQL server for tests.
//
//   const pg = await startPostgres();          // ~1-2 s: initdb + start
//   const url = await createDatabase(pg.url, 'orders_claim'); // ~50 ms each
//   ...
//   await pg.stop();                            // stops it and deletes its folder
//
// The server runs from a fresh temporary folder, listens on 127.0.0.1 only,
// trusts loopback connections and trades durability for speed (fsync off).
// When the test process dies without calling stop(), it is killed anyway.
import { execFile, execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { postgresBinDir } from '../provision.mjs';
import { freePort } from './ports.js';
import { guard, isAlive } from './reaper.js';

export interface PostgresServer {
  /** postgres://postgres@127.0.0.1:<port>/<database>, ready to use. */
  url: string;
  port: number;
  /** The temporary folder holding the cluster, log and socket. */
  dir: string;
  /** Server process id (postmaster). */
  pid: number;
  /** Fast shutdown, then removes the folder. Safe to call twice. */
  stop(): Promise<void>;
}

export interface StartPostgresOptions {
  /** Name of the database created for the returned url (default "test"). */
  database?: string;
  /** More lines for postgresql.conf (`name = value`), after the test server's own. */
  settings?: readonly string[];
}

const SUPERUSER = 'postgres';
const START_TIMEOUT_MS = 30_000;

export async function startPostgres(options: StartPostgresOptions = {}): Promise<PostgresServer> {
  const database = options.database ?? 'test';
  checkName(database);
  const bin = postgresBinDir();
  if (bin === null) {
    throw new Error('PostgreSQL server programs (initdb, pg_ctl) not found: install the Debian package "postgresql" (`npm test` does it)');
  }
  const owner = serverOwner();
  const dir = mkdtempSync(join(tmpdir(), 'joule-pg-'));
  const data = join(dir, 'data');
  try {
    if (owner) chownSync(dir, owner.uid, owner.gid);
    await run(owner, dir, join(bin, 'initdb'), [
      '-D', data, '-U', SUPERUSER, '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions',
    ]);
    appendFileSync(data + '/postgresql.conf', serverSettings(dir) + (options.settings ?? []).map((line) => `${line}\n`).join(''));
    writeFileSync(data + '/pg_hba.conf', 'local all all trust\nhost all all 127.0.0.1/32 trust\n');

    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const log = join(dir, `server-${attempt}.log`);
      try {
        await run(owner, dir, join(bin, 'pg_ctl'), [
          'start', '-D', data, '-l', log, '-w', '-t', String(START_TIMEOUT_MS / 1000), '-s', '-o', `-p ${port}`,
        ]);
      } catch (error) {
        // Another process took the port between freePort() and bind: try another.
        if (attempt < 3 && /could not bind|Address already in use/i.test(tail(log))) continue;
        throw startupError('did not start', error, log);
      }
      const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
      const guarded = guard(pid, dir, 'SIGQUIT'); // SIGQUIT = immediate shutdown
      let stopping: Promise<void> | undefined;
      const stop = () =>
        (stopping ??= (async () => {
          try {
            await run(owner, dir, join(bin, 'pg_ctl'), ['stop', '-D', data, '-m', 'fast', '-w', '-t', '30', '-s']);
          } catch {
            // Already dead, or not stopping: make sure below.
          }
          await killAndWait(pid);
          guarded.release();
          rmSync(dir, { recursive: true, force: true });
        })());
      try {
        const admin = `postgres://${SUPERUSER}@127.0.0.1:${port}/postgres`;
        await waitForConnections(admin, pid);
        const url = await createDatabase(admin, database);
        return { url, port, dir, pid, stop };
      } catch (error) {
        const failure = startupError('started but does not accept connections', error, log);
        await stop();
        throw failure;
      }
    }
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** Runs `work` on a connection of its own to `url`, closed after. */
export async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {});
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * Creates database `name` (default: a random unique name) in the cluster `url`
 * points at, and returns a url to it. Cheap: use one per test file or per test.
 * `template`: a database of the cluster to copy (no one may be connected to it).
 */
export async function createDatabase(url: string, name: string = uniqueName(), template?: string): Promise<string> {
  checkName(name);
  if (template !== undefined) checkName(template);
  await withClient(url, (client) => client.query(`create database "${name}"${template === undefined ? '' : ` template "${template}"`}`));
  const next = new URL(url);
  next.pathname = `/${name}`;
  return next.toString();
}

function uniqueName(): string {
  return `t_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
}

function checkName(name: string): void {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) {
    throw new Error(`database name ${JSON.stringify(name)}: use lower-case letters, digits and _ (at most 63)`);
  }
}

function serverSettings(dir: string): string {
  return [
    '',
    '# test server: fast, loopback only, not durable',
    "listen_addresses = '127.0.0.1'",
    `unix_socket_directories = '${dir}'`,
    'fsync = off',
    'synchronous_commit = off',
    'full_page_writes = off',
    'shared_buffers = 32MB',
    'max_connections = 200',
    "timezone = 'UTC'",
    '',
  ].join('\n');
}

/** When running as root the server must run as the `postgres` system user. */
interface Owner {
  uid: number;
  gid: number;
}

function serverOwner(): Owner | null {
  if (process.getuid?.() !== 0) return null;
  try {
    const uid = Number(execFileSync('id', ['-u', SUPERUSER], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', SUPERUSER], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    throw new Error('running as root, but there is no "postgres" system user to run PostgreSQL as (PostgreSQL refuses root)');
  }
}

function run(owner: Owner | null, cwd: string, program: string, args: string[]): Promise<string> {
  const [file, argv]: [string, string[]] = owner ? ['runuser', ['-u', SUPERUSER, '--', program, ...args]] : [program, args];
  // PG* variables (PGPORT, PGDATA, ...) of the caller must not steer initdb and pg_ctl.
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(PG|LC_)/.test(key)));
  env.LC_ALL = 'C';
  return new Promise((resolve, reject) => {
    execFile(file, argv, { cwd, env, encoding: 'utf8', timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${program.split('/').pop()} ${args[0] ?? ''} failed: ${(stderr || stdout || error.message).trim()}`));
      else resolve(stdout);
    });
  });
}

async function waitForConnections(url: string, pid: number): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  let last: unknown;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) throw new Error('server process exited');
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.query('select 1');
      return;
    } catch (error) {
      last = error;
    } finally {
      await client.end().catch(() => {});
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no connection within ${START_TIMEOUT_MS} ms: ${String(last)}`);
}

async function killAndWait(pid: number): Promise<void> {
  for (const [sig, waitMs] of [['SIGQUIT', 5000], ['SIGKILL', 2000]] as const) {
    if (!isAlive(pid)) return;
    try {
      process.kill(pid, sig);
    } catch {
      return;
    }
    const deadline = Date.now() + waitMs;
    while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  }
}

function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no server log)';
  }
}

function startupError(what: string, cause: unknown, log: string): Error {
  const message = cause instanceof Error ? cause.message : String(cause);
  return new Error(`PostgreSQL test server ${what}: ${message}\n--- server log (last lines) ---\n${tail(log)}`, { cause });
}
