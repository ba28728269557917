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

/**
 * The lines logged in one turn of the event loop, written together at its
 * end: one write for the fifty orders a group commit answers at once, where
 * a write per line cost a system call per line. Still synchronous (a write
 * never waits on another turn), and whatever is held is written when the
 * process exits, however it exits short of being killed.
 */
const live = new Set<WeakRef<LinesOfATurn>>();
// One listener for every destination (tests build many): what each holds is written at exit.
process.on('exit', () => {
  for (const ref of live) ref.deref()?.flushSync();
});

class LinesOfATurn implements pino.DestinationStream {
  private held: string[] = [];
  private scheduled = false;
  private readonly flush = () => this.flushSync();

  constructor(private readonly out: pino.DestinationStream) {
    live.add(new WeakRef(this));
  }

  write(line: string): void {
    this.held.push(line);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }

  flushSync(): void {
    this.scheduled = false;
    if (this.held.length === 0) return;
    const text = this.held.length === 1 ? this.held[0]! : this.held.join('');
    this.held = [];
    this.out.write(text);
  }
}

/** Where log lines go: a file descriptor (1, stdout, by default) or a file path. */
export function logDestination(dest: number | string = 1): pino.DestinationStream {
  // sonic-boom in sync mode: it retries a full pipe (EAGAIN) and partial writes itself.
  return new LinesOfATurn(pino.destination({ dest, sync: true }));
}

export function createLogger(level: LogLevel, destination: pino.DestinationStream = logDestination()): Logger {
  return pino({ level, base: { service: 'joule' }, formatters: { log: redactSecrets } }, destination);
}
