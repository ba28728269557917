/**
 * Where updates come from. Long polling by default: getUpdates with a 30 s
 * wait, the offset confirming what was handled, so an update the bot died on
 * is delivered again (and its order, by its key, placed once). Updates of one
 * chat are handled in order, chats side by side. Failures back off from 1 s
 * to a minute, and a server that answers an empty poll at once (a test
 * server, a proxy that drops the wait) is not asked again for 250 ms: never
 * a tight loop against Telegram.
 *
 * With TELEGRAM_WEBHOOK_URL, Telegram posts each update to the bot's HTTP
 * listener instead, with the secret token the bot registered; anything
 * without it is refused.
 */
import type { Bot } from 'grammy';
import type { Update } from 'grammy/types';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../observability/logger.js';

const POLL_WAIT_S = 30;
const EMPTY_POLL_PAUSE_MS = 250;
const MAX_BACKOFF_MS = 60_000;
export const ALLOWED_UPDATES = ['message', 'callback_query'] as const;

/** Handles one update; a handler's own failure is logged, never thrown (the next updates must go on). */
export type UpdateHandler = (update: Update) => Promise<void>;

/** Handles a batch: each chat's updates in order, different chats at once. */
export async function handleBatch(updates: readonly Update[], handle: UpdateHandler): Promise<void> {
  const byChat = new Map<number | string, Update[]>();
  for (const u of updates) {
    const chat = u.message?.chat.id ?? u.callback_query?.message?.chat.id ?? u.callback_query?.from.id ?? `update ${u.update_id}`;
    byChat.set(chat, [...(byChat.get(chat) ?? []), u]);
  }
  await Promise.all([...byChat.values()].map(async (list) => {
    for (const u of list) await handle(u);
  }));
}

export class LongPolling {
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(
    private readonly bot: Bot,
    private readonly handle: UpdateHandler,
    private readonly log: Logger,
    private readonly safe: (err: unknown) => string,
  ) {}

  async start(): Promise<void> {
    // A webhook left set makes getUpdates fail: polling is what this process was asked for.
    await this.bot.api.deleteWebhook();
    this.loop = this.run();
  }

  async close(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }

  private async run(): Promise<void> {
    let offset = 0;
    let backoffMs = 1000;
    const { signal } = this.abort;
    while (!signal.aborted) {
      const asked = performance.now();
      try {
        const updates = await this.bot.api.getUpdates({ offset, timeout: POLL_WAIT_S, allowed_updates: [...ALLOWED_UPDATES] }, signal as Parameters<Bot["api"]["getUpdates"]>[1]);
        backoffMs = 1000;
        if (updates.length > 0) {
          offset = updates[updates.length - 1]!.update_id + 1;
          await handleBatch(updates, this.handle);
        } else if (performance.now() - asked < EMPTY_POLL_PAUSE_MS) {
          await sleep(EMPTY_POLL_PAUSE_MS, undefined, { signal }).catch(() => undefined);
        }
      } catch (err) {
        if (signal.aborted) return;
        this.log.warn({ err: this.safe(err), retry_in_ms: backoffMs }, 'bot: getUpdates failed');
        await sleep(backoffMs * (0.5 + Math.random() / 2), undefined, { signal }).catch(() => undefined);
        backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
      }
    }
  }
}
