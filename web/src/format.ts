import type { Translate } from './i18n.js';

const SUN_PER_TRX = 1_000_000n;

/** Exact TRX from a sun amount (a decimal string): no float ever touches money. */
export function trx(sun: string | null | undefined): string {
  if (sun === null || sun === undefined) return '—';
  const n = BigInt(sun);
  const sign = n < 0n ? '-' : '';
  const abs = n < 0n ? -n : n;
  const whole = (abs / SUN_PER_TRX).toLocaleString('en-US');
  const frac = (abs % SUN_PER_TRX).toString().padStart(6, '0').replace(/0+$/, '');
  return `${sign}${whole}${frac ? `.${frac}` : ''}`;
}

export const count = (n: number): string => n.toLocaleString('en-US');

/** A short, sortable local time: 2026-11-29 14:03:07. */
export function time(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export function ago(t: Translate, ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 2) return t('time.justNow');
  if (s < 120) return t('time.secondsAgo', { n: s });
  if (s < 7200) return t('time.minutesAgo', { n: Math.round(s / 60) });
  return t('time.hoursAgo', { n: Math.round(s / 3600) });
}

/** 850 ms, 12.4 s, 3.2 min. */
export function span(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 7_200_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

/** T-addresses and txids are long: the start and end identify them at a glance. */
export const short = (s: string, head = 6, tail = 4): string => (s.length <= head + tail + 1 ? s : `${s.slice(0, head)}…${s.slice(-tail)}`);
