// Settled history on disk: blocks and transactions nobody can change or send
// again any more leave memory for an append-only file beside the data file.
//
// The data file is rewritten whole after every block that holds a
// transaction. Were every transaction ever made in it (and in memory), each
// block would cost more the longer the chain had run: 0.1 s of a blocked
// event loop at 10,000 transactions, 1.8–2.2 s at 100,000 (`npm run bench --
// devnet-history`; in an `all` process the API and the engine share that loop). A java-tron node keeps
// its history on disk, in its block and transaction stores, and answers for
// any of it; so does the devnet now, from this file, holding in memory only
// where each entry starts.
//
// One line per entry: `T <txID> <json>` or `B <number> <json>`, after a
// header line naming the chain (its genesis timestamp), so that a history
// left beside a data file of another chain is never read as this one's.
// An entry written twice (the process stopped between appending it and
// saving the data file that no longer holds it) is read as its last copy.
import { closeSync, existsSync, fstatSync, ftruncateSync, mkdirSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { BlockRecord, TxRecord } from './chain-state.js';
import { decodeState, encodeState } from './json-wire.js';

const FORMAT = 1;
const READ_CHUNK = 1 << 20;

interface Extent {
  offset: number;
  length: number;
}

interface Header {
  history: number;
  genesisTimestamp: number;
}

export class HistoryStore {
  private readonly txs = new Map<string, Extent>();
  private readonly blocks = new Map<number, Extent>();
  private fd: number;
  private size: number;

  /**
   * Opens the history of the chain born at `genesisTimestamp`, or begins one.
   * A history of another chain, or one the caller says is stale (`fresh`: the
   * data file it belonged to is gone), is replaced.
   */
  constructor(
    readonly file: string,
    genesisTimestamp: number,
    fresh: boolean,
    log: (line: string) => void,
  ) {
    if (fresh && existsSync(file)) rmSync(file);
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    // Owner-only, like the data file: the history holds nothing secret, but Joule's data directory is private.
    this.fd = openSync(file, existsSync(file) ? 'r+' : 'w+', 0o600);
    this.size = fstatSync(this.fd).size;
    const header = `${JSON.stringify({ history: FORMAT, genesisTimestamp } satisfies Header)}\n`;
    if (this.size > 0 && !this.index(header)) {
      log(`devnet history ${file} belongs to another chain or format: begun again`);
      this.size = 0;
    }
    if (this.size === 0) {
      ftruncateSync(this.fd, 0);
      this.write(Buffer.from(header));
    }
  }

  get transactionCount(): number {
    return this.txs.size;
  }

  transaction(txID: string): TxRecord | undefined {
    const extent = this.txs.get(txID);
    return extent === undefined ? undefined : this.read<TxRecord>(extent);
  }

  block(num: number): BlockRecord | undefined {
    const extent = this.blocks.get(num);
    return extent === undefined ? undefined : this.read<BlockRecord>(extent);
  }

  /** Every transaction in the history, oldest first (for the admin API's listing). */
  *transactions(): IterableIterator<TxRecord> {
    for (const extent of this.txs.values()) yield this.read<TxRecord>(extent);
  }

  /** Appends blocks and transactions in one write; when it throws, none is indexed. */
  append(blocks: readonly BlockRecord[], txs: readonly TxRecord[]): void {
    if (blocks.length === 0 && txs.length === 0) return;
    // Encoded once: the bytes written are the bytes whose lengths are indexed.
    const lines: Array<{ key: string | number; bytes: Buffer }> = [
      ...txs.map((tx) => ({ key: tx.txID, bytes: Buffer.from(`T ${tx.txID} ${encodeState(tx)}\n`) })),
      ...blocks.map((b) => ({ key: b.number, bytes: Buffer.from(`B ${b.number} ${encodeState(b)}\n`) })),
    ];
    const start = this.size;
    try {
      this.write(Buffer.concat(lines.map((l) => l.bytes)));
    } catch (err) {
      // A partial line would hide the next entry's start: cut back to where this append began.
      ftruncateSync(this.fd, start);
      this.size = start;
      throw err;
    }
    let offset = start;
    for (const { key, bytes } of lines) {
      // Without its newline.
      const extent = { offset, length: bytes.length - 1 };
      if (typeof key === 'number') this.blocks.set(key, extent);
      else this.txs.set(key, extent);
      offset += bytes.length;
    }
  }

  close(): void {
    if (this.fd < 0) return;
    closeSync(this.fd);
    this.fd = -1;
  }

  private write(bytes: Buffer): void {
    let done = 0;
    while (done < bytes.length) done += writeSync(this.fd, bytes, done, bytes.length - done, this.size + done);
    this.size += bytes.length;
  }

  private read<T>(extent: Extent): T {
    const buffer = Buffer.allocUnsafe(extent.length);
    let done = 0;
    while (done < extent.length) {
      const n = readSync(this.fd, buffer, done, extent.length - done, extent.offset + done);
      if (n === 0) throw new Error(`devnet history ${this.file} ends inside an entry at byte ${extent.offset}`);
      done += n;
    }
    const text = buffer.toString('utf8');
    // `T <txID> ` or `B <number> `: the JSON starts after the second space.
    return decodeState<T>(text.slice(text.indexOf(' ', 2) + 1));
  }

  /**
   * Reads where each entry starts. False when the header is not `header`.
   * A last line without its newline (the process stopped inside an append) is cut off.
   */
  private index(header: string): boolean {
    const headerBytes = Buffer.from(header);
    const first = Buffer.alloc(headerBytes.length);
    readSync(this.fd, first, 0, first.length, 0);
    if (!first.equals(headerBytes)) return false;
    const chunk = Buffer.allocUnsafe(READ_CHUNK);
    // Where the line being read starts, and its bytes read so far (a line can span chunks).
    let lineStart = headerBytes.length;
    let pending: Buffer = Buffer.alloc(0);
    for (let position = lineStart; position < this.size; ) {
      const n = readSync(this.fd, chunk, 0, Math.min(READ_CHUNK, this.size - position), position);
      if (n === 0) break;
      position += n;
      const data = Buffer.concat([pending, chunk.subarray(0, n)]);
      let from = 0;
      for (let newline = data.indexOf(10); newline >= 0; newline = data.indexOf(10, from)) {
        this.indexLine(data.subarray(from, newline), lineStart);
        lineStart += newline + 1 - from;
        from = newline + 1;
      }
      // Copied: `chunk` is overwritten by the next read.
      pending = Buffer.from(data.subarray(from));
    }
    if (lineStart < this.size) {
      ftruncateSync(this.fd, lineStart);
      this.size = lineStart;
    }
    return true;
  }

  private indexLine(line: Buffer, offset: number): void {
    const keyEnd = line.indexOf(32, 2);
    if (keyEnd < 0) throw new Error(`devnet history ${this.file} has an unreadable entry at byte ${offset}`);
    const key = line.toString('latin1', 2, keyEnd);
    const extent = { offset, length: line.length };
    if (line[0] === 84 /* T */) this.txs.set(key, extent);
    else if (line[0] === 66 /* B */) this.blocks.set(Number(key), extent);
    else throw new Error(`devnet history ${this.file} has an unreadable entry at byte ${offset}`);
  }
}
