/**
 * Lines for a per-minute series in which some minutes have no value (no order
 * went active then): a line joins neighbouring minutes only, so a gap in the
 * data is a gap in the picture, never a straight line across it.
 */

export interface Point {
  /** index of the minute */
  i: number;
  v: number;
}

/** The runs of consecutive minutes that have a value, in order. */
export function runs(values: readonly (number | null)[]): Point[][] {
  const out: Point[][] = [];
  let run: Point[] = [];
  values.forEach((v, i) => {
    if (v === null) {
      if (run.length > 0) out.push(run);
      run = [];
    } else {
      run.push({ i, v });
    }
  });
  if (run.length > 0) out.push(run);
  return out;
}

/** An SVG path: one `M` per run of minutes with a value, `L` within it. A lone minute is a bare `M` (draw a dot for it). */
export function linePath(values: readonly (number | null)[], x: (i: number) => number, y: (v: number) => number): string {
  return runs(values)
    .map((run) => run.map((p, k) => `${k === 0 ? 'M' : 'L'}${x(p.i).toFixed(1)},${y(p.v).toFixed(1)}`).join(' '))
    .join(' ');
}

/** The minutes with a value whose neighbours on both sides have none: no line reaches them. */
export function lonePoints(values: readonly (number | null)[]): Point[] {
  return runs(values)
    .filter((run) => run.length === 1)
    .map((run) => run[0]!);
}

/** A round top for an axis of counts: 1, 2, 5, 10, 20, 50, … at least `max`. */
export function niceCeiling(max: number): number {
  if (max <= 1) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 5, 10]) if (step * magnitude >= max) return step * magnitude;
  return 10 * magnitude;
}
