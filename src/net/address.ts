/**
 * IP address arithmetic: the network block an address belongs to, and
 * matching addresses against CIDR lists. Used for per-block connection
 * limits, connection classes and cloaks.
 */
import { BlockList, isIP } from 'node:net';

/** The address as 16 (IPv6) or 4 (IPv4) bytes; null if it is not an IP address. */
export function addressBytes(ip: string): Uint8Array | null {
  const family = isIP(ip);
  if (family === 4) return Uint8Array.from(ip.split('.').map(Number));
  if (family !== 6) return null;
  let text = ip;
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const b = (v4[1] as string).split('.').map(Number) as [number, number, number, number];
    text = text.slice(0, -(v4[1] as string).length) + `${((b[0] << 8) | b[1]).toString(16)}:${((b[2] << 8) | b[3]).toString(16)}`;
  }
  const [head = '', tail] = text.split('::') as [string, string | undefined];
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const missing = 8 - headGroups.length - tailGroups.length;
  const groups = tail === undefined ? headGroups : [...headGroups, ...Array<string>(missing).fill('0'), ...tailGroups];
  const bytes = new Uint8Array(16);
  groups.forEach((group, k) => {
    const value = parseInt(group, 16);
    bytes[k * 2] = value >> 8;
    bytes[k * 2 + 1] = value & 0xff;
  });
  return bytes;
}

/** "a.b.c.0/24" or "2001:db8:0:0:0:0:0:0/64": the block of `ip` at the family's prefix length. */
export function networkOf(ip: string, ipv4Prefix: number, ipv6Prefix: number): string {
  const bytes = addressBytes(ip);
  if (bytes === null) return ip;
  const v4 = bytes.length === 4;
  const prefix = v4 ? ipv4Prefix : ipv6Prefix;
  const masked = bytes.map((byte, k) => {
    const bits = Math.max(0, Math.min(8, prefix - k * 8));
    return bits === 8 ? byte : byte & ((0xff << (8 - bits)) & 0xff);
  });
  if (v4) return `${masked.join('.')}/${prefix}`;
  const groups: string[] = [];
  for (let k = 0; k < 16; k += 2) groups.push((((masked[k] as number) << 8) | (masked[k + 1] as number)).toString(16));
  return `${groups.join(':')}/${prefix}`;
}

/** A matcher for a list of addresses and CIDR blocks, where "*" matches everything. */
export function addressMatcher(entries: readonly string[]): (ip: string) => boolean {
  if (entries.includes('*')) return () => true;
  const list = new BlockList();
  for (const entry of entries) {
    const [address, prefix] = entry.split('/') as [string, string | undefined];
    const type = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(prefix), type);
  }
  return (ip) => {
    const family = isIP(ip);
    return family !== 0 && list.check(ip, family === 6 ? 'ipv6' : 'ipv4');
  };
}
