import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { TronWeb } from 'tronweb';
import { ADMIN_TOKEN } from '../support/app.js';
import type { Stack } from '../support/stack.js';
import type { FlashPayment } from '../../web/src/types.js';

export const TRX = 1_000_000n;

/** Settings for a stack whose flash-rent address is pool 0 (its key signs the refunds). */
export const flashEnv = (devnet: Stack['devnet']) => ({
  FLASH_RENT_ADDRESS: devnet.accounts.pools[0]!.address,
  FLASH_RENT_TABLE: '3:65000:1h,6:131000:1h',
  FLASH_RENT_REFUND_FEE_SUN: '300000',
});

/** Devnet customer `from` pays `sun` to the flash-rent address from their own wallet, with unmodified TronWeb; returns the txid. */
export async function payFlash(s: Stack, from: number, sun: bigint, memo?: string): Promise<string> {
  const c = s.devnet.accounts.customers[from]!;
  const tronWeb = new TronWeb({ fullHost: s.devnet.url, privateKey: c.privateKey });
  let tx = await tronWeb.transactionBuilder.sendTrx(s.devnet.accounts.pools[0]!.address, Number(sun), c.address);
  if (memo !== undefined) tx = await tronWeb.transactionBuilder.addUpdateData(tx, memo, 'utf8');
  const signed = await tronWeb.trx.sign(tx);
  const answer = await tronWeb.trx.sendRawTransaction(signed);
  assert.equal(answer.result, true, JSON.stringify(answer));
  return signed.txID;
}

/** Polls the admin list of payments until the payment `txid` satisfies `ok`. */
export async function waitForPayment(s: Stack, txid: string, ok: (p: FlashPayment) => boolean, timeoutMs = 20_000): Promise<FlashPayment> {
  const deadline = Date.now() + timeoutMs;
  let last: FlashPayment | undefined;
  while (Date.now() < deadline) {
    const res = await s.request({ method: 'GET', url: '/api/admin/flash-rent/payments?limit=200', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    last = (res.body as { payments: FlashPayment[] }).payments.find((p) => p.txid === txid);
    if (last && ok(last)) return last;
    await sleep(50);
  }
  throw new Error(`payment ${txid} never reached the expected state; last seen: ${JSON.stringify(last)}`);
}
