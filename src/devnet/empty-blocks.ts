// Older empty blocks, packed. A block record in a Map costs about 320 bytes
// of heap; the devnet answers the last 70,000 (the TaPoS window of 65,536 and
// some slack), which is 22 MB, held for good by a process that has run a
// day on the default profile's block a second. Of an empty block nothing
// but its number, timestamp, id and parent's id is needed to answer it (an
// id is 32 bytes in hex): 80 bytes each here (its number included), in arrays allocated once.
import type { BlockRecord } from './chain-state.js';

const ID_BYTES = 32;

export class EmptyBlocks {
  private readonly numbers: Float64Array;
  private readonly timestamps: Float64Array;
  private readonly ids: Uint8Array;
  private readonly parentIds: Uint8Array;

  constructor(readonly capacity: number) {
    this.numbers = new Float64Array(capacity).fill(-1);
    this.timestamps = new Float64Array(capacity);
    this.ids = new Uint8Array(capacity * ID_BYTES);
    this.parentIds = new Uint8Array(capacity * ID_BYTES);
  }

  /** Keeps an empty block, in place of the one `capacity` numbers older. */
  put(block: BlockRecord): void {
    if (block.txIds.length > 0) throw new Error(`block ${block.number} holds transactions`);
    const slot = block.number % this.capacity;
    this.numbers[slot] = block.number;
    this.timestamps[slot] = block.timestamp;
    this.ids.set(Buffer.from(block.id, 'hex'), slot * ID_BYTES);
    this.parentIds.set(Buffer.from(block.parentId, 'hex'), slot * ID_BYTES);
  }

  get(num: number): BlockRecord | undefined {
    if (!Number.isInteger(num) || num < 0) return undefined;
    const slot = num % this.capacity;
    if (this.numbers[slot] !== num) return undefined;
    const hex = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset + slot * ID_BYTES, ID_BYTES).toString('hex');
    return { number: num, id: hex(this.ids), parentId: hex(this.parentIds), timestamp: this.timestamps[slot]!, txIds: [] };
  }
}
