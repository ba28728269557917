// A key-value store that remembers, per key, the value it had at each block,
// so the solidified view (head - lag) reads exactly what the chain held then.
// Writes made by transactions not yet in a block carry the PENDING mark and
// are stamped with the block number when a block includes them.

export const PENDING = Number.MAX_SAFE_INTEGER;

export interface Version<V> {
  block: number;
  value: V | null;
}

export type VersionedMapData<V> = Array<[string, Version<V>[]]>;

/** What a key's pending state was before the first write of an undoable step. */
interface Undo<V> {
  hadPending: boolean;
  pendingValue: V | null;
  wasUnstamped: boolean;
}

export class VersionedMap<V> {
  private readonly entries = new Map<string, Version<V>[]>();
  private readonly unstamped = new Set<string>();
  private journal: Map<string, Undo<V>> | undefined;

  /** Value at `atBlock` (default: latest, pending writes included). */
  get(key: string, atBlock = PENDING): V | undefined {
    const versions = this.entries.get(key);
    if (versions === undefined) return undefined;
    for (let i = versions.length - 1; i >= 0; i--) {
      const version = versions[i]!;
      if (version.block <= atBlock) return version.value ?? undefined;
    }
    return undefined;
  }

  /** Starts recording pending writes so that `rollback` can undo them. */
  begin(): void {
    this.journal = new Map();
  }

  /** Keeps the writes made since `begin`. */
  commit(): void {
    this.journal = undefined;
  }

  /** Undoes every pending write made since `begin`. */
  rollback(): void {
    const journal = this.journal;
    this.journal = undefined;
    if (journal === undefined) return;
    for (const [key, undo] of journal) {
      const versions = this.entries.get(key)!;
      if (undo.hadPending) versions[versions.length - 1]!.value = undo.pendingValue;
      else versions.pop();
      if (versions.length === 0) this.entries.delete(key);
      if (!undo.wasUnstamped) this.unstamped.delete(key);
    }
  }

  /** Writes (or deletes, with null) a value in the pending state. */
  set(key: string, value: V | null): void {
    let versions = this.entries.get(key);
    if (versions === undefined) {
      versions = [];
      this.entries.set(key, versions);
    }
    const last = versions[versions.length - 1];
    if (this.journal !== undefined && !this.journal.has(key)) {
      const hadPending = last !== undefined && last.block === PENDING;
      this.journal.set(key, { hadPending, pendingValue: hadPending ? last.value : null, wasUnstamped: this.unstamped.has(key) });
    }
    if (last !== undefined && last.block === PENDING) last.value = value;
    else versions.push({ block: PENDING, value });
    this.unstamped.add(key);
  }

  delete(key: string): void {
    this.set(key, null);
  }

  /**
   * Assigns the pending writes to `block` and forgets versions nobody can read
   * any more: only the newest version at or below `oldestReadable` is kept.
   */
  stamp(block: number, oldestReadable: number): void {
    for (const key of this.unstamped) {
      const versions = this.entries.get(key)!;
      const last = versions[versions.length - 1]!;
      last.block = block;
      this.trim(key, versions, oldestReadable);
    }
    this.unstamped.clear();
  }

  private trim(key: string, versions: Version<V>[], oldestReadable: number): void {
    let keepFrom = 0;
    for (let i = versions.length - 1; i >= 0; i--) {
      if (versions[i]!.block <= oldestReadable) {
        keepFrom = i;
        break;
      }
    }
    if (keepFrom > 0) versions.splice(0, keepFrom);
    if (versions.length === 1 && versions[0]!.value === null && versions[0]!.block <= oldestReadable) {
      this.entries.delete(key);
    }
  }

  /** Every live value at `atBlock`, with its key. */
  *entriesAt(atBlock = PENDING): IterableIterator<[string, V]> {
    for (const key of this.entries.keys()) {
      const value = this.get(key, atBlock);
      if (value !== undefined) yield [key, value];
    }
  }

  toData(): VersionedMapData<V> {
    return [...this.entries];
  }

  /** Rebuilds a map from `toData`; `normalize` upgrades values saved by an older devnet. */
  static fromData<V>(data: VersionedMapData<V>, normalize: (value: V) => V = (v) => v): VersionedMap<V> {
    const map = new VersionedMap<V>();
    for (const [key, saved] of data) {
      const versions = saved.map((v) => ({ block: v.block, value: v.value === null ? null : normalize(v.value) }));
      map.entries.set(key, versions);
      if (versions.some((v) => v.block === PENDING)) map.unstamped.add(key);
    }
    return map;
  }
}
