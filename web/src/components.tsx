import type { ComponentChildren } from 'preact';
import type { OrderStatus } from '../../src/domain/order-status.js';
import { UnauthorizedError } from './api.js';
import { useI18n } from './i18n.js';
import type { Polled } from './poll.js';

export function StatusBadge({ status }: { status: OrderStatus }) {
  const { t } = useI18n();
  return (
    <span class={`badge status-${status}`} data-status={status}>
      {t(`status.${status}`)}
    </span>
  );
}

export function Card({ title, children, wide }: { title?: string; children: ComponentChildren; wide?: boolean }) {
  return (
    <section class={wide ? 'card wide' : 'card'}>
      {title && <h2>{title}</h2>}
      {children}
    </section>
  );
}

/** Renders the data once it is there; says so while loading or when the last poll failed. */
export function Loaded<T>({ polled, children }: { polled: Polled<T>; children: (data: T) => ComponentChildren }) {
  const { t } = useI18n();
  const { data, error } = polled;
  return (
    <>
      {error && !(error instanceof UnauthorizedError) && <p class="error">{t('common.error', { message: error.message })}</p>}
      {data === undefined ? !error && <p class="muted">{t('common.loading')}</p> : children(data)}
    </>
  );
}

/** Marks an order paid by a TRX transfer to the flash-rent address (filed under user 0, which no client can name). */
export function FlashMark() {
  const { t } = useI18n();
  return (
    <span class="tag flash" data-flash title={t('flash.markHint')}>
      {t('flash.mark')}
    </span>
  );
}

/** A monospace id with the full value on hover. */
export function Mono({ value, short: shortValue }: { value: string; short?: string }) {
  return (
    <code title={value} class="mono">
      {shortValue ?? value}
    </code>
  );
}
