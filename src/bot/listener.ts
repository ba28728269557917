/**
 * The bot's own HTTP listener (BOT_HOST:BOT_PORT), up only when something
 * posts to it:
 *   POST /telegram  Telegram's webhook (TELEGRAM_WEBHOOK_URL): the
 *                   X-Telegram-Bot-Api-Secret-Token header must be the secret
 *                   the bot registered, else 401 and nothing is handled.
 *   POST /joule     the tenant's Joule webhooks (JOULE_WEBHOOK_SECRET): the
 *                   Joule-Signature must sign the raw body, else 401.
 *   GET  /health    200 while the process runs.
 * A body over 1 MiB is refused (413): neither sender needs more.
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Update } from 'grammy/types';
import { verifySignature } from '../domain/webhook-signature.js';
import type { Logger } from '../observability/logger.js';
import type { OrderView } from './joule-client.js';

const MAX_BODY_BYTES = 1 << 20;

export interface ListenerHandlers {
  /** Set with TELEGRAM_WEBHOOK_URL: the secret and what handles an update. */
  telegram?: { secret: string; handle(update: Update): Promise<void> };
  /** Set with JOULE_WEBHOOK_SECRET. */
  joule?: { secret: string; order(order: OrderView): Promise<void>; deposit(userId: number): Promise<void> };
}

export interface Listener {
  url: string;
  close(): Promise<void>;
}

const sameSecret = (given: string | undefined, expected: string): boolean => {
  const a = Buffer.from(given ?? '');
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
};

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        resolve(undefined);
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function answer(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

export async function startListener(host: string, port: number, handlers: ListenerHandlers, log: Logger): Promise<Listener> {
  const server: Server = createServer((req, res) => {
    void route(req, res).catch((err: unknown) => {
      log.error({ err: (err as Error).message, path: req.url }, 'bot: listener failed');
      if (!res.headersSent) answer(res, 500, { error: { code: 'internal_error', message: 'internal error' } });
    });
  });

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/health') return answer(res, 200, { ok: true });
    const telegram = path === '/telegram' ? handlers.telegram : undefined;
    const joule = path === '/joule' ? handlers.joule : undefined;
    if (req.method !== 'POST' || (telegram === undefined && joule === undefined)) {
      return answer(res, 404, { error: { code: 'not_found', message: `no route ${req.method} ${path}` } });
    }
    const body = await readBody(req);
    if (body === undefined) return answer(res, 413, { error: { code: 'payload_too_large', message: 'the body is over 1 MiB' } });
    let parsed: any;
    try {
      parsed = JSON.parse(body);
    } catch {
      return answer(res, 400, { error: { code: 'invalid_json', message: 'the body is not valid JSON' } });
    }
    if (telegram) {
      const token = req.headers['x-telegram-bot-api-secret-token'];
      if (!sameSecret(typeof token === 'string' ? token : undefined, telegram.secret)) {
        log.warn('bot: a webhook update without the secret token was refused');
        return answer(res, 401, { error: { code: 'unauthorized', message: 'secret token missing or wrong' } });
      }
      // Answered once handled: Telegram sends a chat's next update only after this one's answer.
      await telegram.handle(parsed as Update);
      return answer(res, 200, { ok: true });
    }
    const signature = req.headers['joule-signature'];
    if (!verifySignature(joule!.secret, typeof signature === 'string' ? signature : undefined, body, Date.now() / 1000)) {
      log.warn('bot: a Joule webhook with a bad signature was refused');
      return answer(res, 401, { error: { code: 'unauthorized', message: 'Joule-Signature does not sign this body' } });
    }
    const event = parsed as { type: string; data: Record<string, unknown> };
    if (event.type.startsWith('order.')) await joule!.order(event.data as unknown as OrderView);
    else if (event.type === 'deposit.credited') await joule!.deposit(Number(event.data.user_id));
    return answer(res, 200, { ok: true });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
