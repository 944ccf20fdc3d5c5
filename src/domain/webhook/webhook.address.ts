/**
 * Where a webhook may be sent. Outside the sandbox only https, and never to loopback, private,
 * link-local or otherwise special addresses (a receiver URL must not become a way into our own
 * network). The URL text is checked when an endpoint is created; the address a host name resolves
 * to is checked again on every connection (src/transport/webhook-sender.ts), since DNS can change.
 */
import { BlockList, isIP } from 'node:net';
import { FieldError, type InvalidField } from '../shared/errors.ts';

const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24],
  ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) blocked.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128], ['::1', 128], ['64:ff9b::', 96], ['100::', 64], ['2001:db8::', 32], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8],
] as const) blocked.addSubnet(net, prefix, 'ipv6');

/** True for loopback, private, link-local, carrier-grade NAT, multicast, documentation and reserved addresses. */
export function isPrivateAddress(address: string): boolean {
  const ip = address.replace(/^\[|\]$/g, '');
  const family = isIP(ip);
  if (family === 4) return blocked.check(ip, 'ipv4');
  if (family !== 6) return false;
  // An IPv4-mapped IPv6 address (::ffff:10.0.0.1) is the IPv4 address in disguise.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return blocked.check(mapped[1]!, 'ipv4');
  if (/^::ffff:/i.test(ip)) return true;
  return blocked.check(ip, 'ipv6');
}

const MAX_URL_LENGTH = 2048;

/** The violations of a receiver URL (empty when acceptable). */
export function checkEndpointUrl(raw: string, allowPrivate: boolean, fieldName = 'url'): InvalidField[] {
  const reject = (reason: string): InvalidField[] => [{ fieldName, error: FieldError.REGEX, params: { reason } }];
  if (raw.length > MAX_URL_LENGTH) return [{ fieldName, error: FieldError.SIZE, params: { min: 1, max: MAX_URL_LENGTH } }];
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return reject('NOT_A_URL');
  }
  if (url.username || url.password) return reject('CREDENTIALS_IN_URL');
  if (url.protocol !== 'https:' && !(allowPrivate && url.protocol === 'http:')) return reject('HTTPS_REQUIRED');
  if (allowPrivate) return [];
  const host = url.hostname.toLowerCase().replace(/\.$/, '');
  if (host === 'localhost' || host.endsWith('.localhost') || isPrivateAddress(host)) return reject('PRIVATE_ADDRESS');
  // A bare number like https://2130706433/ is 127.0.0.1 to the URL parser already; anything without a dot is not public.
  if (!isIP(host.replace(/^\[|\]$/g, '')) && !host.includes('.')) return reject('PRIVATE_ADDRESS');
  return [];
}
