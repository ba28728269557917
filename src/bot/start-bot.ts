/**
 * Role `bot`: the composition of the Telegram bot. It builds the Joule
 * client, the conversation, the watches that edit order and balance
 * messages, the admins' alerts, and the update source (long polling, or
 * Telegram's webhook), and starts the listener when Telegram's or Joule's
 * webhooks need one.
 */
import { randomBytes } from 'node:crypto';
import { Bot, GrammyError } from 'grammy';
import type { Update } from 'grammy/types';
import { ConfigError, type BotConfig } from '../config.js';
import type { Logger } from '../observability/logger.js';
import { AdminAlerts } from './admin.js';
import { JouleBot } from './bot.js';
import { JouleClient } from './joule-client.js';
import { startListener, type Listener } from './listener.js';
import { ALLOWED_UPDATES, LongPolling } from './updates.js';
import { Watches } from './watches.js';

export interface RunningBot {
  /** The bot's listener, when it has one (Telegram's webhook or Joule's). */
  listenerUrl: string | undefined;
  /** The conversation, for tests that hand it updates directly. */
  handleUpdate(update: Update): Promise<void>;
  close(): Promise<void>;
}

export async function startBot(config: BotConfig, log: Logger): Promise<RunningBot> {
  const joule = new JouleClient(config.jouleUrl, config.jouleKey, config.jouleTimeoutMs, config.jouleAdminToken);
  const bot = new Bot(config.token, { client: { apiRoot: config.apiRoot } });
  // Asks Telegram who the bot is: a wrong token, or no Bot API server, stops start-up here in one line.
  // (getMe by hand: grammY's init() retries a network error forever, and a bad setting must stop start-up.)
  try {
    bot.botInfo = await bot.api.getMe();
  } catch (err) {
    if (err instanceof GrammyError) throw new ConfigError('TELEGRAM_BOT_TOKEN', `the Bot API refused it (${err.error_code}: ${err.description})`);
    throw new ConfigError('TELEGRAM_API_ROOT', `cannot reach the Bot API at ${config.apiRoot}`);
  }
  let jouleBot: JouleBot;
  const sink = {
    edit: (chatId: number, messageId: number, screen: Parameters<JouleBot['edit']>[2]) => jouleBot.edit(chatId, messageId, screen),
    send: async (chatId: number, text: string) => void (await bot.api.sendMessage(chatId, text)),
  };
  // With Joule's webhooks, reads are a slow safety net; without them, they are the news.
  const watches = new Watches(joule, sink, log, config.jouleWebhookSecret === undefined ? config.statusPollMs : config.statusPollMs * 10, config.readsPerMin);
  jouleBot = new JouleBot(bot, { joule, watches, log, adminIds: config.adminIds, userRatePerMin: config.userRatePerMin, token: config.token });
  const alerts = new AdminAlerts(joule, config.adminIds, sink.send, { pollMs: config.alertPollMs, poolLowEnergy: config.poolLowEnergy, lang: (id) => jouleBot.lang(id), log });

  const handleUpdate = async (update: Update) => {
    try {
      await bot.handleUpdate(update);
    } catch (err) {
      log.error({ err: jouleBot.safe(err), update_id: update.update_id }, 'bot: update failed');
    }
  };

  const webhookSecret = config.webhookSecret ?? randomBytes(24).toString('base64url');
  let listener: Listener | undefined;
  if (config.webhookUrl !== undefined || config.jouleWebhookSecret !== undefined) {
    listener = await startListener(
      config.host,
      config.port,
      {
        ...(config.webhookUrl === undefined ? {} : { telegram: { secret: webhookSecret, handle: handleUpdate } }),
        ...(config.jouleWebhookSecret === undefined
          ? {}
          : { joule: { secret: config.jouleWebhookSecret, order: (o) => watches.orderSeen(o), deposit: (userId) => watches.depositSeen(userId) } }),
      },
      log,
    );
  }
  let polling: LongPolling | undefined;
  if (config.webhookUrl === undefined) {
    polling = new LongPolling(bot, handleUpdate, log, (err) => jouleBot.safe(err));
    await polling.start();
  } else {
    await bot.api.setWebhook(config.webhookUrl, { secret_token: webhookSecret, allowed_updates: [...ALLOWED_UPDATES] });
  }
  await jouleBot.publishCommands();
  watches.start();
  alerts.start();
  log.info(
    { bot: bot.botInfo.username, updates: config.webhookUrl === undefined ? 'long polling' : 'webhook', order_news: config.jouleWebhookSecret === undefined ? 'polling' : 'joule webhooks', joule: config.jouleUrl, listener: listener?.url },
    'bot started',
  );
  return {
    listenerUrl: listener?.url,
    handleUpdate,
    async close() {
      await polling?.close();
      await alerts.close();
      await watches.close();
      await listener?.close();
    },
  };
}
