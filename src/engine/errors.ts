/**
 * Our lease on an order was taken over (it expired and another worker
 * claimed the order): every write we attempt is fenced off, so we stop.
 * Not a failure of the order.
 */
export class LeaseLostError extends Error {
  readonly code = 'lease_lost';
  constructor(orderId: string) {
    super(`lease on order ${orderId} was lost to another worker`);
    this.name = 'LeaseLostError';
  }
}
