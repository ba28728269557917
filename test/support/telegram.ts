// A Telegram Bot API server for tests: the `telegram-test-api` emulator (a
// real HTTP server the bot talks to through TELEGRAM_API_ROOT), with a front
// that adds the one method the emulator lacks, sendPhoto: it keeps each photo
// so a test can read the picture the user would see.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import jsQRModule from 'jsqr';
import { PNG } from 'pngjs';
import TelegramServerModule from 'telegram-test-api';
import type { TelegramServer as EmulatorServer } from 'telegram-test-api/lib/telegramServer.js';

// A CommonJS module whose types say `export default`: under ESM its default is the module object.
const jsQR = jsQRModule as unknown as typeof jsQRModule.default;
// The same: module.exports is the class.
const TelegramServer = TelegramServerModule as unknown as typeof EmulatorServer;

export const BOT_TOKEN = '123456789:test-bot-token-abcdefghijklmnop';

export interface BotMessage {
  messageId: number;
  chatId: number;
  text: string;
  buttons: Array<{ text: string; data: string }>;
}

export interface SentPhoto {
  chatId: number;
  caption: string;
  /** The QR code in the picture, decoded; undefined when it holds none. */
  qr: string | undefined;
}

/** A call the bot made that a user sees: a message sent or edited, a photo, a toast. */
export interface BotCall {
  time: number;
  method: string;
  chatId: number;
  messageId: number | undefined;
  text: string;
  buttons: string[][];
}

export interface Telegram {
  /** Every message the bot sent or edited, in order, as it was at that moment. */
  calls: BotCall[];
  /** What the bot sets as TELEGRAM_API_ROOT. */
  apiRoot: string;
  server: EmulatorServer;
  photos: SentPhoto[];
  /** Messages deleted as far as edits go: an edit of one is answered as Telegram answers it (400, not found). */
  deleted: Set<number>;
  user(opts: { id: number; firstName?: string; languageCode?: string }): TelegramUser;
  close(): Promise<void>;
}

/** A loopback port nothing listens on (just now). */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** The parts of a multipart/form-data body, by field name. */
function multipart(body: Buffer, contentType: string): Map<string, Buffer> {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(contentType);
  const parts = new Map<string, Buffer>();
  if (!boundary) return parts;
  const delimiter = Buffer.from(`--${boundary[1] ?? boundary[2]}`);
  let at = body.indexOf(delimiter);
  while (at !== -1) {
    const next = body.indexOf(delimiter, at + delimiter.length);
    if (next === -1) break;
    const part = body.subarray(at + delimiter.length + 2, next - 2);
    const headerEnd = part.indexOf('\r\n\r\n');
    const name = /name="([^"]+)"/.exec(part.subarray(0, headerEnd).toString())?.[1];
    if (name !== undefined) parts.set(name, part.subarray(headerEnd + 4));
    at = next;
  }
  return parts;
}

function decodeQr(png: Buffer): string | undefined {
  try {
    const image = PNG.sync.read(png);
    return jsQR(new Uint8ClampedArray(image.data), image.width, image.height)?.data;
  } catch {
    return undefined;
  }
}

export async function startTelegram(): Promise<Telegram> {
  const server = new TelegramServer({ port: await freePort(), host: '127.0.0.1', storeTimeout: 3600 });
  await server.start();
  const photos: SentPhoto[] = [];
  const calls: BotCall[] = [];
  const deleted = new Set<number>();
  let photoMessageId = 1_000_000;
  const front: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (req.url?.endsWith('/sendPhoto')) {
        const parts = multipart(body, String(req.headers['content-type']));
        const chatId = Number(parts.get('chat_id')?.toString());
        // grammY sends a file as its own part, named by the field's "attach://<name>".
        const field = parts.get('photo')?.toString() ?? '';
        const photo = field.startsWith('attach://') ? parts.get(field.slice('attach://'.length)) : parts.get('photo');
        photos.push({ chatId, caption: parts.get('caption')?.toString() ?? '', qr: photo ? decodeQr(photo) : undefined });
        calls.push({ time: Date.now(), method: 'sendPhoto', chatId, messageId: undefined, text: `[photo] ${parts.get('caption')?.toString() ?? ''}`, buttons: [] });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: true, result: { message_id: photoMessageId++, date: Math.floor(Date.now() / 1000), chat: { id: chatId, type: 'private' }, photo: [] } }));
        return;
      }
      const method = req.url?.split('/').at(-1) ?? '';
      if (['sendMessage', 'editMessageText'].includes(method) && String(req.headers['content-type']).includes('json')) {
        const call = JSON.parse(body.toString()) as { chat_id: number; message_id?: number; text: string; reply_markup?: { inline_keyboard?: Array<Array<{ text: string }>> } };
        if (method === 'editMessageText' && call.message_id !== undefined && deleted.has(call.message_id)) {
          res.writeHead(400, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ ok: false, error_code: 400, description: 'Bad Request: message to edit not found' }));
          return;
        }
        calls.push({
          time: Date.now(),
          method,
          chatId: Number(call.chat_id),
          messageId: call.message_id,
          text: call.text,
          buttons: (call.reply_markup?.inline_keyboard ?? []).map((row) => row.map((b) => b.text)),
        });
      }
      fetch(`${server.config.apiURL}${req.url}`, { method: req.method, headers: { 'content-type': String(req.headers['content-type'] ?? 'application/json') }, ...(req.method === 'GET' ? {} : { body }) })
        .then(async (answer) => {
          res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
          res.end(Buffer.from(await answer.arrayBuffer()));
        })
        .catch(() => res.writeHead(502).end());
    });
  });
  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
  const apiRoot = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;
  return {
    apiRoot,
    server,
    photos,
    deleted,
    calls,
    user: (opts) => new TelegramUser(server, calls, opts),
    async close() {
      await new Promise<void>((resolve) => {
        front.close(() => resolve());
        front.closeAllConnections();
      });
      await server.stop();
    },
  };
}

