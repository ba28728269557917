// State across restarts: one JSON file, replaced atomically (write a
// temporary file, then rename) so a crash never leaves half a chain.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ChainStateData } from './chain-state.js';
import { decodeState, encodeState } from './json-wire.js';

const FORMAT = 1;

interface StateFile {
  format: number;
  state: ChainStateData;
}

export function loadState(file: string): ChainStateData | undefined {
  if (!existsSync(file)) return undefined;
  const parsed = decodeState<StateFile>(readFileSync(file, 'utf8'));
  if (parsed.format !== FORMAT) throw new Error(`devnet data file ${file} has format ${parsed.format}, expected ${FORMAT}`);
  return parsed.state;
}

/** The settled blocks and transactions of the chain in `dataFile` (HistoryStore): beside it. */
export function historyFileOf(dataFile: string): string {
  return `${dataFile}.history`;
}

export function saveState(file: string, state: ChainStateData): void {
  // Its genesis holds private keys: owner-only, like every file of Joule's data directory.
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, encodeState({ format: FORMAT, state } satisfies StateFile), { mode: 0o600 });
  renameSync(temporary, file);
}
