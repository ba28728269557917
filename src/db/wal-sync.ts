/**
 * The SQLite database's durability barrier (Db.durable). WAL with
 * synchronous=NORMAL makes a commit survive a crash of the process at no
 * cost, but not a crash of the machine: its frames are written to the WAL
 * file and flushed only at the next checkpoint. That is the right trade for
 * most writes, and the wrong one for a transaction journaled before it is
 * broadcast: lost with the machine after the network has it, it would be
 * signed again on restart, and both could land (two delegations, two
 * refunds). So before a first broadcast the WAL file is flushed to disk
 * (fdatasync): on Linux that flushes the file's data whichever descriptor
 * wrote it, so every commit made before the call survives. Frames
 * checkpointed meanwhile are already in the database file, which the
 * checkpoint syncs.
 *
 * The flush runs on libuv's thread pool, off the event loop, and callers
 * share it: a call while a flush is running waits for the next one (the
 * running one may have started before the caller's commit), and every call
 * made meanwhile shares that next one.
 */
import { open, type FileHandle } from 'node:fs/promises';

export class WalSync {
  private file: Promise<FileHandle> | undefined;
  private running: Promise<void> | undefined;
  private next: Promise<void> | undefined;
  private closed = false;

  /** `onFlush`: told after each flush (the process's metrics count them). */
  constructor(
    private readonly walPath: string,
    private readonly onFlush: () => void = () => undefined,
  ) {}

  /** Resolves once every commit made before the call is on disk. */
  sync(): Promise<void> {
    if (this.next !== undefined) return this.next;
    if (this.running === undefined) return this.start();
    this.next = this.running
      .catch(() => undefined)
      .then(() => {
        this.next = undefined;
        return this.start();
      });
    return this.next;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([this.running, this.next]);
    await (await this.file?.catch(() => undefined))?.close();
  }

  private start(): Promise<void> {
    const run = this.flush().finally(() => {
      if (this.running === run) this.running = undefined;
    });
    this.running = run;
    return run;
  }

  private async flush(): Promise<void> {
    if (this.closed) return;
    // Opened once, at the first flush: by then a commit has created the WAL, which lasts as long as the
    // database is open (a checkpoint rewinds it, never removes it).
    this.file ??= open(this.walPath, 'r');
    const file = await this.file.catch((err: unknown) => {
      this.file = undefined;
      throw err;
    });
    await file.datasync();
    this.onFlush();
  }
}