/** One person in a private chat with the bot (chat id = user id, as Telegram does). */
export class TelegramUser {
  readonly id: number;
  private readonly from: Record<string, unknown>;
  private readonly client;

  constructor(
    private readonly server: EmulatorServer,
    private readonly calls: readonly BotCall[],
    opts: { id: number; firstName?: string; languageCode?: string },
  ) {
    this.id = opts.id;
    this.client = server.getClient(BOT_TOKEN, { userId: opts.id, chatId: opts.id, firstName: opts.firstName ?? 'Alice', userName: `user${opts.id}`, type: 'private' });
    this.from = { id: opts.id, first_name: opts.firstName ?? 'Alice', username: `user${opts.id}`, is_bot: false, ...(opts.languageCode ? { language_code: opts.languageCode } : {}) };
  }

  /** Types a message, or a command when it starts with /. */
  async send(text: string): Promise<void> {
    if (text.startsWith('/')) await this.server.addUserCommand(this.client.makeCommand(text, { from: this.from } as never));
    else await this.server.addUserMessage(this.client.makeMessage(text, { from: this.from } as never));
  }

  /** Presses a button of one of the bot's messages. */
  async press(message: BotMessage, label: string | RegExp): Promise<void> {
    const button = message.buttons.find((b) => (typeof label === 'string' ? b.text.includes(label) : label.test(b.text)));
    if (!button) throw new Error(`no button ${String(label)} on message ${message.messageId}: ${message.buttons.map((b) => b.text).join(' | ')}`);
    this.dataLabels.set(button.data, button.text);
    await this.pressData(message.messageId, button.data);
  }

  async pressData(messageId: number, data: string): Promise<void> {
    await this.server.addUserCallback(this.client.makeCallbackQuery(data, { from: this.from, message: { message_id: messageId, from: this.from, chat: { id: this.id } } } as never));
  }

  /** The bot's messages in this chat as they stand now (edits applied), oldest first. */
  messages(): BotMessage[] {
    return this.server.storage.botMessages
      .filter((m: { message: { chat_id: unknown } }) => Number(m.message.chat_id) === this.id)
      .map((m: EmulatorServer['storage']['botMessages'][number]) => {
        const markup = m.message.reply_markup as { inline_keyboard?: Array<Array<{ text: string; callback_data?: string }>> } | undefined;
        return {
          messageId: m.messageId,
          chatId: this.id,
          text: String(m.message.text),
          buttons: (markup?.inline_keyboard ?? []).flat().map((b) => ({ text: b.text, data: b.callback_data ?? '' })),
        };
      });
  }

  /** Waits until one of the bot's messages matches, and returns it (the newest such). */
  async waitFor(match: (m: BotMessage) => boolean, what: string, timeoutMs = 20_000): Promise<BotMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages().filter(match).at(-1);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`the bot never showed ${what}; it said:\n${this.transcript()}`);
      await sleep(50);
    }
  }

  /** Waits for a message containing `text` (a string or a pattern). */
  waitForText(text: string | RegExp, timeoutMs?: number): Promise<BotMessage> {
    return this.waitFor((m) => (typeof text === 'string' ? m.text.includes(text) : text.test(m.text)), JSON.stringify(String(text)), timeoutMs);
  }

  /**
   * The conversation so far: what the user sent (as the emulator recorded
   * it) and each message the bot sent or edited, as it read at that moment.
   */
  transcript(): string {
    const lines: Array<{ time: number; line: string }> = [];
    for (const m of this.server.storage.userMessages) {
      const u = m as unknown as { time: number; message?: { text?: string; chat?: { id: number } }; callbackQuery?: { data: string; message: { chat: { id: number } } } };
      const chat = u.callbackQuery?.message.chat.id ?? u.message?.chat?.id;
      if (chat !== this.id) continue;
      lines.push({ time: u.time, line: u.callbackQuery ? `> taps [${this.buttonText(u.callbackQuery.data)}]` : `> ${u.message?.text}` });
    }
    for (const c of this.calls) {
      if (c.chatId !== this.id) continue;
      const head = c.method === 'editMessageText' ? 'bot (edits its message):' : 'bot:';
      const buttons = c.buttons.map((row) => row.map((b) => `[${b}]`).join(' '));
      lines.push({ time: c.time, line: [`${head} ${c.text}`.replace(/\n/g, '\n    '), ...buttons.map((b) => `    ${b}`)].join('\n') });
    }
    return lines
      .sort((a, b) => a.time - b.time)
      .map((l) => l.line)
      .join('\n');
  }

  /** The label of a button the user pressed (its data when pressed by data alone). */
  private buttonText(data: string): string {
    return this.dataLabels.get(data) ?? data;
  }

  /** Labels of the buttons pressed, remembered at the time of pressing (a message edited later loses them). */
  private readonly dataLabels = new Map<string, string>();
}
