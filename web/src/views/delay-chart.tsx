import { span } from '../format.js';
import { useI18n } from '../i18n.js';
import type { Delays } from '../types.js';

const W = 760;
const H = 220;
const PAD = { left: 64, right: 40, top: 14, bottom: 28 };

/**
 * Created -> active per minute over the window: bars count the orders that
 * went active, the line is their average delay, the dashed line the slowest.
 * Plain SVG: one chart does not justify a charting library.
 */
export function DelayChart({ delays }: { delays: Delays }) {
  const { t } = useI18n();
  const { buckets } = delays;
  const n = buckets.length;
  const innerW = W - PAD.left - PAD.right;
  const innerH = H - PAD.top - PAD.bottom;
  const maxMs = Math.max(1000, ...buckets.map((b) => b.max_ms_to_active ?? 0));
  const maxCount = Math.max(1, ...buckets.map((b) => b.activated));
  const x = (i: number) => PAD.left + (innerW * (i + 0.5)) / Math.max(1, n);
  const yMs = (ms: number) => PAD.top + innerH - (innerH * ms) / maxMs;
  const barW = Math.max(1, innerW / Math.max(1, n) - 2);
  const line = (pick: (i: number) => number | null) => {
    let d = '';
    buckets.forEach((_, i) => {
      const v = pick(i);
      if (v === null) return;
      d += `${d === '' ? 'M' : 'L'}${x(i).toFixed(1)},${yMs(v).toFixed(1)} `;
    });
    return d;
  };
  const clock = (iso: string) => {
    const d = new Date(iso);
    return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
  };
  const total = (k: 'activated' | 'created' | 'failed') => buckets.reduce((s, b) => s + b[k], 0);
  const activated = total('activated');

  return (
    <figure class="chart">
      <figcaption class="muted">
        {t('overview.delaySummary', { activated, created: total('created'), failed: total('failed') })}
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={t('overview.delays')}>
        {[0, 0.5, 1].map((f) => (
          <g>
            <line class="grid" x1={PAD.left} x2={W - PAD.right} y1={yMs(maxMs * f)} y2={yMs(maxMs * f)} />
            <text class="axis" x={PAD.left - 6} y={yMs(maxMs * f) + 4} text-anchor="end">
              {span(maxMs * f)}
            </text>
          </g>
        ))}
        <text class="axis" x={W - PAD.right + 6} y={PAD.top + 4}>
          {maxCount}
        </text>
        {buckets.map((b, i) => (
          <rect
            class="bar"
            x={x(i) - barW / 2}
            width={barW}
            y={PAD.top + innerH - (innerH * b.activated) / maxCount}
            height={(innerH * b.activated) / maxCount}
          >
            <title>
              {clock(b.at)} · {b.activated} · {span(b.avg_ms_to_active)} / {span(b.max_ms_to_active)}
            </title>
          </rect>
        ))}
        <path class="max" d={line((i) => buckets[i]!.max_ms_to_active)} />
        <path class="avg" d={line((i) => buckets[i]!.avg_ms_to_active)} />
        {/* A point per minute too: a lone minute with orders has no line to draw. */}
        {buckets.map((b, i) => (b.avg_ms_to_active === null ? null : <circle class="avg" cx={x(i)} cy={yMs(b.avg_ms_to_active)} r={2.5} />))}
        {buckets.map((b, i) =>
          i % 10 === 0 || i === n - 1 ? (
            <text class="axis" x={x(i)} y={H - 8} text-anchor="middle">
              {clock(b.at)}
            </text>
          ) : null,
        )}
      </svg>
      <div class="legend">
        <span class="key avg">{t('overview.delayLegend.avg')}</span>
        <span class="key max">{t('overview.delayLegend.max')}</span>
        <span class="key bar">{t('overview.delayLegend.count')}</span>
      </div>
      {activated === 0 && <p class="muted">{t('overview.delayEmpty')}</p>}
    </figure>
  );
}
