import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  json: any;
  at: number;
  /** What the receiver answered; undefined while it has not (or never, for 'hang'). */
  status?: number;
}

/** What the receiver does with a request: answer this status, or never answer ('hang'). */
export type Behaviour = (r: Received, n: number) => number | 'hang';

/** A real HTTP receiver on 127.0.0.1 that records every request. */
export interface Receiver {
  url: string;
  received: Received[];
  /**
   * Stops listening: from now on connections to its port are refused. An
   * answer being written is finished first, then every connection is cut
   * (kept-alive ones too). May be called from a behaviour.
   */
  down(): Promise<void>;
  /** Listens again, on the same port. */
  up(): Promise<void>;
  /** Whether it listens now. */
  readonly listening: boolean;
  close(): Promise<void>;
}

/**
 * A behaviour that answers `status` to the first `n` deliveries of each
 * event (told apart by their Joule-Event-Id), and `then` to the rest.
 */
export function failFirst(n: number, status = 503, then: Behaviour = () => 200): Behaviour {
  const seen = new Map<string, number>();
  return (r, count) => {
    const id = String(r.headers['joule-event-id']);
    const k = (seen.get(id) ?? 0) + 1;
    seen.set(id, k);
    return k <= n ? status : then(r, count);
  };
}

export async function startReceiver(behaviour: Behaviour = () => 200): Promise<Receiver> {
  const received: Received[] = [];
  let listening = false;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const r: Received = { headers: req.headers, body, json: JSON.parse(body), at: Date.now() };
      received.push(r);
      const answer = behaviour(r, received.length);
      if (answer === 'hang') return;
      r.status = answer;
      // Gone down meanwhile: this answer is the connection's last.
      if (!listening) res.setHeader('connection', 'close');
      res.writeHead(answer, { 'content-type': 'text/plain' }).end('ok', () => {
        if (!listening) req.socket.destroy();
      });
    });
  });
  const listen = (port: number) =>
    new Promise<void>((ok, fail) => {
      server.once('error', fail);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', fail);
        listening = true;
        ok();
      });
    });
  await listen(0);
  const port = (server.address() as { port: number }).port;
  const down = () =>
    new Promise<void>((ok) => {
      if (!listening) return ok();
      listening = false;
      // Refuses new connections now; resolves once the last open one is gone.
      server.close(() => ok());
      // Idle kept-alive connections go at once; one with an answer being written goes when it is written.
      server.closeIdleConnections();
    });
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    down,
    up: () => (listening ? Promise.resolve() : listen(port)),
    get listening() {
      return listening;
    },
    close: async () => {
      if (!listening) return;
      listening = false;
      await new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      });
    },
  };
}

/** The verification snippet of the README, as a reader would copy it: the test checks signatures with it. */
export async function readmeVerifier(): Promise<(secret: string, header: string, rawBody: string, toleranceSeconds?: number) => boolean> {
  const readme = readFileSync(resolve(import.meta.dirname, '../../README.md'), 'utf8');
  const snippet = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]!).find((code) => code.includes('export function verifyJouleSignature'));
  if (snippet === undefined) throw new Error('the README has no verifyJouleSignature snippet');
  const dir = mkdtempSync(join(tmpdir(), 'joule-verify-'));
  const file = join(dir, 'verify.mjs');
  writeFileSync(file, snippet);
  try {
    return ((await import(pathToFileURL(file).href)) as { verifyJouleSignature: any }).verifyJouleSignature;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
