/**
 * Cloaked hosts: a keyed HMAC of the address, stable for the same secret,
 * whose second part is shared by a whole IPv4 /N or IPv6 /N block.
 */
import { describe, expect, it } from 'vitest';
import { cloakAddress, type CloakOptions } from '../../../src/server/cloak.js';

const OPTIONS: CloakOptions = { secret: 'a-test-secret-of-16+', ipv4Prefix: 24, ipv6Prefix: 64, suffix: 'ip' };

function cloak(ip: string, options: Partial<CloakOptions> = {}): string {
  return cloakAddress(ip, { ...OPTIONS, ...options });
}

/** The parts of a cloak: address part, block part, suffix. */
function parts(host: string): [string, string, string] {
  const split = host.split('.');
  expect(split).toHaveLength(3);
  return split as [string, string, string];
}

describe('cloakAddress', () => {
  it('is the same every time for the same secret and address', () => {
    expect(cloak('203.0.113.7')).toBe(cloak('203.0.113.7'));
    expect(cloak('2001:db8::7')).toBe(cloak('2001:db8::7'));
  });

  it('is the same for two spellings of one IPv6 block (the block part is computed on the canonical block)', () => {
    expect(parts(cloak('2001:db8::7'))[1]).toBe(parts(cloak('2001:0db8:0:0:0:0:0:8'))[1]);
  });

  it('is different for another secret, in both parts', () => {
    const [address, block] = parts(cloak('203.0.113.7'));
    const [otherAddress, otherBlock] = parts(cloak('203.0.113.7', { secret: 'another-secret-of-16+' }));
    expect(otherAddress).not.toBe(address);
    expect(otherBlock).not.toBe(block);
  });

  it('is different for another address, even in the same block', () => {
    expect(parts(cloak('203.0.113.7'))[0]).not.toBe(parts(cloak('203.0.113.8'))[0]);
    expect(parts(cloak('2001:db8::7'))[0]).not.toBe(parts(cloak('2001:db8::8'))[0]);
  });

  it('shares the block part within an IPv4 /24 and differs across /24 blocks', () => {
    const a = parts(cloak('198.51.100.1'));
    const b = parts(cloak('198.51.100.254'));
    const c = parts(cloak('198.51.101.1'));
    expect(b[1]).toBe(a[1]);
    expect(c[1]).not.toBe(a[1]);
  });

  it('shares the block part within an IPv6 /64 and differs across /64 blocks', () => {
    const a = parts(cloak('2001:db8:1:2::1'));
    const b = parts(cloak('2001:db8:1:2:ffff:ffff:ffff:ffff'));
    const c = parts(cloak('2001:db8:1:3::1'));
    expect(b[1]).toBe(a[1]);
    expect(c[1]).not.toBe(a[1]);
  });

  it('follows a configured IPv4 prefix such as /16', () => {
    const a = parts(cloak('198.51.100.1', { ipv4Prefix: 16 }));
    const b = parts(cloak('198.51.7.9', { ipv4Prefix: 16 }));
    const c = parts(cloak('198.52.100.1', { ipv4Prefix: 16 }));
    expect(b[1]).toBe(a[1]);
    expect(c[1]).not.toBe(a[1]);
    // The same two addresses are in different /24 blocks.
    expect(parts(cloak('198.51.7.9'))[1]).not.toBe(parts(cloak('198.51.100.1'))[1]);
    // The block part names the prefix too: 198.51.0.0/16 and 198.51.0.0/24 differ.
    expect(parts(cloak('198.51.0.1', { ipv4Prefix: 16 }))[1]).not.toBe(parts(cloak('198.51.0.1'))[1]);
  });

  it('follows a configured IPv6 prefix such as /48', () => {
    const a = parts(cloak('2001:db8:1:2::1', { ipv6Prefix: 48 }));
    const b = parts(cloak('2001:db8:1:ffff::9', { ipv6Prefix: 48 }));
    const c = parts(cloak('2001:db8:2:2::1', { ipv6Prefix: 48 }));
    expect(b[1]).toBe(a[1]);
    expect(c[1]).not.toBe(a[1]);
    expect(parts(cloak('2001:db8:1:ffff::9'))[1]).not.toBe(parts(cloak('2001:db8:1:2::1'))[1]);
  });

  it('does not depend on the IPv6 prefix for an IPv4 address, nor the other way round', () => {
    expect(cloak('198.51.100.1', { ipv6Prefix: 48 })).toBe(cloak('198.51.100.1'));
    expect(cloak('2001:db8::1', { ipv4Prefix: 16 })).toBe(cloak('2001:db8::1'));
  });

  it('is a valid host name of letters, digits and dots ending in the suffix', () => {
    for (const ip of ['203.0.113.7', '0.0.0.0', '::1', '::', '2001:db8::1', '::ffff:192.0.2.1', 'fe80::1:2']) {
      const host = cloak(ip);
      expect(host, ip).toMatch(/^[a-z0-9]+\.[a-z0-9]+\.ip$/);
      expect(host, ip).not.toContain(':');
      expect(host, ip).not.toContain(ip);
    }
    expect(cloak('203.0.113.7', { suffix: 'users-obrol' })).toMatch(/^[a-z0-9]+\.[a-z0-9]+\.users-obrol$/);
  });

  it('reveals nothing of the address: the parts are fixed-length hex digests', () => {
    const [address, block] = parts(cloak('203.0.113.7'));
    expect(address).toMatch(/^[0-9a-f]{10}$/);
    expect(block).toMatch(/^[0-9a-f]{10}$/);
    expect(address).not.toBe(block);
  });
});
