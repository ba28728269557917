// JSON as java-tron writes it: int64 fields are plain numbers (or strings when
// the client asks for int64_as_string). We keep amounts as bigint until this
// last step so no value is ever rounded through a double on the way in.

/** Serialises a response; bigint becomes a JSON number, or a string when asked. */
export function toWireJson(value: unknown, int64AsString = false): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'bigint') return int64AsString ? v.toString() : RAW_PREFIX + v.toString();
    return v;
  }).replace(RAW_PATTERN, '$1');
}

// JSON.stringify cannot emit an unquoted big number, so bigints travel as a
// tagged string and the tag and its quotes are stripped afterwards.
const RAW_PREFIX = '\u0000big:';
const RAW_PATTERN = /"\\u0000big:(-?\d+)"/g;

/** Persistence encoding: bigints survive a round trip through a file. */
export function encodeState(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? { $bigint: v.toString() } : v));
}

export function decodeState<T>(text: string): T {
  return JSON.parse(text, (_key, v: unknown) => {
    if (v !== null && typeof v === 'object' && '$bigint' in v && Object.keys(v).length === 1) {
      return BigInt((v as { $bigint: string }).$bigint);
    }
    return v;
  }) as T;
}

/** Parses an int64 field as java-tron would (number or decimal string); null when absent or invalid. */
export function parseInt64(value: unknown): bigint | null {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return BigInt(value);
  return null;
}
