// One HTTP port for /wallet/*, /walletsolidity/* and the /devnet/* admin API.
// Plain node:http keeps the broadcast path short (thousands per second) and
// lets the hang fault hold a socket without a framework in the way.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { AdminError, handleAdmin } from './admin-api.js';
import type { DevnetNode } from './devnet-node.js';
import type { ResolvedGenesis } from './genesis.js';
import { toWireJson } from './json-wire.js';
import { API_KEY_HEADER, rateLimitClient, type RateLimiter } from './rate-limit.js';
import { MalformedTransactionError } from './transaction-codec.js';
import { BadRequest, walletHandler } from './wallet-api.js';

/** 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6 (::ffff:127.0.0.1). */
export function isLoopbackPeer(address: string | undefined): boolean {
  if (address === undefined) return false;
  const a = address.replace(/^::ffff:/, '');
  return a === '::1' || /^127\./.test(a);
}

export interface ServerDeps {
  node: DevnetNode;
  genesis: ResolvedGenesis;
  blockIntervalMs: number;
  profile: string;
  /** TronGrid's request limits on /wallet and /walletsolidity; undefined: none. */
  rateLimiter?: RateLimiter | undefined;
}

export interface DevnetServer {
  server: Server;
  /** Ends hung requests and closes every connection. */
  close(): Promise<void>;
}

const MAX_BODY = 4 * 1024 * 1024;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new Error('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: string): void {
  if (res.writableEnded || res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function queryParams(url: URL): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const [key, value] of url.searchParams) params[key] = value;
  return params;
}

export function createDevnetServer(deps: ServerDeps): DevnetServer {
  const hangs = new Set<{ timer: NodeJS.Timeout; release: () => void }>();
  const { node } = deps;

  function hang(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          hangs.delete(entry);
          resolve();
        }, ms),
        release: resolve,
      };
      hangs.add(entry);
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://devnet');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const method = (req.method ?? 'GET').toUpperCase();
    if (path.startsWith('/wallet/') || path.startsWith('/walletsolidity/')) {
      // TronGrid stands in front of the node: a refused request never reaches it, nor uses up a fault.
      const refusal = deps.rateLimiter?.check(rateLimitClient(req.headers[API_KEY_HEADER], req.socket.remoteAddress));
      if (refusal) {
        node.calls.countRateLimited();
        send(res, refusal.status, toWireJson(refusal.body));
        return;
      }
      node.calls.count(path);
    }
    const text = method === 'POST' ? await readBody(req) : '';
    let body: Record<string, unknown> = {};
    if (text.trim() !== '') {
      try {
        const parsed: unknown = JSON.parse(text);
        if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) body = parsed as Record<string, unknown>;
      } catch (err) {
        send(res, 200, toWireJson({ Error: `class com.alibaba.fastjson.JSONException : ${(err as Error).message}` }));
        return;
      }
    }
    const params = { ...queryParams(url), ...body };

    if (path.startsWith('/devnet/')) {
      // The admin API hands out keys and injects faults: only this machine may use it,
      // whatever address the node itself listens on.
      if (!isLoopbackPeer(req.socket.remoteAddress)) {
        send(res, 403, toWireJson({ error: 'the /devnet admin API answers loopback clients only' }));
        return;
      }
      try {
        const result = handleAdmin({
          method,
          path: path.slice('/devnet'.length),
          params,
          node,
          genesis: deps.genesis,
          blockIntervalMs: deps.blockIntervalMs,
          profile: deps.profile,
          rateLimiter: deps.rateLimiter,
        });
        send(res, 200, toWireJson(result));
      } catch (err) {
        const status = err instanceof AdminError ? err.status : 500;
        send(res, status, toWireJson({ error: (err as Error).message }));
      }
      return;
    }

    const hangMs = node.faults.takeHang(path);
    if (hangMs !== null) {
      await hang(hangMs);
      if (res.destroyed) return;
    }
    const injected = node.faults.takeHttpError(path, 'before');
    if (injected !== null) {
      send(res, injected, toWireJson({ Error: `devnet injected HTTP ${injected}` }));
      return;
    }

    const match = /^\/(wallet|walletsolidity)\/([A-Za-z0-9]+)$/.exec(path);
    const solidity = match?.[1] === 'walletsolidity';
    const handler = match === null ? undefined : walletHandler(match[2]!, solidity);
    if (handler === undefined) {
      send(res, 404, toWireJson({ Error: `no such endpoint ${path}` }));
      return;
    }
    if (node.faults.takeEmptyRead(path)) {
      send(res, 200, '{}');
      return;
    }
    const visible = params.visible === true || params.visible === 'true';
    const int64AsString = params.int64_as_string === true || params.int64_as_string === 'true';
    let payload: string;
    try {
      const view = solidity ? node.state.solid() : node.state.latest();
      payload = toWireJson(await handler({ params, view, solidity, node, visible }), int64AsString);
    } catch (err) {
      if (err instanceof BadRequest || err instanceof MalformedTransactionError) {
        payload = toWireJson({ Error: err.message });
      } else {
        node.log(`error on ${path}: ${(err as Error).stack ?? String(err)}`);
        payload = toWireJson({ Error: `class java.lang.Exception : ${(err as Error).message}` });
      }
    }
    const after = node.faults.takeHttpError(path, 'after');
    if (after !== null) {
      send(res, after, toWireJson({ Error: `devnet injected HTTP ${after}` }));
      return;
    }
    send(res, 200, payload);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      node.log(`request failed: ${String(err)}`);
      send(res, 500, toWireJson({ Error: String(err) }));
    });
  });
  server.keepAliveTimeout = 5_000;

  return {
    server,
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const entry of hangs) {
          clearTimeout(entry.timer);
          entry.release();
        }
        hangs.clear();
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
