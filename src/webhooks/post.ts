import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { Agent as HttpAgent, request as httpRequest, type RequestOptions } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { isPrivateAddress } from '../domain/webhook-url.js';

export interface PostResult {
  /** The HTTP status answered; null when none came (timeout, connection refused, a private address). */
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

/** Answers read past this are dropped: a receiver's body is not kept, only its status. */
const MAX_ANSWER_BYTES = 64 * 1024;

class PrivateAddressError extends Error {}

/**
 * A DNS lookup that refuses private addresses: the connection is made to
 * the very address checked here, so a name that resolves to a public
 * address when the URL is set and to a private one later (DNS rebinding)
 * cannot reach the operator's own network.
 */
function publicOnlyLookup(): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, '', 4);
      const refused = addresses.find((a) => isPrivateAddress(a.address));
      if (refused) return callback(new PrivateAddressError(`${hostname} resolves to a private address (${refused.address})`), '', 4);
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      const first = addresses[0]!;
      callback(null, first.address, first.family);
    });
  };
}

/**
 * The webhooks' own connection pools, kept alive. Node's global agent pools
 * the connections every other client of the process made (TronWeb's to the
 * node, say) by host and port alone, and a request sent on one of them is
 * never looked up: a URL naming the node's private host and port would reach
 * it on the worker's own connection, past publicOnlyLookup. A connection in
 * these pools was made for a webhook, to an address its lookup checked; one
 * pair for the process's setting, so that no connection made unchecked is
 * ever taken for a checked one.
 */
const AGENTS = {
  checked: { 'http:': new HttpAgent({ keepAlive: true }), 'https:': new HttpsAgent({ keepAlive: true }) },
  unchecked: { 'http:': new HttpAgent({ keepAlive: true }), 'https:': new HttpsAgent({ keepAlive: true }) },
};

/**
 * POSTs a webhook body: no redirects followed, the whole exchange within
 * `timeoutMs`, the answer's body read and dropped. Never throws: every
 * outcome is a result for the delivery log.
 */
export function postWebhook(url: string, body: string, headers: Record<string, string>, opts: { timeoutMs: number; allowPrivate: boolean }): Promise<PostResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  return new Promise((resolve) => {
    let done = false;
    // Declared before finish: the refusals below finish before any request (and timer) exists.
    let timer: NodeJS.Timeout | undefined;
    const finish = (statusCode: number | null, error: string | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve({ statusCode, error, durationMs: elapsed() });
    };
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      return finish(null, 'the webhook URL is not a URL');
    }
    const host = target.hostname.replace(/^\[|\]$/g, '');
    if (!opts.allowPrivate && isIP(host) !== 0 && isPrivateAddress(host)) return finish(null, `${host} is a private address`);
    if (target.protocol !== 'http:' && target.protocol !== 'https:') return finish(null, `${target.protocol} is not http: or https:`);
    const options: RequestOptions = {
      method: 'POST',
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      agent: AGENTS[opts.allowPrivate ? 'unchecked' : 'checked'][target.protocol],
      ...(opts.allowPrivate ? {} : { lookup: publicOnlyLookup() }),
    };
    const req = (target.protocol === 'https:' ? httpsRequest : httpRequest)(target, options, (res) => {
      let read = 0;
      res.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read > MAX_ANSWER_BYTES) res.destroy();
      });
      res.on('error', () => finish(res.statusCode ?? null, null));
      res.on('close', () => finish(res.statusCode ?? null, null));
      res.on('end', () => finish(res.statusCode ?? null, null));
    });
    timer = setTimeout(() => {
      finish(null, `no answer within ${opts.timeoutMs} ms`);
      req.destroy();
    }, opts.timeoutMs);
    req.on('error', (err) => finish(null, err instanceof PrivateAddressError ? err.message : `${(err as NodeJS.ErrnoException).code ?? 'error'}: ${err.message}`));
    req.end(body);
  });
}
