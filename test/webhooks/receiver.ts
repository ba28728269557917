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
}

/** What the receiver does with a request: answer this status, or never answer ('hang'). */
export type Behaviour = (r: Received, n: number) => number | 'hang';

/** A real HTTP receiver on 127.0.0.1 that records every request. */
export interface Receiver {
  url: string;
  received: Received[];
  close(): Promise<void>;
}

export async function startReceiver(behaviour: Behaviour = () => 200): Promise<Receiver> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const r: Received = { headers: req.headers, body, json: JSON.parse(body), at: Date.now() };
      received.push(r);
      const answer = behaviour(r, received.length);
      if (answer === 'hang') return;
      res.writeHead(answer, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
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
