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
  ['64:ff9b:1::', 48], // NAT64 for a local network's own use (RFC 8215)
] as const) {
  PRIVATE.addSubnet(net, bits, 'ipv6');
}

/** An IPv6 address's 16 bytes (the text already checked by isIP). */
function ipv6Bytes(text: string): Uint8Array {
  const bytes = new Uint8Array(16);
  let groups = text;
  // A trailing dotted quad (::ffff:1.2.3.4, 64:ff9b::1.2.3.4) is the last two groups.
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (quad) {
    const [a, b, c, d] = quad.slice(1).map(Number) as [number, number, number, number];
    groups = `${text.slice(0, quad.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = groups.split('::') as [string, string | undefined];
  const parse = (part: string | undefined) => (part ? part.split(':').map((g) => parseInt(g, 16)) : []);
  const front = parse(head);
  const back = parse(tail);
  const all = [...front, ...new Array<number>(8 - front.length - back.length).fill(0), ...back];
  all.forEach((g, i) => {
    bytes[2 * i] = g >> 8;
    bytes[2 * i + 1] = g & 0xff;
  });
  return bytes;
}

const v4 = (b: Uint8Array, at: number, invert = false) =>
  Array.from(b.subarray(at, at + 4), (x) => (invert ? ~x & 0xff : x)).join('.');

/**
 * The IPv4 addresses an IPv6 address carries to an IPv4 host, each checked
 * against the IPv4 rules: a prefix of these reaches public hosts as well as
 * private ones, so it cannot be refused whole. NAT64's well-known prefix
 * (64:ff9b::/96, RFC 6052) and the IPv4-translated form (::ffff:0:0:0/96,
 * RFC 2765) end with the address; 6to4 (2002::/16, RFC 3056) puts it after
 * the prefix; Teredo (2001::/32, RFC 4380) carries its server's, and its
 * client's inverted at the end; the deprecated IPv4-compatible form
 * (::/96) ends with it. (IPv4-mapped addresses, ::ffff:0:0/96, BlockList
 * checks itself.)
 */
function embeddedIpv4(b: Uint8Array): string[] {
  const zeros = (from: number, to: number) => b.subarray(from, to).every((x) => x === 0);
  const word = (at: number) => (b[at]! << 8) | b[at + 1]!;
  if (word(0) === 0x64 && word(2) === 0xff9b && zeros(4, 12)) return [v4(b, 12)];
  if (zeros(0, 8) && word(8) === 0xffff && word(10) === 0) return [v4(b, 12)];
  if (word(0) === 0x2002) return [v4(b, 2)];
  if (word(0) === 0x2001 && word(2) === 0) return [v4(b, 4), v4(b, 12, true)];
  if (zeros(0, 12)) return [v4(b, 12)];
  return [];
}

/** Whether an IP address (v4, v6, or v4 carried in v6) is loopback, private, link-local or otherwise not on the public internet. */
export function isPrivateAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const family = isIP(bare);
  if (family === 0) return true;
  if (family === 4) return PRIVATE.check(bare, 'ipv4');
  // BlockList also checks an IPv4-mapped address (::ffff:a.b.c.d) against the IPv4 rules.
  if (PRIVATE.check(bare, 'ipv6')) return true;
  return embeddedIpv4(ipv6Bytes(bare)).some((inner) => PRIVATE.check(inner, 'ipv4'));
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
