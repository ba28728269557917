import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/observability/logger.js';

/** A logger at info whose lines are kept in memory. */
function capturedLog() {
  let out = '';
  const sink = new Writable({
    write(chunk, _encoding, done) {
      out += String(chunk);
      done();
    },
  });
  return { log: createLogger('info', sink as never), written: () => out };
}

test('a configuration logged whole shows none of its secrets: admin token, client keys, the bot’s token, key, admin token and webhook secrets', () => {
  const { log, written } = capturedLog();
  const secrets = {
    ADMIN_TOKEN: 'admin-token-0123456789abcdef',
    API_KEYS: 'client-key-0123456789abcdef',
    TELEGRAM_BOT_TOKEN: '123456789:telegram-token-abcdefghij',
    JOULE_API_KEY: 'jk_bot-key-0123456789abcdef',
    JOULE_ADMIN_TOKEN: 'bot-admin-token-0123456789',
    JOULE_WEBHOOK_SECRET: 'whsec_bot-0123456789abcdef',
    TELEGRAM_WEBHOOK_SECRET: 'telegram-webhook-secret-0123',
  };
  const config = loadConfig({ ...secrets, JOULE_ROLE: 'bot', TELEGRAM_ADMIN_IDS: '42' });
  log.info({ config }, 'configuration');
  log.info(config, 'configuration, spread');
  const out = written();
  assert.ok(out.includes('"configuration"'), 'the lines were written');
  for (const [name, value] of Object.entries(secrets)) assert.ok(!out.includes(value), `${name} reached the log`);
});

test('secrets are redacted where a line may carry them, and the objects logged are left as they were', () => {
  const { log, written } = capturedLog();
  const req = { method: 'POST', headers: { authorization: 'Bearer s1-request-header', 'x-api-key': 's2-request-key', host: 'joule.example' } };
  const fields = {
    req,
    headers: { 'x-api-key': 's3-bare-header' },
    privateKey: 's4-top-level-key',
    pools: { privateKey: 's5-one-level-down' },
    settings: { bot: { token: 's6-nested-bot-token' } },
    bot: { webhookSecret: 's7-bot-secret', adminToken: 's8-bot-admin-token' },
    orderId: 'order-1',
  };
  log.info(fields, 'everything at once');
  log.info({ orderId: 'order-2', price: '2080000' }, 'a plain line');
  const out = written();
  const lines = out.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.length, 2);
  for (const secret of ['s1-', 's2-', 's3-', 's4-', 's5-', 's6-', 's7-', 's8-']) assert.ok(!out.includes(secret), `${secret} reached the log`);
  assert.equal(lines[0].req.headers.authorization, '[redacted]');
  assert.equal(lines[0].req.headers.host, 'joule.example');
  assert.equal(lines[0].pools.privateKey, '[redacted]');
  assert.equal(lines[0].orderId, 'order-1');
  assert.deepEqual({ orderId: lines[1].orderId, price: lines[1].price, msg: lines[1].msg }, { orderId: 'order-2', price: '2080000', msg: 'a plain line' });
  // Logging did not censor the caller's own objects.
  assert.equal(req.headers.authorization, 'Bearer s1-request-header');
  assert.equal(fields.settings.bot.token, 's6-nested-bot-token');
});
