/**
 * Tether USD (USDT), the TRC-20 token Joule's users pay with and its
 * customers' customers move.
 */

/** Tether USD's contract on mainnet (and the devnet's built-in USDT). */
export const USDT_CONTRACT = 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t';
