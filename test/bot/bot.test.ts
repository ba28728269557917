// The Telegram bot against a real Bot API server (the telegram-test-api
// emulator) and a real Joule (devnet + engine + API over HTTP): people tap
// and type as they would in Telegram, and the tests read what the bot shows.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { TronWeb } from 'tronweb';
import { startBot, type RunningBot } from '../../src/bot/start-bot.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/observability/logger.js';
import { ADMIN_TOKEN, createTestApp } from '../support/app.js';
import { seedOrder } from '../support/seed.js';
import { ARTIFACTS } from '../support/browser.js';
import { TEST_XPUB } from '../support/deposit-keys.js';
import { startStack, until, type Stack } from '../support/stack.js';
import { BOT_TOKEN, freePort, startTelegram, type BotMessage, type Telegram, type TelegramUser } from '../support/telegram.js';

let stack: Stack;
let telegram: Telegram;
let jouleUrl: string;
let botKey: string;
let tenantId: string;
const bots: RunningBot[] = [];

async function admin(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${jouleUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = await res.json();
  assert.ok(res.ok, `${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** The bot's tenant's orders for one Telegram user, as Joule has them. */
async function ordersOf(userId: number): Promise<any[]> {
  return (await admin('GET', `/api/orders?tenant_id=${tenantId}&user_id=${userId}`)).orders;
}

async function fund(userId: number, trx: number): Promise<void> {
  await admin('POST', `/api/users/${userId}/deposits`, { amount_sun: String(trx * 1_000_000), reference: `fund-${userId}-${Date.now()}`, tenant_id: tenantId });
}

async function runBot(env: Record<string, string> = {}): Promise<RunningBot> {
  const config = loadConfig({
    JOULE_ROLE: 'bot',
    TELEGRAM_BOT_TOKEN: BOT_TOKEN,
    TELEGRAM_API_ROOT: telegram.apiRoot,
    JOULE_API_URL: jouleUrl,
    JOULE_API_KEY: botKey,
    BOT_STATUS_POLL_MS: '200',
    BOT_PORT: '0',
    ...env,
  });
  const bot = await startBot(config.bot!, botLog());
  bots.push(bot);
  return bot;
}

/** BOT_TEST_LOG=debug shows the bot's log. */
const botLog = () => createLogger((process.env.BOT_TEST_LOG as 'debug' | undefined) ?? 'silent');

const pool = () => stack.devnet.accounts.pools[0]!.address;

before(async () => {
  stack = await startStack({
    env: { DEPOSIT_XPUB: TEST_XPUB, PORT: '0', WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_RETRY_BASE_MS: '100', PRICE_TABLE_USDT: '2s:20,5s:21,10s:22,1h:19' },
    envFor: (devnet) => ({ USDT_ESTIMATE_FROM: devnet.accounts.customers[0]!.address }),
  });
  jouleUrl = (await stack.joule.listen())!;
  const key = await admin('POST', '/api/admin/api-keys', { name: 'telegram bot' });
  botKey = key.key;
  tenantId = key.tenant_id;
  telegram = await startTelegram();
  await runBot();
});

after(async () => {
  for (const bot of bots) await bot.close();
  await telegram?.close();
  await stack?.close();
});

/** Each conversation as the emulator recorded it, for docs/BOT.md. */
function writeTranscript(name: string, user: TelegramUser): void {
  mkdirSync(ARTIFACTS, { recursive: true });
  writeFileSync(join(ARTIFACTS, `bot-${name}.txt`), `${user.transcript()}\n`);
}

const newest = (user: TelegramUser): BotMessage => user.messages().at(-1)!;

/**
 * An HTTP server in front of Joule that sees each request the bot makes
 * (`seen`, awaited before it goes on: a test may hold it up) and passes it
 * on. Its url, and close().
 */
async function jouleFront(
  seen: (method: string, url: string) => Promise<void> | void,
  /** Changes an answer's JSON body on its way back (undefined: as it came). */
  rewrite?: (url: string, body: any) => any,
): Promise<{ url: string; close(): Promise<void> }> {
  const front = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      await seen(req.method!, req.url!);
      const answer = await fetch(`${jouleUrl}${req.url}`, {
        method: req.method,
        headers: Object.fromEntries(Object.entries(req.headers).filter(([k]) => ['authorization', 'content-type', 'idempotency-key'].includes(k))) as Record<string, string>,
        ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
      });
      let body = Buffer.from(await answer.arrayBuffer());
      const changed = rewrite?.(req.url!, JSON.parse(body.toString() || 'null'));
      if (changed !== undefined) body = Buffer.from(JSON.stringify(changed));
      res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' }).end(body);
    });
  });
  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(front.address() as AddressInfo).port}`,
    async close() {
      front.closeAllConnections();
      await new Promise((resolve) => front.close(resolve));
    },
  };
}

/** A user rents 65K for 1h to a typed address, up to the confirmation: its message and its Confirm button's data. */
async function confirmationTo(user: TelegramUser, address: string): Promise<{ confirm: BotMessage; data: string }> {
  await user.send('/rent');
  const card = await user.waitForText('Cost:');
  await user.press(card, 'Another address');
  await user.waitForText('Send the TRON address');
  await user.send(address);
  await user.press(await user.waitFor((m) => m.text.includes(`Receiver: ${address}`), 'the card'), 'BUY');
  const confirm = await user.waitForText('paid from your balance?');
  // Its Confirm button, or with USDT to pay with, the one that pays in TRX.
  return { confirm, data: confirm.buttons.find((b) => b.text.includes('Confirm') || b.text.includes('TRX'))!.data };
}

describe('the Telegram bot, against a Bot API server and a real Joule', () => {
  test('a user saves an address, rents 65K for 1h to it, and sees the status message reach active with the delegation txid', async () => {
    const alice = telegram.user({ id: 1001, firstName: 'Alice', languageCode: 'en' });
    await fund(alice.id, 50);
    await alice.send('/start');
    const menu = await alice.waitForText('Welcome, Alice!');
    assert.match(menu.text, /Your balance: 50 TRX/);

    await alice.press(menu, 'My addresses');
    const list = await alice.waitForText('Saved addresses (0/20)');
    await alice.press(list, 'Add');
    await alice.waitForText('Send the address');
    const receiver = stack.customer(0);
    await alice.send(`${receiver} Main wallet`);
    await alice.waitForText('Saved Main wallet.');
    const saved = await alice.waitForText('Saved addresses (1/20)');
    assert.match(saved.text, new RegExp(`Main wallet: ${receiver}`));

    await alice.press(saved, 'Menu');
    await alice.press(await alice.waitForText('Welcome, Alice!'), 'Rent energy');
    const card = await alice.waitForText('Cost:');
    assert.match(card.text, /Duration: 1h/);
    assert.match(card.text, /Energy: 65,000/);
    assert.match(card.text, new RegExp(`Receiver: ${receiver}`), 'the saved address is the receiver');
    const quote = (await (await fetch(`${jouleUrl}/api/prices/quote?energy_amount=65000&duration=1h`)).json()) as { price_decimal: string };
    assert.match(card.text, new RegExp(`Cost: ${quote.price_decimal.replace('.', '\\.')} TRX`), "the cost is Joule's quote");

    await alice.press(card, 'BUY');
    const confirm = await alice.waitForText('paid from your balance?');
    await alice.press(confirm, 'Confirm');
    const active = await alice.waitFor((m) => m.messageId === confirm.messageId && m.text.includes('Status: ✅ active'), 'the order active', 30_000);
    const [order] = await ordersOf(alice.id);
    assert.equal(order.status, 'active');
    assert.equal(order.energy_amount, 65_000);
    assert.equal(order.receive_address, receiver);
    assert.ok(active.text.includes(`Delegation: ${order.delegate_txid}`), active.text);
    const delegations = await stack.chainTxs('DelegateResourceContract');
    assert.ok(delegations.some((tx: any) => tx.txID === order.delegate_txid || tx.txid === order.delegate_txid), 'the txid shown is the delegation on chain');

    // The last orders, and a cancel answered as Joule answers it.
    await alice.send('/orders');
    const orders = await alice.waitForText('Your last orders');
    assert.match(orders.text, new RegExp(`${order.id.slice(-8)} ✅ active · 65,000 · 1h`));
    await alice.press(orders, `Cancel ${order.id.slice(-8)}`);
    const cancel = await alice.waitForText(new RegExp(`Order ${order.id.slice(-8)}(: | cannot be cancelled now: the delegation is locked)`));
    const after = (await ordersOf(alice.id))[0];
    if (cancel.text.includes('cannot be cancelled')) assert.equal(after.cancel_requested_at ?? null, null, cancel.text);
    else assert.ok(after.cancel_requested_at || after.status === 'cancelled', cancel.text);

    // Forgetting the saved address.
    await alice.send('/addresses');
    await alice.press(await alice.waitForText('Saved addresses (1/20)'), 'Main wallet');
    await alice.waitForText('Deleted Main wallet.');
    await alice.waitForText('Saved addresses (0/20)');
    writeTranscript('english', alice);
  });

  test('when the balance is short, Confirm shows what to pay and the deposit address with its QR code; a deposit on chain updates the balance screen', async () => {
    const bob = telegram.user({ id: 1002, firstName: 'Bob', languageCode: 'en' });
    await bob.send('/rent');
    await bob.waitForText('Cost:');
    await bob.press(newest(bob), 'Another address');
    await bob.waitForText('Send the TRON address');
    await bob.send('not-an-address');
    await bob.waitForText('That is not a TRON address');
    await bob.send(stack.customer(1));
    const estimate = await bob.waitForText('A USDT transfer to this address needs about');
    assert.match(estimate.text, /needs about [0-9,]+ energy now/);
    assert.ok(estimate.buttons.some((b) => /^Use [0-9,]+$/.test(b.text)), 'a button to rent just that');
    const card = await bob.waitFor((m) => m.text.includes(`Receiver: ${stack.customer(1)}`), 'the typed receiver on the card');
    await bob.press(card, 'BUY');
    await bob.press(await bob.waitForText('paid from your balance?'), 'Confirm');
    const short = await bob.waitForText('Your balance is 0 TRX');
    assert.match(short.text, /this order costs [0-9.]+ TRX\. Pay [0-9.]+ TRX more/);
    const balance = await bob.waitForText('Top up by sending TRX or USDT');
    const address = ((await (await fetch(`${jouleUrl}/api/users/${bob.id}/deposit-address`, { headers: { authorization: `Bearer ${botKey}` } })).json()) as { address: string }).address;
    assert.ok(balance.text.includes(address), 'the deposit screen shows the user’s own deposit address');
    const photo = await until(async () => telegram.photos.find((p) => p.chatId === bob.id), (p) => p !== undefined, 'the QR code photo');
    assert.equal(photo!.qr, address, 'the QR code holds the deposit address');
    assert.deepEqual(await ordersOf(bob.id), [], 'no order was placed');

    const payer = stack.devnet.accounts.customers[2]!;
    const tronWeb = new TronWeb({ fullHost: stack.devnet.url, privateKey: payer.privateKey });
    const sent = await tronWeb.trx.sendTransaction(address, 7_000_000);
    assert.equal(sent.result, true);
    const updated = await bob.waitFor((m) => m.messageId === balance.messageId && m.text.includes('TRX: 7'), 'the balance screen showing 7 TRX', 30_000);
    assert.match(updated.text, /TRX: 7\n/);
    await bob.waitForText('Deposit credited: +7 TRX.');
  });

  test('a Chinese client rents in Chinese: a typed address, its USDT estimate, the order to active; then switches to English', async () => {
    const li = telegram.user({ id: 1003, firstName: '李', languageCode: 'zh-hans' });
    await li.send('/start');
    const empty = await li.waitForText('欢迎，李！');
    assert.match(empty.text, /您的余额：0 TRX/);
    await fund(li.id, 30);
    await li.press(empty, '租用能量');
    const card = await li.waitForText('费用：');
    assert.match(card.text, /时长：1h/);
    assert.match(card.text, /接收地址：未选择/);
    await li.press(card, '自定义数量');
    await li.waitForText('请发送能量数量');
    await li.send('很多');
    await li.waitForText('这不是');
    await li.send('100k');
    await li.waitFor((m) => m.text.includes('能量：100,000'), 'the custom amount on the card');
    await li.press(newest(li), '其他地址');
    await li.waitForText('请发送接收能量的波场地址');
    await li.send(stack.customer(2));
    const estimate = await li.waitForText('向此地址转账 USDT 目前约需');
    await li.press(estimate, '使用');
    const ready = await li.waitFor((m) => m.text.includes(`接收地址：${stack.customer(2)}`) && !m.text.includes('能量：100,000'), 'the estimate’s energy on the card');
    await li.press(ready, '购买');
    await li.press(await li.waitForText('从您的余额扣除，确认吗？'), '确认');
    const active = await li.waitForText('状态：✅ 生效中', 30_000);
    assert.match(active.text, /代理交易：[0-9a-f]{64}/);
    await li.send('/help');
    await li.waitForText('/rent：租用能量');
    await li.send('/language');
    await li.waitForText('Language: English.');
    await li.waitForText('Welcome, 李!');
    writeTranscript('chinese', li);
  });

  test('an order to a contract fails with the reason Joule gives, in the user’s words, and is refunded', async () => {
    const hal = telegram.user({ id: 1010, firstName: 'Hal', languageCode: 'en' });
    await fund(hal.id, 20);
    // The balance screen shown first is watched: the refund must not be told as a deposit.
    await hal.send('/balance');
    await hal.waitForText('Top up by sending TRX or USDT');
    // The USDT token contract: a valid address that cannot use energy.
    const { confirm, data } = await confirmationTo(hal, 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t');
    await hal.pressData(confirm.messageId, data);
    const failed = await hal.waitFor((m) => m.messageId === confirm.messageId && m.text.includes('Status: ❌ failed'), 'the order failed', 30_000);
    const [order] = await ordersOf(hal.id);
    assert.equal(order.error_code, 'receiver_is_contract');
    assert.match(failed.text, /Why: the receiver is a contract, which cannot use rented energy/);
    assert.match(failed.text, new RegExp(`Refunded: ${(Number(order.price) / 1e6).toString().replace('.', '\\.')} TRX to your balance\\.`));
    // Several of the bot's reads of the watched balance (one each 200 ms) after the refund; then a deposit, told at its own amount.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await fund(hal.id, 5);
    await hal.waitForText('Deposit credited: +5 TRX.');
    assert.deepEqual(hal.messages().filter((m) => m.text.includes('Deposit credited')).map((m) => m.text), ['✅ Deposit credited: +5 TRX.'], hal.transcript());
  });

  test('an active rental cancelled from My orders shows on its own message as ended early and refunded, not as active until its end', async () => {
    // A bot and a key of its own: three rentals' reads would take the shared key's requests from the tests after.
    const own = await startTelegram();
    const key = (await admin('POST', '/api/admin/api-keys', { name: 'cancel test bot', tenant_id: tenantId })).key;
    const bot = await startBot(
      loadConfig({ JOULE_ROLE: 'bot', TELEGRAM_BOT_TOKEN: BOT_TOKEN, TELEGRAM_API_ROOT: own.apiRoot, JOULE_API_URL: jouleUrl, JOULE_API_KEY: key, BOT_STATUS_POLL_MS: '200' }).bot!,
      botLog(),
    );
    try {
      const kim = own.user({ id: 1021, firstName: 'Kim', languageCode: 'en' });
      await fund(kim.id, 100);
      const receiver = stack.customer(2);
      // A rental is cancelled early only unlocked: the rentals to one receiver go unlocked once each pool holds a locked one.
      let unlocked: { order: any; message: BotMessage } | undefined;
      for (let i = 0; i < stack.devnet.accounts.pools.length + 1 && unlocked === undefined; i++) {
        const { confirm, data } = await confirmationTo(kim, receiver);
        await kim.pressData(confirm.messageId, data);
        const message = await kim.waitFor((m) => m.messageId === confirm.messageId && m.text.includes('Status: ✅ active'), 'the rental active', 30_000);
        const [order] = await ordersOf(kim.id);
        if (order.lock_blocks === null) unlocked = { order, message };
      }
      assert.ok(unlocked, 'a rental went unlocked');
      await kim.send('/orders');
      await kim.press(await kim.waitForText('Your last orders'), `Cancel ${unlocked.order.id.slice(-8)}`);
      await kim.waitForText(`Order ${unlocked.order.id.slice(-8)}: `);
      const shown = await kim.waitFor(
        (m) => m.messageId === unlocked!.message.messageId && m.text.includes('Status: 🏁 completed') && m.text.includes('Refunded:'),
        'the rental’s message shows it ended, and the refund',
        30_000,
      );
      assert.match(shown.text, new RegExp(`Order ${unlocked.order.id.slice(-8)}`));
      const [after] = (await ordersOf(kim.id)).filter((o) => o.id === unlocked!.order.id);
      assert.ok(after.cancel_requested_at, 'the rental shown is the one cancelled');
    } finally {
      await bot.close();
      await own.close();
    }
  });

  test('the same confirmation delivered twice, or tapped twice, places one order', async () => {
    const carol = telegram.user({ id: 1004, firstName: 'Carol', languageCode: 'en' });
    await fund(carol.id, 50);
    const { confirm, data } = await confirmationTo(carol, stack.customer(1));
    await carol.pressData(confirm.messageId, data);
    await carol.pressData(confirm.messageId, data);
    await carol.waitFor((m) => m.messageId === confirm.messageId && m.text.includes('Order '), 'the order on the confirmation message');
    await until(() => ordersOf(carol.id), (o) => o.length >= 1, 'the order');
    // The second tap is answered by the first order (the key replays it); give it time to be handled.
    await new Promise((r) => setTimeout(r, 1000));
    const orders = await ordersOf(carol.id);
    assert.equal(orders.length, 1, 'one order for two taps');
    const user = await admin('GET', `/api/users/${carol.id}?tenant_id=${tenantId}`);
    assert.equal(BigInt(user.balance_sun), 50_000_000n - BigInt(orders[0].price), 'charged once');
  });

  test("a cancel button carrying another user's order (data a client can forge, or an old message's) cancels nothing, and says it is not theirs", async () => {
    const dave = telegram.user({ id: 1011, firstName: 'Dave', languageCode: 'en' });
    const eve = telegram.user({ id: 1012, firstName: 'Eve', languageCode: 'en' });
    await fund(dave.id, 50);
    const placed = await fetch(`${jouleUrl}/api/orders`, {
      method: 'POST',
      headers: { authorization: `Bearer ${botKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ user_id: dave.id, energy_amount: 65_000, duration: '1h', receive_address: stack.customer(1) }),
    });
    assert.equal(placed.status, 201);
    const daves = ((await placed.json()) as { id: string }).id;
    await eve.send('/orders');
    const list = await eve.waitForText('Your last orders');
    await eve.pressData(list.messageId, `oc:${daves}`);
    await eve.waitForText(`Order ${daves.slice(-8)} cannot be cancelled now: it is not one of your orders.`);
    const [order] = await ordersOf(dave.id);
    assert.equal(order.id, daves);
    assert.equal(order.cancel_requested_at ?? null, null, "Dave's order was not asked to cancel");
    assert.notEqual(order.status, 'cancelled');
  });

  test('when the confirmation cannot be edited after the order is placed, the order is shown in a new message, never as nothing charged', async () => {
    const fay = telegram.user({ id: 1013, firstName: 'Fay', languageCode: 'en' });
    await fund(fay.id, 50);
    const { confirm, data } = await confirmationTo(fay, stack.customer(1));
    // The user deletes the confirmation as Confirm is pressed: the edit after the order fails.
    telegram.deleted.add(confirm.messageId);
    await fay.pressData(confirm.messageId, data);
    const [order] = await until(() => ordersOf(fay.id), (o) => o.length === 1, 'the order');
    const shown = await fay.waitForText(`Order ${order.id.slice(-8)}`);
    assert.notEqual(shown.messageId, confirm.messageId, 'a new message');
    assert.ok(!fay.messages().some((m) => m.text.includes('Nothing was charged')), fay.transcript());
  });

  test('a second order confirmed on the same message, after ⬅ Menu, is a second order, not the first one shown again', async () => {
    const ivy = telegram.user({ id: 1014, firstName: 'Ivy', languageCode: 'en' });
    await fund(ivy.id, 50);
    // A saved address: the card's receiver from the start, so every step stays on one message.
    const saved = await fetch(`${jouleUrl}/api/users/${ivy.id}/addresses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${botKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ address: stack.customer(1), label: 'Main' }),
    });
    assert.equal(saved.status, 201);
    await ivy.send('/rent');
    const card = await ivy.waitFor((m) => m.text.includes(`Receiver: ${stack.customer(1)}`), 'the card with the saved receiver');
    const confirmAndPlace = async () => {
      await ivy.press(await ivy.waitFor((m) => m.messageId === card.messageId && m.text.includes('Cost:'), 'the card'), 'BUY');
      await ivy.press(await ivy.waitFor((m) => m.messageId === card.messageId && m.text.includes('paid from your balance?'), 'the confirmation'), 'Confirm');
    };
    await confirmAndPlace();
    const [first] = await until(() => ordersOf(ivy.id), (o) => o.length === 1, 'the first order');
    const shown = await ivy.waitFor((m) => m.messageId === card.messageId && m.text.includes(`Order ${first.id.slice(-8)}`), 'the first order');
    await ivy.press(shown, 'Menu');
    await ivy.press(await ivy.waitFor((m) => m.messageId === card.messageId && m.buttons.some((b) => b.text.includes('Rent energy')), 'the menu in its place'), 'Rent energy');
    await confirmAndPlace();
    const orders = await until(() => ordersOf(ivy.id), (o) => o.length === 2, 'a second order');
    const second = orders.find((o) => o.id !== first.id)!;
    await ivy.waitFor((m) => m.messageId === card.messageId && m.text.includes(`Order ${second.id.slice(-8)}`), 'the second order shown');
  });

  test('a screen the user moved to is never overwritten by the order or the balance the message showed before; a deposit is still told', async () => {
    const joy = telegram.user({ id: 1015, firstName: 'Joy', languageCode: 'en' });
    await fund(joy.id, 50);
    const { confirm, data } = await confirmationTo(joy, stack.customer(1));
    await joy.pressData(confirm.messageId, data);
    const [order] = await until(() => ordersOf(joy.id), (o) => o.length === 1, 'the order');
    const placed = await joy.waitFor((m) => m.messageId === confirm.messageId && m.text.includes(`Order ${order.id.slice(-8)}`), 'the order on the confirmation');
    assert.doesNotMatch(placed.text, /active/, 'the order is still on its way when the user leaves it');
    await joy.press(placed, 'Menu');
    const menu = await joy.waitFor((m) => m.messageId === confirm.messageId && m.text.includes('Welcome, Joy!'), 'the menu in its place');
    await until(() => ordersOf(joy.id), (o) => o[0].status === 'active', 'the order active');
    // Several of the bot's reads of its watched orders (one each 200 ms) after the order moved.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(joy.messages().find((m) => m.messageId === menu.messageId)!.text, menu.text, joy.transcript());

    await joy.send('/balance');
    const balance = await joy.waitForText('Top up by sending TRX or USDT');
    await joy.press(balance, 'Menu');
    const second = await joy.waitFor((m) => m.messageId === balance.messageId && m.text.includes('Welcome, Joy!'), 'the menu in the balance’s place');
    await fund(joy.id, 7);
    await joy.waitForText('Deposit credited: +7 TRX.');
    assert.equal(joy.messages().find((m) => m.messageId === second.messageId)!.text, second.text, joy.transcript());
  });

  test('a user holding USDT is offered to pay in it, and the order is paid in USDT from their USDT balance; TRX alone, the confirmation is as before', async () => {
    const uma = telegram.user({ id: 1016, firstName: 'Uma', languageCode: 'en' });
    await admin('POST', `/api/users/${uma.id}/deposits`, { amount: '5000000', currency: 'USDT', reference: `usdt-${uma.id}`, tenant_id: tenantId });
    const { confirm } = await confirmationTo(uma, stack.customer(1));
    // 65,000 energy for 1h at 19 micro-USDT an energy a day: 0.051458 USDT (rounded up to the micro-USDT).
    const usdtQuote = (await (await fetch(`${jouleUrl}/api/prices/quote?energy_amount=65000&duration=1h&pay_currency=USDT`)).json()) as { price_decimal: string };
    assert.match(confirm.text, new RegExp(`or ${usdtQuote.price_decimal.replace('.', '\\.')} USDT, paid from your balance\\?`));
    assert.deepEqual(confirm.buttons.map((b) => b.text), ['✅ Pay 4.225 TRX', `✅ Pay ${usdtQuote.price_decimal} USDT`, '⬅ Change']);
    const payInTrx = confirm.buttons.find((b) => b.text.includes('TRX'))!.data;
    await uma.press(confirm, 'USDT');
    const [order] = await until(() => ordersOf(uma.id), (o) => o.length === 1, 'the order');
    assert.equal(order.pay_currency, 'USDT');
    await uma.waitFor((m) => m.messageId === confirm.messageId && m.text.includes(`Order ${order.id.slice(-8)}`), 'the order shown');
    const user = await admin('GET', `/api/users/${uma.id}?tenant_id=${tenantId}`);
    assert.equal(BigInt(user.balance_micro_usdt), 5_000_000n - BigInt(order.price), 'paid from the USDT balance');
    assert.equal(user.balance_sun, '0');
    // The same confirmation's other button, tapped after (a second tap, an old update): no second order.
    await uma.pressData(confirm.messageId, payInTrx);
    await uma.waitForText('This confirmation already placed an order');
    assert.equal((await ordersOf(uma.id)).length, 1, 'one order for the one confirmation');

    // A USDT order that fails is refunded in USDT, and its message says so.
    const contract = await confirmationTo(uma, 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t');
    await uma.press(contract.confirm, 'USDT');
    const failed = await uma.waitFor((m) => m.messageId === contract.confirm.messageId && m.text.includes('Status: ❌ failed') && m.text.includes('Refunded:'), 'the failed USDT order', 30_000);
    const refunded = (await ordersOf(uma.id)).find((o) => o.id !== order.id)!;
    assert.match(failed.text, new RegExp(`Refunded: ${(Number(refunded.price) / 1e6).toString().replace('.', '\\.')} USDT to your balance\\.`));

    // A user with TRX only: one Confirm, in TRX, as before.
    const tom = telegram.user({ id: 1017, firstName: 'Tom', languageCode: 'en' });
    await fund(tom.id, 50);
    const trxOnly = await confirmationTo(tom, stack.customer(1));
    assert.deepEqual(trxOnly.confirm.buttons.map((b) => b.text), ['✅ Confirm', '⬅ Change']);
    assert.match(trxOnly.confirm.text, /for 4\.225 TRX, paid from your balance\?/);
  });

  test('an update Telegram delivers twice to the webhook places one order; one without the secret token is refused', async () => {
    const bot = await runBot({ TELEGRAM_WEBHOOK_URL: 'https://bot.example.com/telegram', TELEGRAM_WEBHOOK_SECRET: 'webhook-secret-0123456789' });
    const dave = telegram.user({ id: 1005, firstName: 'Dave', languageCode: 'en' });
    await fund(dave.id, 50);
    const from = { id: dave.id, is_bot: false, first_name: 'Dave', language_code: 'en' };
    const chat = { id: dave.id, type: 'private' };
    let updateId = 900_000;
    const deliver = async (update: Record<string, unknown>, secret: string | null = 'webhook-secret-0123456789') =>
      fetch(`${bot.listenerUrl}/telegram`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(secret === null ? {} : { 'x-telegram-bot-api-secret-token': secret }) },
        body: JSON.stringify(update),
      });
    const say = (text: string) =>
      deliver({
        update_id: ++updateId,
        message: { message_id: updateId, date: Math.floor(Date.now() / 1000), chat, from, text, ...(text.startsWith('/') ? { entities: [{ type: 'bot_command', offset: 0, length: text.length }] } : {}) },
      });
    const tap = (message: BotMessage, label: string) => {
      const data = message.buttons.find((b) => b.text.includes(label))!.data;
      return deliver({ update_id: ++updateId, callback_query: { id: `cb-${updateId}`, chat_instance: '1', from, message: { message_id: message.messageId, date: 0, chat, text: message.text }, data } });
    };
    // Through the webhook, to a confirmation the bot showed.
    await say('/rent');
    await tap(await dave.waitForText('Cost:'), 'Another address');
    await dave.waitForText('Send the TRON address');
    await say(stack.customer(2));
    await tap(await dave.waitFor((m) => m.text.includes(`Receiver: ${stack.customer(2)}`), 'the card'), 'BUY');
    const confirm = await dave.waitForText('paid from your balance?');
    const update = {
      update_id: ++updateId,
      callback_query: {
        id: 'cb-confirm',
        chat_instance: '1',
        from,
        message: { message_id: confirm.messageId, date: 0, chat, text: confirm.text },
        data: confirm.buttons.find((b) => b.text.includes('Confirm'))!.data,
      },
    };
    const post = (secret: string | null) => deliver(update, secret);
    assert.equal((await post(null)).status, 401);
    assert.equal((await post('wrong-secret-0123456789xx')).status, 401);
    assert.deepEqual(await ordersOf(dave.id), [], 'a refused update placed nothing');
    assert.equal((await post('webhook-secret-0123456789')).status, 200);
    assert.equal((await post('webhook-secret-0123456789')).status, 200);
    const orders = await until(() => ordersOf(dave.id), (o) => o.length > 0, 'the order was placed');
    assert.equal(orders.length, 1, 'one order for an update delivered twice');
    assert.equal(orders[0].receive_address, stack.customer(2));
  });

  test('a confirmation whose price rose before Confirm charges nothing and is shown again at the new price; one shown before a restart is shown again too, and a tap that placed its order before the restart gets that order back', async () => {
    // In front of Joule: while `cheaper`, quotes read 0.1 TRX below the price Joule will charge (a price rise
    // between the confirmation and the tap).
    let cheaper = true;
    const front = await jouleFront(
      () => {},
      (url, body) => {
        if (!cheaper || !url.startsWith('/api/prices/quote') || typeof body?.price !== 'string') return undefined;
        const price = BigInt(body.price) - 100_000n;
        return { ...body, price: price.toString(), price_decimal: (Number(price) / 1e6).toString() };
      },
    );
    const own = await startTelegram();
    const env = { JOULE_ROLE: 'bot', TELEGRAM_BOT_TOKEN: BOT_TOKEN, TELEGRAM_API_ROOT: own.apiRoot, JOULE_API_URL: front.url, JOULE_API_KEY: botKey };
    let bot = await startBot(loadConfig(env).bot!, botLog());
    try {
      const ivy = own.user({ id: 1501, firstName: 'Ivy', languageCode: 'en' });
      await fund(ivy.id, 50);
      const shown = await confirmationTo(ivy, stack.customer(1));
      assert.match(shown.confirm.text, /for 4\.125 TRX/, 'the confirmation shows the lower price');
      cheaper = false;
      await ivy.pressData(shown.confirm.messageId, shown.data);
      await ivy.waitForText('The price changed since this was shown: nothing was charged.');
      const again = await ivy.waitFor((m) => m.messageId === shown.confirm.messageId && m.text.includes('for 4.225 TRX'), 'the confirmation at the new price');
      assert.deepEqual(await ordersOf(ivy.id), [], 'nothing placed above the price shown');
      await ivy.press(again, 'Confirm');
      await ivy.waitFor((m) => m.messageId === shown.confirm.messageId && m.text.includes('Order '), 'the order, at the price shown');
      const [placed] = await until(() => ordersOf(ivy.id), (o) => o.length === 1, 'the order');
      assert.equal(placed.price_sun, '4225000');

      // Shown by this bot, tapped on the next one: it no longer knows the price shown, and places nothing.
      const before = await confirmationTo(ivy, stack.customer(2));
      await bot.close();
      bot = await startBot(loadConfig(env).bot!, botLog());
      await ivy.pressData(before.confirm.messageId, before.data);
      await ivy.waitForText('The bot no longer has the price this confirmation showed');
      assert.equal((await ordersOf(ivy.id)).length, 1);
      const shownAgain = await ivy.waitFor((m) => m.messageId === before.confirm.messageId && m.text.includes('paid from your balance?') && m.buttons.some((b) => b.data !== before.data && b.text.includes('Confirm')), 'the confirmation shown again');
      const data = shownAgain.buttons.find((b) => b.text.includes('Confirm'))!.data;
      await ivy.pressData(shownAgain.messageId, data);
      await until(() => ordersOf(ivy.id), (o) => o.length === 2, 'the second order');
      // The same tap delivered again after another restart: its order comes back, none is placed.
      await bot.close();
      bot = await startBot(loadConfig(env).bot!, botLog());
      const told = ivy.messages().filter((m) => m.text.includes('no longer has the price')).length;
      await ivy.pressData(shownAgain.messageId, data);
      await ivy.waitFor((m) => m.messageId === shownAgain.messageId && m.text.includes('Order '), 'the order shown');
      await new Promise((r) => setTimeout(r, 500));
      assert.equal((await ordersOf(ivy.id)).length, 2, 'one order for the tap, however often it comes');
      assert.equal(ivy.messages().filter((m) => m.text.includes('no longer has the price')).length, told, 'its order, not a new confirmation');
    } finally {
      await bot.close();
      await own.close();
      await front.close();
    }
  });

  test('when Joule cannot be reached, the user is told so in their language, and no order is placed', async () => {
    const down = await startTelegram();
    try {
      const config = loadConfig({
        JOULE_ROLE: 'bot',
        TELEGRAM_BOT_TOKEN: BOT_TOKEN,
        TELEGRAM_API_ROOT: down.apiRoot,
        // Nothing listens here.
        JOULE_API_URL: `http://127.0.0.1:${await freePort()}`,
        JOULE_API_KEY: botKey,
      });
      const bot = await startBot(config.bot!, createLogger('silent'));
      try {
        const erin = down.user({ id: 1006, firstName: 'Erin', languageCode: 'en' });
        await erin.send('/start');
        await erin.waitForText('The rental service is not answering right now. Nothing was charged.');
        await erin.pressData(4242, `ok:65000:1h:${stack.customer(0)}`);
        await until(async () => erin.messages().filter((m) => m.text.includes('not answering')).length, (n) => n === 2, 'the same honest answer to Confirm');
        assert.ok(!erin.messages().some((m) => /Order |active|placed/.test(m.text)), 'never a success');
        const zhu = down.user({ id: 1007, firstName: '朱', languageCode: 'zh' });
        await zhu.send('/start');
        await zhu.waitForText('租赁服务暂时没有响应。未扣任何费用。');
      } finally {
        await bot.close();
      }
    } finally {
      await down.close();
    }
    assert.deepEqual(await ordersOf(1006), []);
  });

  test("with the tenant's signed webhooks, the status message follows the order without reading it, and a forged event is refused", async () => {
    const port = await freePort();
    const { signing_secret: secret } = await admin('PUT', `/api/admin/tenants/${tenantId}/webhook`, { url: `http://127.0.0.1:${port}/joule` });
    const news = await startTelegram();
    // Reads every 10 minutes (60 s x 10 with webhooks): only the webhooks can move the message within this test.
    const bot = await startBot(
      loadConfig({ JOULE_ROLE: 'bot', TELEGRAM_BOT_TOKEN: BOT_TOKEN, TELEGRAM_API_ROOT: news.apiRoot, JOULE_API_URL: jouleUrl, JOULE_API_KEY: botKey, JOULE_WEBHOOK_SECRET: secret, BOT_PORT: String(port), BOT_STATUS_POLL_MS: '60000' }).bot!,
      botLog(),
    );
    try {
      const gina = news.user({ id: 1009, firstName: 'Gina', languageCode: 'en' });
      await fund(gina.id, 50);
      const first = await confirmationTo(gina, stack.customer(0));
      await gina.pressData(first.confirm.messageId, first.data);
      const placed = await gina.waitForText('Order ');
      assert.equal(placed.messageId, first.confirm.messageId, 'the order is shown in place of what was confirmed');
      const active = await gina.waitFor((m) => m.messageId === placed.messageId && m.text.includes('Status: ✅ active'), 'the order active, from the webhook', 30_000);
      const [order] = await ordersOf(gina.id);
      assert.ok(active.text.includes(order.delegate_txid), active.text);
      const forged = await fetch(`${bot.listenerUrl}/joule`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'joule-signature': `t=${Math.floor(Date.now() / 1000)},v1=${'0'.repeat(64)}` },
        body: JSON.stringify({ id: 'x', type: 'order.completed', created_at: new Date().toISOString(), data: { ...order, status: 'completed' } }),
      });
      assert.equal(forged.status, 401);
      await new Promise((r) => setTimeout(r, 300));
      assert.ok(gina.messages().find((m) => m.messageId === placed.messageId)!.text.includes('Status: ✅ active'), 'a forged event changes nothing');

      // An order that fails: the webhook alone carries its reason and its refund to the message.
      const next = await confirmationTo(gina, 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t');
      assert.notEqual(next.confirm.messageId, first.confirm.messageId);
      await gina.pressData(next.confirm.messageId, next.data);
      const failed = await gina.waitFor((m) => m.messageId === next.confirm.messageId && m.text.includes('Status: ❌ failed') && m.text.includes('Refunded:'), 'the failure and its refund, from the webhook', 30_000);
      assert.match(failed.text, /Why: the receiver is a contract/);
    } finally {
      await admin('PUT', `/api/admin/tenants/${tenantId}/webhook`, { url: null });
      await bot.close();
      await news.close();
    }
  });

  test('a chat whose answer is slow in coming holds up no other chat', async () => {
    // In front of Joule: every request about user 1201 waits 6 s; the rest go straight through.
    let slowAsked = false;
    const front = await jouleFront(async (_method, url) => {
      if (!/\/users\/1201(\/|\?|$)/.test(url)) return;
      slowAsked = true;
      await new Promise((r) => setTimeout(r, 6000));
    });
    const lanes = await startTelegram();
    const bot = await startBot(
      loadConfig({ JOULE_ROLE: 'bot', TELEGRAM_BOT_TOKEN: BOT_TOKEN, TELEGRAM_API_ROOT: lanes.apiRoot, JOULE_API_URL: front.url, JOULE_API_KEY: botKey }).bot!,
      botLog(),
    );
    try {
      const slow = lanes.user({ id: 1201, firstName: 'Sol', languageCode: 'en' });
      const quick = lanes.user({ id: 1202, firstName: 'Quin', languageCode: 'en' });
      await slow.send('/start');
      await until(async () => slowAsked, (asked) => asked, 'the slow chat’s request at Joule');
      await quick.send('/start');
      await quick.waitForText('Welcome, Quin!');
      assert.ok(!slow.messages().some((m) => m.text.includes('Welcome, Sol!')), 'the quick chat answered while the slow one still waits');
      await slow.waitForText('Welcome, Sol!');
    } finally {
      await bot.close();
      await lanes.close();
      await front.close();
    }
  });

  test("rentals under way do not spend the bot's key on reads that find nothing new, which would leave its users told the service is busy", async () => {
    const orderReads: number[] = [];
    const front = await jouleFront((method, url) => {
      if (method === 'GET' && /^\/api\/orders\/[^/?]+$/.test(url)) orderReads.push(Date.now());
    });
    const own = await startTelegram();
    // A key of its own: the reads it counts are its bot's alone, and the tests before cannot have spent its requests.
    const key = (await admin('POST', '/api/admin/api-keys', { name: 'reads test bot', tenant_id: tenantId })).key;
    const bot = await startBot(
      loadConfig({ JOULE_ROLE: 'bot', TELEGRAM_BOT_TOKEN: BOT_TOKEN, TELEGRAM_API_ROOT: own.apiRoot, JOULE_API_URL: front.url, JOULE_API_KEY: key, BOT_STATUS_POLL_MS: '200' }).bot!,
      botLog(),
    );
    try {
      const rita = own.user({ id: 1301, firstName: 'Rita', languageCode: 'en' });
      await fund(rita.id, 50);
      for (let i = 0; i < 3; i++) {
        const { confirm, data } = await confirmationTo(rita, stack.customer(i));
        await rita.pressData(confirm.messageId, data);
        await rita.waitFor((m) => m.messageId === confirm.messageId && m.text.includes('Status: ✅ active'), `rental ${i + 1} active`, 30_000);
      }
      // Three one-hour rentals active for three seconds: read every 200 ms each, 45 reads of the key's 600 a
      // minute, for nothing (a bot with 40 rentals under way would spend all of them).
      const from = Date.now();
      await new Promise((r) => setTimeout(r, 3000));
      const reads = orderReads.filter((t) => t >= from).length;
      assert.ok(reads <= 3, `${reads} reads of active rentals in 3 s`);
    } finally {
      await bot.close();
      await own.close();
      await front.close();
    }
  });

  test("users who left their balance open do not spend the bot's key: its reads stay within BOT_READS_PER_MIN however many watch, and an order read at every round does not keep the balances from theirs", async () => {
    const reads: number[] = [];
    // In front of Joule: every order reads as still pending, so the bot reads it again at every round.
    const front = await jouleFront(
      (method, url) => {
        if (method === 'GET' && /^\/api\/users\/16[0-9]{2}(\?|$)/.test(url)) reads.push(Date.now());
      },
      (url, body) => (/^\/api\/orders\/[^/?]+$/.test(url) && typeof body?.status === 'string' ? { ...body, status: 'pending' } : undefined),
    );
    const own = await startTelegram();
    const key = (await admin('POST', '/api/admin/api-keys', { name: 'reads budget bot', tenant_id: tenantId })).key;
    const bot = await startBot(
      loadConfig({ JOULE_ROLE: 'bot', TELEGRAM_BOT_TOKEN: BOT_TOKEN, TELEGRAM_API_ROOT: own.apiRoot, JOULE_API_URL: front.url, JOULE_API_KEY: key, BOT_STATUS_POLL_MS: '200', BOT_READS_PER_MIN: '60' }).bot!,
      botLog(),
    );
    try {
      const users = [0, 1, 2, 3, 4, 5].map((i) => own.user({ id: 1600 + i, firstName: `U${i}`, languageCode: 'en' }));
      await fund(users[0]!.id, 50);
      const { confirm, data } = await confirmationTo(users[0]!, stack.customer(0));
      await users[0]!.pressData(confirm.messageId, data);
      await users[0]!.waitFor((m) => m.messageId === confirm.messageId && m.text.includes('Order '), 'the order, read as pending from then on');
      for (const u of users) {
        await fund(u.id, 1);
        await u.send('/balance');
      }
      for (const u of users) await u.waitForText('Top up by sending TRX or USDT');
      // Six balances watched, each read every 200 ms before: 30 reads a second. Now one a second in all.
      const from = Date.now();
      await new Promise((r) => setTimeout(r, 3000));
      const read = reads.filter((t) => t >= from).length;
      assert.ok(read >= 1 && read <= 5, `${read} balance reads in 3 s at 60 a minute`);
      // Still followed: a deposit to the last one is told.
      await fund(users[5]!.id, 2);
      await users[5]!.waitForText('Deposit credited: +2 TRX.', 30_000);
    } finally {
      await bot.close();
      await own.close();
      await front.close();
    }
  });

  test('a user who floods the bot is told once to slow down, and the flood never reaches Joule', async () => {
    const flood = await startTelegram();
    const bot = await startBot(
      loadConfig({ JOULE_ROLE: 'bot', TELEGRAM_BOT_TOKEN: BOT_TOKEN, TELEGRAM_API_ROOT: flood.apiRoot, JOULE_API_URL: jouleUrl, JOULE_API_KEY: botKey, BOT_USER_RATE_PER_MIN: '3' }).bot!,
      createLogger('silent'),
    );
    try {
      const frank = flood.user({ id: 1008, firstName: 'Frank', languageCode: 'en' });
      for (let i = 0; i < 10; i++) await frank.send('/start');
      await frank.waitForText('Too many requests');
      await until(async () => frank.messages().filter((m) => m.text.includes('Welcome, Frank')).length, (n) => n === 3, 'three menus');
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(frank.messages().filter((m) => m.text.includes('Welcome, Frank')).length, 3, 'the limit is 3 a minute');
      assert.equal(frank.messages().filter((m) => m.text.includes('Too many requests')).length, 1, 'said once');
    } finally {
      await bot.close();
      await flood.close();
    }
  });

  test('admins are alerted once when a reclaim keeps failing', async () => {
    // A Joule API without an engine, holding an order whose reclaim has failed 7 times in a row.
    const api = await createTestApp({ env: { PORT: '0' } });
    const ops = await startTelegram();
    let bot: RunningBot | undefined;
    try {
      const url = (await api.joule.listen())!;
      const id = await seedOrder(api.db, { status: 'reclaiming', createdAt: BigInt(Date.now()), poolAddress: pool() });
      await api.db.kysely.updateTable('orders').set({ wait_reason: 'reclaim_retrying', reclaim_attempts: 7n }).where('id', '=', id).execute();
      bot = await startBot(
        loadConfig({ JOULE_ROLE: 'bot', TELEGRAM_BOT_TOKEN: BOT_TOKEN, TELEGRAM_API_ROOT: ops.apiRoot, JOULE_API_URL: url, JOULE_API_KEY: botKey, TELEGRAM_ADMIN_IDS: '4343', JOULE_ADMIN_TOKEN: ADMIN_TOKEN, BOT_ALERT_POLL_MS: '200' }).bot!,
        botLog(),
      );
      const operator = ops.user({ id: 4343, firstName: 'Op', languageCode: 'en' });
      const alert = await operator.waitForText(`Reclaim keeps failing for order ${id.slice(-8)}`);
      assert.match(alert.text, /retried 7 times/);
      await new Promise((r) => setTimeout(r, 600));
      assert.equal(operator.messages().filter((m) => m.text.includes('Reclaim keeps failing')).length, 1, 'once, not at every check');
    } finally {
      await bot?.close();
      await ops.close();
      await api.close();
    }
  });

  test('admins get /stats and an alert when a pool runs dry; others are refused /stats', async () => {
    const ops = await startTelegram();
    const bot = await startBot(
      loadConfig({
        JOULE_ROLE: 'bot',
        TELEGRAM_BOT_TOKEN: BOT_TOKEN,
        TELEGRAM_API_ROOT: ops.apiRoot,
        JOULE_API_URL: jouleUrl,
        JOULE_API_KEY: botKey,
        TELEGRAM_ADMIN_IDS: '4242',
        JOULE_ADMIN_TOKEN: ADMIN_TOKEN,
        // Above what any devnet pool holds: every pool is "running dry".
        BOT_POOL_LOW_ENERGY: '1000000000000000',
        BOT_ALERT_POLL_MS: '200',
      }).bot!,
      createLogger('silent'),
    );
    try {
      const operator = ops.user({ id: 4242, firstName: 'Op', languageCode: 'en' });
      const alert = await operator.waitForText(`Pool ${pool()} is running dry`);
      assert.match(alert.text, /energy available/);
      await operator.send('/stats');
      const stats = await operator.waitForText('📊 Orders:');
      assert.match(stats.text, /active \d+/, 'orders by status');
      assert.match(stats.text, /Redis: off/, 'Redis state (this Joule runs without background tasks)');
      assert.ok(stats.text.includes(pool().slice(0, 6)), 'each pool with its energy');
      const stranger = ops.user({ id: 5151, firstName: 'Eve', languageCode: 'en' });
      await stranger.send('/stats');
      await stranger.waitForText('Only the operator can use this.');
      await new Promise((r) => setTimeout(r, 600));
      assert.equal(operator.messages().filter((m) => m.text.includes(`Pool ${pool()} is running dry`)).length, 1, 'an alert is sent once, not at every check');
    } finally {
      await bot.close();
      await ops.close();
    }
  });
});
