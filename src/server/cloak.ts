/**
 * Cloaked hosts: other users see a keyed hash of a client's address, never
 * the address. The cloak is stable for an address (while the secret is),
 * and its last part is shared by a whole IPv4 /N or IPv6 /N block, so a
 * channel can still ban a block: `*!*@*.1a2b3c4d.ip`.
 */
import { createHmac } from 'node:crypto';
import { networkOf } from '../net/address.js';

export interface CloakOptions {
  secret: string;
  ipv4Prefix: number;
  ipv6Prefix: number;
  suffix: string;
}

function digest(secret: string, text: string): string {
  return createHmac('sha256', secret).update(text).digest('hex').slice(0, 10);
}

/** e.g. 203.0.113.7 -> "5c1e0a9f3b.8d2f61c0aa.ip"; the second part is that of 203.0.113.0/24. */
export function cloakAddress(ip: string, options: CloakOptions): string {
  const block = networkOf(ip, options.ipv4Prefix, options.ipv6Prefix);
  return `${digest(options.secret, ip)}.${digest(options.secret, block)}.${options.suffix}`;
}
