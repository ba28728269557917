// A webhook receiver as a tenant would write one: a plain node:http server
// that reads the raw body, checks Joule-Signature with the README's own
// snippet (extracted from README.md, as the webhook tests do) before it
// believes a word, answers 200 (401 to a bad signature) and keeps the first
// arrival of each event id (delivery is at least once: repeats are counted,
// not kept). Arrival times are epoch milliseconds with a fraction, taken
// when the whole body has been read.
import { createServer, type Server } from 'node:http';
import { readmeVerifier } from '../../test/webhooks/receiver.js';

export interface Arrival {
  /** Epoch ms (with a fraction) when the whole body had been read. */
  at: number;
  /** The body exactly as received. */
  body: string;
}

export interface WebhookReceiver {
  /** Where to point a tenant's webhook_url. */
  url: string;
  /** The signing secret requests are checked with; set it once the tenant has one. */
  secret: string;
  /** Each event id's first arrival. */
  readonly arrivals: Map<string, Arrival>;
  /** Requests for an event id already received. */
  readonly duplicates: number;
  /** Requests refused for their signature (401). */
  readonly refused: number;
  /** Resolves when `n` distinct events have arrived; false when `timeoutMs` passed first. */
  waitFor(n: number, timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
}

const nowMs = () => performance.timeOrigin + performance.now();

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const verify = await readmeVerifier();
  const arrivals = new Map<string, Arrival>();
  let duplicates = 0;
  let refused = 0;
  const state = { secret: '' };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = nowMs();
      const body = Buffer.concat(chunks).toString('utf8');
      if (!verify(state.secret, String(req.headers['joule-signature']), body)) {
        refused++;
        res.writeHead(401, { 'content-type': 'text/plain' }).end('bad signature');
        return;
      }
      const { id } = JSON.parse(body) as { id: string };
      if (arrivals.has(id)) duplicates++;
      else arrivals.set(id, { at, body });
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/joule`,
    get secret() {
      return state.secret;
    },
    set secret(s: string) {
      state.secret = s;
    },
    arrivals,
    get duplicates() {
      return duplicates;
    },
    get refused() {
      return refused;
    },
    async waitFor(n, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (arrivals.size < n) {
        if (Date.now() > deadline) return false;
        await new Promise((r) => setTimeout(r, 20));
      }
      return true;
    },
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
