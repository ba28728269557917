import pino, { type Logger } from 'pino';
import type { LogLevel } from '../config.js';

export type { Logger };

/**
 * pino JSON logs. Anything that could carry a credential is redacted by
 * name, so a careless `log.info({ req })` or `{ config }` cannot leak one:
 *   adminToken, apiKeys, privateKey   at the top or one level down (`{ config }`)
 *   bot.<secret>                      at the top or one level down, for the
 *                                     Telegram bot's token, Joule key and token,
 *                                     and webhook secrets
 *   headers / req.headers             authorization and x-api-key
 */
const SECRET_NAMES = new Set(['adminToken', 'apiKeys', 'privateKey']);
const BOT_SECRET_NAMES = new Set(['token', 'jouleKey', 'jouleAdminToken', 'jouleWebhookSecret', 'webhookSecret']);
const HEADER_SECRET_NAMES = new Set(['authorization', 'x-api-key']);
const CENSOR = '[redacted]';

type Fields = Record<string, unknown>;
const isObject = (v: unknown): v is Fields => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `o` with the named keys censored: a copy when one is there, `o` itself otherwise (never changed in place). */
function censorNamed(o: Fields, names: ReadonlySet<string>, nested?: (key: string, value: Fields) => Fields): Fields {
  let out: Fields | undefined;
  for (const key in o) {
    const value = o[key];
    let next = value;
    if (names.has(key) && value !== undefined) next = CENSOR;
    else if (nested !== undefined && isObject(value)) next = nested(key, value);
    if (next !== value) (out ??= { ...o })[key] = next;
  }
  return out ?? o;
}

const botSecrets = (key: string, value: Fields) => (key === 'bot' ? censorNamed(value, BOT_SECRET_NAMES) : value);
const headerSecrets = (key: string, value: Fields) => (key === 'headers' ? censorNamed(value, HEADER_SECRET_NAMES) : value);

const HEADERS_AND_SECRETS = new Set([...HEADER_SECRET_NAMES, ...SECRET_NAMES]);
const BOT_AND_SECRETS = new Set([...BOT_SECRET_NAMES, ...SECRET_NAMES]);

/** One level down: a secret name anywhere, and by what holds it, a request's headers or a bot's secrets. */
function oneLevelDown(key: string, value: Fields): Fields {
  if (key === 'headers') return censorNamed(value, HEADERS_AND_SECRETS);
  if (key === 'req') return censorNamed(value, SECRET_NAMES, headerSecrets);
  if (key === 'bot') return censorNamed(value, BOT_AND_SECRETS);
  return censorNamed(value, SECRET_NAMES, botSecrets);
}

/**
 * What a log line's own fields become. A line of plain values (nearly all of
 * them: ids, amounts, statuses) costs one pass over its keys; pino's
 * path-based redaction cloned and walked every line, about a twentieth of the
 * API's CPU under load.
 */
export function redactSecrets(fields: Fields): Fields {
  return censorNamed(fields, SECRET_NAMES, oneLevelDown);
}

/** How long a line may be held before it is written, and how much may be held. */
const HOLD_MS = 10;
const HOLD_CHARS = 64 * 1024;
/** pino's number for warn: a warning or worse is written at once. */
const WARN = 40;

/**
 * Log lines held briefly and written together. Written at the end of each
 * turn of the event loop, a busy API made some 1,200 writes a second, about
 * 30 orders' lines each; held, about 140. Lines go out:
 *  - HOLD_MS after the first one held, or as soon as 64 KiB are held;
 *  - at once for a warning or worse, with whatever is held before it, so the
 *    last words before a crash are not left in memory;
 *  - when the process exits, however it exits short of being killed.
 * Writes stay synchronous: a line never waits behind another turn's write.
 */
const live = new Set<WeakRef<HeldLines>>();
// One listener for every destination (tests build many): what each holds is written at exit.
process.on('exit', () => {
  for (const ref of live) ref.deref()?.flushSync();
});

class HeldLines implements pino.DestinationStream {
  // pino then tells each line's level (lastLevel) before writing it.
  readonly [pino.symbols.needsMetadataGsym] = true;
  lastLevel = 0;
  private held: string[] = [];
  private heldChars = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly whenHeldLongEnough = () => this.flushSync();

  constructor(private readonly out: pino.DestinationStream) {
    live.add(new WeakRef(this));
  }

  write(line: string): void {
    this.held.push(line);
    this.heldChars += line.length;
    if (this.lastLevel >= WARN || this.heldChars >= HOLD_CHARS) this.flushSync();
    // Unreferenced: held lines never keep the process up; exit writes them.
    else if (this.timer === undefined) this.timer = setTimeout(this.whenHeldLongEnough, HOLD_MS).unref();
  }

  /** pino's `logger.flush(cb)`: what is held is written, then `cb` is called. */
  flush(cb?: (err?: Error) => void): void {
    this.flushSync();
    cb?.();
  }

  flushSync(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.held.length === 0) return;
    const text = this.held.length === 1 ? this.held[0]! : this.held.join('');
    this.held = [];
    this.heldChars = 0;
    this.out.write(text);
  }
}

/** Where log lines go: a file descriptor (1, stdout, by default) or a file path. */
export function logDestination(dest: number | string = 1): pino.DestinationStream {
  // sonic-boom in sync mode: it retries a full pipe (EAGAIN) and partial writes itself.
  return new HeldLines(pino.destination({ dest, sync: true }));
}

export function createLogger(level: LogLevel, destination: pino.DestinationStream = logDestination()): Logger {
  return pino({ level, base: { service: 'joule' }, formatters: { log: redactSecrets } }, destination);
}
