import { linePath, lonePoints, niceCeiling } from '../chart.js';
import { span } from '../format.js';
import { useI18n } from '../i18n.js';
import type { Delays } from '../types.js';

const W = 760;
const H = 262;
const LEFT = 76;
const RIGHT = 16;
/** Two panels on one time axis: the delays on a time scale, and below them the orders activated on a scale of their own. */
const DELAY = { top: 22, bottom: 150 };
const COUNTS = { top: 188, bottom: 230 };

/**
 * Created -> active per minute over the window. Above, the average delay
 * (line) and the slowest (dashed), on a time axis; a minute in which no order
 * went active has no delay, and the lines break there. Below, on its own
 * axis, how many orders went active each minute.
 * Plain SVG: one chart does not justify a charting library.
 */
export function DelayChart({ delays }: { delays: Delays }) {
  const { t } = useI18n();
  const { buckets } = delays;
  const n = buckets.length;
  const innerW = W - LEFT - RIGHT;
  const maxMs = Math.max(1000, ...buckets.map((b) => b.max_ms_to_active ?? 0));
  const countTop = niceCeiling(Math.max(0, ...buckets.map((b) => b.activated)));
  const x = (i: number) => LEFT + (innerW * (i + 0.5)) / Math.max(1, n);
  const yMs = (ms: number) => DELAY.bottom - ((DELAY.bottom - DELAY.top) * ms) / maxMs;
  const yCount = (c: number) => COUNTS.bottom - ((COUNTS.bottom - COUNTS.top) * c) / countTop;
  const barW = Math.max(1, innerW / Math.max(1, n) - 2);
  const avg = buckets.map((b) => b.avg_ms_to_active);
  const max = buckets.map((b) => b.max_ms_to_active);
  const countTicks = countTop % 2 === 0 ? [0, countTop / 2, countTop] : [0, countTop];
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
        <g class="delays" data-top={DELAY.top} data-bottom={DELAY.bottom}>
          <text class="caption" x={LEFT} y={DELAY.top - 8}>
            {t('overview.delayAxis')}
          </text>
          {[0, 0.5, 1].map((f) => (
            <g>
              <line class="gridline" x1={LEFT} x2={W - RIGHT} y1={yMs(maxMs * f)} y2={yMs(maxMs * f)} />
              <text class="axis delay-axis" x={LEFT - 6} y={yMs(maxMs * f) + 4} text-anchor="end">
                {span(maxMs * f)}
              </text>
            </g>
          ))}
          <path class="max" d={linePath(max, x, yMs)} />
          <path class="avg" d={linePath(avg, x, yMs)} />
          {/* A point per minute too: a lone minute with orders has no line to draw. */}
          {buckets.map((b, i) => (b.avg_ms_to_active === null ? null : <circle class="avg" cx={x(i)} cy={yMs(b.avg_ms_to_active)} r={2.5} />))}
          {lonePoints(max).map((p) => (
            <circle class="max" cx={x(p.i)} cy={yMs(p.v)} r={2} />
          ))}
        </g>
        <g class="counts" data-top={COUNTS.top} data-bottom={COUNTS.bottom}>
          <text class="caption" x={LEFT} y={COUNTS.top - 8}>
            {t('overview.delayLegend.count')}
          </text>
          {countTicks.map((c) => (
            <g>
              <line class="gridline" x1={LEFT} x2={W - RIGHT} y1={yCount(c)} y2={yCount(c)} />
              <text class="axis count-axis" x={LEFT - 6} y={yCount(c) + 4} text-anchor="end">
                {c}
              </text>
            </g>
          ))}
          {buckets.map((b, i) => (
            <rect class="bar" x={x(i) - barW / 2} width={barW} y={yCount(b.activated)} height={COUNTS.bottom - yCount(b.activated)}>
              <title>
                {clock(b.at)} · {b.activated} · {span(b.avg_ms_to_active)} / {span(b.max_ms_to_active)}
              </title>
            </rect>
          ))}
        </g>
        {buckets.map((b, i) =>
          i % 10 === 0 || i === n - 1 ? (
            <text class="axis" x={x(i)} y={H - 8} text-anchor={i === n - 1 ? 'end' : 'middle'}>
              {clock(b.at)}
            </text>
          ) : null,
        )}
      </svg>
      <div class="legend">
        <span class="key avg">{t('overview.delayLegend.avg')}</span>
        <span class="key max">{t('overview.delayLegend.max')}</span>
      </div>
      {activated === 0 && <p class="muted">{t('overview.delayEmpty')}</p>}
    </figure>
  );
}
