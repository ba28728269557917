// Reading contract parameters from a transaction's JSON the way java-tron's
// JSON-to-protobuf step does: absent fields are protobuf defaults (0, false,
// empty bytes, BANDWIDTH), addresses may be hex or base58 (visible).
import { toHexAddress } from './address.js';
import { parseInt64 } from './json-wire.js';

export type Resource = 'BANDWIDTH' | 'ENERGY' | 'TRON_POWER';

/** Address field: lowercase hex, '' when absent, or the raw text when it is no address (fails addressValid later). */
export function addressField(value: Record<string, unknown>, key: string): string {
  const raw = value[key];
  if (raw === undefined || raw === null || raw === '') return '';
  return toHexAddress(raw) ?? String(raw);
}

export function int64Field(value: Record<string, unknown>, key: string): bigint {
  return parseInt64(value[key]) ?? 0n;
}

export function boolField(value: Record<string, unknown>, key: string): boolean {
  return value[key] === true || value[key] === 'true';
}

export function resourceField(value: Record<string, unknown>, key = 'resource'): Resource | string {
  const raw = value[key];
  if (raw === undefined || raw === null || raw === 0 || raw === 'BANDWIDTH') return 'BANDWIDTH';
  if (raw === 1 || raw === 'ENERGY') return 'ENERGY';
  if (raw === 2 || raw === 'TRON_POWER') return 'TRON_POWER';
  return String(raw);
}
