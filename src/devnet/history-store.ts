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
// where each entry starts (`ExtentIndex`: 27–53 bytes a transaction).
//
// One line per entry: `T <txID> <json>` or `B <number> <json>`, after a
// header line naming the chain (its genesis timestamp), so that a history
// left beside a data file of another chain is never read as this one's.
// An entry written twice (the process stopped between appending it and
// saving the data file that no longer holds it) is read as its last copy.
import { closeSync, existsSync, fstatSync, ftruncateSync, mkdirSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { BlockRecord, TxRecord } from './chain-state.js';
import { ExtentIndex, hashOfNumber, hashOfString } from './extent-index.js';
import { decodeState, encodeState } from './json-wire.js';

const FORMAT = 1;
const READ_CHUNK = 1 << 20;

interface Header {
  history: number;
  genesisTimestamp: number;
}

export class HistoryStore {
  private readonly txs = new ExtentIndex();
  private readonly blocks = new ExtentIndex();
  private fd: number;
  private size: number;
  private headerLength = 0;

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
      this.headerLength = this.size;
    }
  }

  get transactionCount(): number {
    return this.txs.size;
  }

  transaction(txID: string): TxRecord | undefined {
    const [a, b] = hashOfString(txID);
    const extent = this.txs.get(a, b, this.namesTx(txID));
    return extent === undefined ? undefined : this.read<TxRecord>(extent.offset, extent.length);
  }

  block(num: number): BlockRecord | undefined {
    // The pair is exact only for whole numbers: NaN would read as block 0.
    if (!Number.isSafeInteger(num) || num < 0) return undefined;
    const [a, b] = hashOfNumber(num);
    const extent = this.blocks.get(a, b, always);
    return extent === undefined ? undefined : this.read<BlockRecord>(extent.offset, extent.length);
  }

  /**
   * Every transaction in the history, oldest first (for the admin API's
   * listing): one pass over the file. An entry written twice keeps its first
   * place and its last copy.
   */
  transactions(): TxRecord[] {
    const byId = new Map<string, TxRecord>();
    this.eachLine((line, offset) => {
      if (line[0] !== T) return;
      byId.set(keyOf(line, offset, this.file), jsonOf<TxRecord>(line));
    });
    return [...byId.values()];
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
      this.indexEntry(key, offset, bytes.length - 1);
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

  private indexEntry(key: string | number, offset: number, length: number): void {
    if (typeof key === 'number') {
      const [a, b] = hashOfNumber(key);
      this.blocks.set(a, b, offset, length, always);
    } else {
      const [a, b] = hashOfString(key);
      this.txs.set(a, b, offset, length, this.namesTx(key));
    }
  }

  /** Whether the entry at a place in the file is the transaction `txID` (its line begins `T <txID> `). */
  private namesTx(txID: string): (offset: number, length: number) => boolean {
    return (offset, length) => {
      const head = this.bytesAt(offset, Math.min(length, txID.length + 3));
      return head.length === txID.length + 3 && head.toString('latin1', 2, txID.length + 2) === txID && head[txID.length + 2] === SPACE;
    };
  }

  private bytesAt(offset: number, length: number): Buffer {
    const buffer = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const n = readSync(this.fd, buffer, done, length - done, offset + done);
      if (n === 0) throw new Error(`devnet history ${this.file} ends inside an entry at byte ${offset}`);
      done += n;
    }
    return buffer;
  }

  private read<T>(offset: number, length: number): T {
    return jsonOf<T>(this.bytesAt(offset, length));
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
    this.headerLength = headerBytes.length;
    const end = this.eachLine((line, offset) => {
      if (line[0] !== T && line[0] !== B) throw new Error(`devnet history ${this.file} has an unreadable entry at byte ${offset}`);
      const key = keyOf(line, offset, this.file);
      this.indexEntry(line[0] === T ? key : Number(key), offset, line.length);
    });
    if (end < this.size) {
      ftruncateSync(this.fd, end);
      this.size = end;
    }
    return true;
  }

  /** Calls `visit` with every whole line after the header, in order, and where it starts; answers where the last whole line ends. */
  private eachLine(visit: (line: Buffer, offset: number) => void): number {
    const chunk = Buffer.allocUnsafe(READ_CHUNK);
    // Where the line being read starts, and its bytes read so far (a line can span chunks).
    let lineStart = this.headerLength;
    let pending: Buffer = Buffer.alloc(0);
    for (let position = lineStart; position < this.size; ) {
      const n = readSync(this.fd, chunk, 0, Math.min(READ_CHUNK, this.size - position), position);
      if (n === 0) break;
      position += n;
      const data = pending.length > 0 ? Buffer.concat([pending, chunk.subarray(0, n)]) : chunk.subarray(0, n);
      let from = 0;
      for (let newline = data.indexOf(NEWLINE); newline >= 0; newline = data.indexOf(NEWLINE, from)) {
        visit(data.subarray(from, newline), lineStart);
        lineStart += newline + 1 - from;
        from = newline + 1;
      }
      // Copied: `chunk` is overwritten by the next read.
      pending = Buffer.from(data.subarray(from));
    }
    return lineStart;
  }
}

const T = 0x54;
const B = 0x42;
const SPACE = 0x20;
const NEWLINE = 0x0a;

const always = () => true;

/** The entry of a line: `T <txID> ` or `B <number> `, then its JSON after the second space. */
function jsonOf<T>(line: Buffer): T {
  return decodeState<T>(line.toString('utf8', line.indexOf(SPACE, 2) + 1));
}

/** The key of a line `T <txID> <json>` or `B <number> <json>`. */
function keyOf(line: Buffer, offset: number, file: string): string {
  const keyEnd = line.indexOf(SPACE, 2);
  if (keyEnd < 0) throw new Error(`devnet history ${file} has an unreadable entry at byte ${offset}`);
  return line.toString('latin1', 2, keyEnd);
}
