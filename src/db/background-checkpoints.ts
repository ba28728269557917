// SQLite checkpoints off the event loop.
//
// In WAL mode a commit appends pages to the -wal file, and a checkpoint copies
// them back into the database file. By default the connection that commits
// runs the checkpoint itself, inside the commit that takes the WAL past 1,000
// pages, with an fsync of the database file: on the event loop that answers
// HTTP. Under the order-creation benchmark that was about a third of the
// commit's time (some 12 µs of an order's 150).
//
// Here a worker thread with a connection of its own to each database runs a
// PASSIVE checkpoint every CHECKPOINT_INTERVAL_MS. A passive checkpoint never
// blocks the writer nor waits for it, and one with nothing new to copy returns
// at once (no write, no fsync). The writer keeps its own checkpoint as a
// backstop at BACKSTOP_PAGES: under a load the worker never catches up with
// (so the WAL never restarts from its beginning), the WAL still stays bounded;
// and should the worker stop, the writer goes back to SQLite's default.
//
// One worker serves every database of the process: starting a thread costs
// tens of milliseconds, which a process that opens many databases (the tests)
// would otherwise pay for each.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type BetterSqlite3 from 'better-sqlite3';

export const CHECKPOINT_INTERVAL_MS = 50;
/** SQLite's default automatic checkpoint: the writer's own, when the worker is not there. */
const DEFAULT_PAGES = 1000;
/** The writer's own checkpoint while the worker runs: 40 MB of WAL at 4 KiB pages. */
export const BACKSTOP_PAGES = 10_000;

// Plain CommonJS so it runs the same from sources and from a build (as the devnet's signature workers).
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const databases = new Map();
let timer;
function checkpointAll() {
  for (const db of databases.values()) db.pragma('wal_checkpoint(PASSIVE)');
}
parentPort.on('message', (m) => {
  try {
    if (m.type === 'open') databases.set(m.id, new Database(m.path, { fileMustExist: true }));
    else {
      databases.get(m.id)?.close();
      databases.delete(m.id);
    }
    parentPort.postMessage({ id: m.id });
  } catch (err) {
    parentPort.postMessage({ id: m.id, error: String(err) });
  }
  if (databases.size > 0 && timer === undefined) timer = setInterval(checkpointAll, workerData.intervalMs);
  if (databases.size === 0 && timer !== undefined) timer = clearInterval(timer);
});
`;

export interface BackgroundCheckpoints {
  /** Stops checkpointing this database once a checkpoint under way is done, and closes the worker's connection to it. */
  stop(): Promise<void>;
}

interface Registration {
  writer: BetterSqlite3.Database;
  /** Set while the writer is being closed: it is not handed its checkpoints back then. */
  stopping: boolean;
  /** Answers the message under way about this database, if any. */
  answer?: (error: string | undefined) => void;
}

/** The thread that checkpoints every database this process registers. */
class CheckpointWorker {
  private readonly worker: Worker;
  private readonly registrations = new Map<number, Registration>();
  private nextId = 0;
  exited = false;

  constructor() {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { driver, intervalMs: CHECKPOINT_INTERVAL_MS } });
    // Never keeps the process alive, except while a database waits on it (see ask).
    this.worker.unref();
    this.worker.on('message', (m: { id: number; error?: string }) => {
      const r = this.registrations.get(m.id);
      if (!r) return;
      if (m.error !== undefined) this.giveBack(m.id, r);
      this.answer(r, m.error);
      if (![...this.registrations.values()].some((x) => x.answer)) this.worker.unref();
    });
    // An error ends the worker; 'exit' follows.
    this.worker.on('error', () => {});
    this.worker.once('exit', () => {
      this.exited = true;
      for (const [id, r] of this.registrations) {
        this.giveBack(id, r);
        this.answer(r, 'the checkpoint worker stopped');
      }
    });
  }

  register(path: string, writer: BetterSqlite3.Database): BackgroundCheckpoints {
    const id = this.nextId++;
    const r: Registration = { writer, stopping: false };
    this.registrations.set(id, r);
    writer.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
    const opened = this.ask(r, { type: 'open', id, path });
    return {
      stop: async () => {
        r.stopping = true;
        await opened;
        if (!this.registrations.has(id)) return;
        await this.ask(r, { type: 'close', id });
        this.registrations.delete(id);
      },
    };
  }

  private ask(r: Registration, message: { type: string; id: number; path?: string }): Promise<string | undefined> {
    if (this.exited) return Promise.resolve('the checkpoint worker stopped');
    this.worker.ref();
    return new Promise((resolve) => {
      r.answer = resolve;
      this.worker.postMessage(message);
    });
  }

  private answer(r: Registration, error: string | undefined): void {
    const answer = r.answer;
    delete r.answer;
    answer?.(error);
  }

  /** The writer checkpoints for itself again, unless it is being closed. */
  private giveBack(id: number, r: Registration): void {
    this.registrations.delete(id);
    if (!r.stopping && r.writer.open) r.writer.pragma(`wal_autocheckpoint = ${DEFAULT_PAGES}`);
  }
}

let shared: CheckpointWorker | undefined;

/** Checkpoints `path`'s WAL on the process's checkpoint worker; `writer` is the process's own connection to it. */
export function startBackgroundCheckpoints(path: string, writer: BetterSqlite3.Database): BackgroundCheckpoints {
  if (!shared || shared.exited) shared = new CheckpointWorker();
  return shared.register(path, writer);
}
