import pino, { type Logger } from 'pino';
import type { LogLevel } from '../config.js';

export type { Logger };

/**
 * pino JSON logs. Anything that could carry a credential is redacted by path,
 * so a careless `log.info({ req })` or `{ config }` cannot leak one.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'headers.authorization',
  'headers["x-api-key"]',
  'adminToken',
  'apiKeys',
  '*.adminToken',
  '*.apiKeys',
  'privateKey',
  '*.privateKey',
  // The Telegram bot's secrets (config.bot): its token, its Joule key and token, the webhook secrets.
  'bot.token',
  'bot.jouleKey',
  'bot.jouleAdminToken',
  'bot.jouleWebhookSecret',
  'bot.webhookSecret',
  '*.bot.token',
  '*.bot.jouleKey',
  '*.bot.jouleAdminToken',
  '*.bot.jouleWebhookSecret',
  '*.bot.webhookSecret',
];

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
  return pino({ level, base: { service: 'joule' }, redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, destination);
}
