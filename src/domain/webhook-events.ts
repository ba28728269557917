/**
 * Webhook events, declared once: the types a tenant may receive, the
 * delivery states, which order status change is which event, and the JSON
 * body a receiver gets. The SQL CHECKs are literal copies in migration 012.
 */
export const WEBHOOK_EVENT_TYPES = ['order.created', 'order.active', 'order.completed', 'order.failed', 'order.cancelled', 'deposit.credited'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** pending: to be sent (again); delivered: a 2xx came back; failed: no 2xx within the retry window, given up. */
export const WEBHOOK_DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type WebhookDeliveryStatus = (typeof WEBHOOK_DELIVERY_STATUSES)[number];

/** How long an event is retried for, from its creation (or from a redelivery). */
export const WEBHOOK_RETRY_WINDOW_MS = 24 * 60 * 60 * 1000;
/** The longest wait between two attempts. */
export const WEBHOOK_MAX_BACKOFF_MS = 60 * 60 * 1000;
/** Delivered and given-up events (and their attempts) are deleted this long after the event. */
export const WEBHOOK_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;

/**
 * The event an order's status change is, if any: a new order, one that went
 * active, completed, failed or was cancelled. An active order cancelled
 * early ends `completed` with the reason `cancelled`: that is order.cancelled too.
 */
export function orderEventType(toStatus: string, reason: string, fromStatus: string | null): WebhookEventType | undefined {
  if (fromStatus === toStatus) return undefined;
  switch (toStatus) {
    case 'pending':
      return fromStatus === null ? 'order.created' : undefined;
    case 'active':
      return 'order.active';
    case 'completed':
      return reason === 'cancelled' ? 'order.cancelled' : 'order.completed';
    case 'failed':
      return 'order.failed';
    case 'cancelled':
      return 'order.cancelled';
    default:
      return undefined;
  }
}

/**
 * JSON with bigints written as integers (a user id is int64: a JS number
 * would round it), as the API writes them.
 */
export function stringifyWithBigints(value: unknown): string {
  const marker = '\u0000bigint:';
  const text = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `${marker}${v}` : v));
  return text.replace(/"\\u0000bigint:(-?\d+)"/g, '$1');
}

/** The body every event is sent as: its id (the deduplication key), type, time and what it is about. */
export function webhookBody(event: { id: string; type: WebhookEventType; createdAtMs: bigint; data: Record<string, unknown> }): string {
  return stringifyWithBigints({ id: event.id, type: event.type, created_at: new Date(Number(event.createdAtMs)).toISOString(), data: event.data });
}
