import { BlockList, isIP } from 'node:net';

/**
 * Where webhooks may be sent. A webhook URL is chosen by whoever holds the
 * admin token, but a request from inside the operator's network to its own
 * loopback, private or link-local addresses (a database, a cloud metadata
 * service at 169.254.169.254) is refused unless WEBHOOK_ALLOW_PRIVATE=true:
 * the URL's literal address when it is set, and every address its name
 * resolves to at each delivery (a name may resolve elsewhere later).
 */
const PRIVATE = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const) {
  PRIVATE.addSubnet(net, bits, 'ipv4');
}
for (const [net, bits] of [
  ['::', 128], // unspecified
  ['::1', 128],
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['ff00::', 8], // multicast
] as const) {
  PRIVATE.addSubnet(net, bits, 'ipv6');
}

/** Whether an IP address (v4, v6, or v4 mapped into v6) is loopback, private, link-local or otherwise not on the public internet. */
export function isPrivateAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const family = isIP(bare);
  if (family === 0) return true;
  if (family === 4) return PRIVATE.check(bare, 'ipv4');
  // BlockList also checks an IPv4-mapped address (::ffff:a.b.c.d) against the IPv4 rules.
  return PRIVATE.check(bare, 'ipv6');
}

export const WEBHOOK_URL_MAX_LENGTH = 2048;

/**
 * Why a URL may not be a webhook URL, or undefined when it may: http or
 * https, no credentials, and (unless private addresses are allowed) not a
 * literal private address nor a name for this machine.
 */
export function webhookUrlRefusal(raw: string, allowPrivate: boolean): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'is not a URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an http or https URL';
  if (url.username !== '' || url.password !== '') return 'must not carry a user name or password';
  if (url.hash !== '') return 'must not have a fragment (#…)';
  if (allowPrivate) return undefined;
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (isIP(host) !== 0) return isPrivateAddress(host) ? `points at a loopback or private address (${host}); set WEBHOOK_ALLOW_PRIVATE=true to allow that` : undefined;
  if (host === 'localhost' || host.endsWith('.localhost') || !host.includes('.')) {
    return `names this machine or the local network (${host}); set WEBHOOK_ALLOW_PRIVATE=true to allow that`;
  }
  return undefined;
}
