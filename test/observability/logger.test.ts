import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/observability/logger.js';

test('a configuration logged whole shows none of its secrets: admin token, client keys, the bot’s token, key, admin token and webhook secrets', () => {
  let out = '';
  const sink = new Writable({
    write(chunk, _encoding, done) {
      out += String(chunk);
      done();
    },
  });
  const log = createLogger('info', sink as never);
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
  assert.ok(out.includes('"configuration"'), 'the lines were written');
  for (const [name, value] of Object.entries(secrets)) assert.ok(!out.includes(value), `${name} reached the log`);
});
