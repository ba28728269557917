// Older empty blocks, packed. A block record in a Map costs about 320 bytes
// of heap; the devnet answers the last 70,000 (the TaPoS window of 65,536 and
// some slack), which is 22 MB, held for good by a process that has run a
// day on the default profile's block a second. Of an empty block nothing
// but its number, timestamp, id and parent's id is needed to answer it (an
// id is 32 bytes in hex): 80 bytes each here (its number included), in
// arrays allocated a chunk at a time as the chain reaches them, so a new
// devnet holds none of it.
import type { BlockRecord } from './chain-state.js';

const ID_BYTES = 32;
const CHUNK = 4_096;

interface Chunk {
  numbers: Float64Array;
  timestamps: Float64Array;
  ids: Uint8Array;
  parentIds: Uint8Array;
}

export class EmptyBlocks {
  private readonly chunks: Array<Chunk | undefined> = [];

  constructor(readonly capacity: number) {}

  /** Keeps an empty block, in place of the one `capacity` numbers older. */
  put(block: BlockRecord): void {
    if (block.txIds.length > 0) throw new Error(`block ${block.number} holds transactions`);
    const slot = block.number % this.capacity;
    const at = slot % CHUNK;
    const chunk = (this.chunks[Math.floor(slot / CHUNK)] ??= {
      numbers: new Float64Array(CHUNK).fill(-1),
      timestamps: new Float64Array(CHUNK),
      ids: new Uint8Array(CHUNK * ID_BYTES),
      parentIds: new Uint8Array(CHUNK * ID_BYTES),
    });
    chunk.numbers[at] = block.number;
    chunk.timestamps[at] = block.timestamp;
    chunk.ids.set(Buffer.from(block.id, 'hex'), at * ID_BYTES);
    chunk.parentIds.set(Buffer.from(block.parentId, 'hex'), at * ID_BYTES);
  }

  get(num: number): BlockRecord | undefined {
    if (!Number.isInteger(num) || num < 0) return undefined;
    const slot = num % this.capacity;
    const at = slot % CHUNK;
    const chunk = this.chunks[Math.floor(slot / CHUNK)];
    if (chunk === undefined || chunk.numbers[at] !== num) return undefined;
    const hex = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset + at * ID_BYTES, ID_BYTES).toString('hex');
    return { number: num, id: hex(chunk.ids), parentId: hex(chunk.parentIds), timestamp: chunk.timestamps[at]!, txIds: [] };
  }
}
