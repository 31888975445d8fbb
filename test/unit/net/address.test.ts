/**
 * IP address arithmetic: bytes of an address, the block it belongs to at a
 * prefix length, and matching against lists of addresses and CIDR blocks.
 */
import { describe, expect, it } from 'vitest';
import { addressBytes, addressMatcher, networkOf } from '../../../src/net/address.js';

const bytes = (ip: string): number[] | null => {
  const b = addressBytes(ip);
  return b === null ? null : [...b];
};

describe('addressBytes', () => {
  it('gives the four bytes of an IPv4 address', () => {
    expect(bytes('203.0.113.7')).toEqual([203, 0, 113, 7]);
    expect(bytes('0.0.0.0')).toEqual([0, 0, 0, 0]);
    expect(bytes('255.255.255.255')).toEqual([255, 255, 255, 255]);
  });

  it('gives the sixteen bytes of a full IPv6 address', () => {
    expect(bytes('2001:0db8:0001:0002:0003:0004:0005:0006')).toEqual([0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6]);
    expect(bytes('fe80:1:2:3:4:5:6:ffff')).toEqual([0xfe, 0x80, 0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0xff, 0xff]);
  });

  it('expands a compressed IPv6 address wherever the :: is', () => {
    expect(bytes('2001:db8::1')).toEqual([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    expect(bytes('::1')).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    expect(bytes('fe80::')).toEqual([0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(bytes('1:2::7:8')).toEqual([0, 1, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7, 0, 8]);
    expect(bytes('ABCD::EF01')).toEqual([0xab, 0xcd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xef, 0x01]);
  });

  it('reads :: as all zeros', () => {
    expect(bytes('::')).toEqual(Array<number>(16).fill(0));
  });

  it('reads an embedded IPv4 tail as the last four bytes', () => {
    expect(bytes('::ffff:192.0.2.128')).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 128]);
    expect(bytes('64:ff9b::10.1.2.3')).toEqual([0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0, 10, 1, 2, 3]);
    expect(bytes('::0.0.0.1')).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
  });

  it('is null for anything that is not an IP address', () => {
    for (const text of ['', 'localhost', '1.2.3', '1.2.3.256', '2001:db8::1::2', 'obrol.local', '*']) {
      expect(addressBytes(text), text).toBeNull();
    }
  });
});

describe('networkOf', () => {
  it('masks an IPv4 address to its block at the IPv4 prefix', () => {
    expect(networkOf('203.0.113.7', 24, 64)).toBe('203.0.113.0/24');
    expect(networkOf('203.0.113.7', 16, 64)).toBe('203.0.0.0/16');
    expect(networkOf('203.0.113.7', 8, 64)).toBe('203.0.0.0/8');
    expect(networkOf('203.0.113.7', 32, 64)).toBe('203.0.113.7/32');
  });

  it('masks inside a byte when the prefix is not a multiple of 8', () => {
    expect(networkOf('10.1.255.3', 20, 64)).toBe('10.1.240.0/20');
    expect(networkOf('10.1.255.255', 25, 64)).toBe('10.1.255.128/25');
    expect(networkOf('10.1.255.127', 25, 64)).toBe('10.1.255.0/25');
    expect(networkOf('192.168.7.9', 9, 64)).toBe('192.128.0.0/9');
  });

  it('puts two addresses of one block together and those of the next block apart', () => {
    expect(networkOf('198.51.100.1', 24, 64)).toBe(networkOf('198.51.100.254', 24, 64));
    expect(networkOf('198.51.100.1', 24, 64)).not.toBe(networkOf('198.51.101.1', 24, 64));
  });

  it('masks an IPv6 address to its block at the IPv6 prefix, in full form', () => {
    expect(networkOf('2001:db8:1:2:3:4:5:6', 24, 64)).toBe('2001:db8:1:2:0:0:0:0/64');
    expect(networkOf('2001:db8:1:2:3:4:5:6', 24, 48)).toBe('2001:db8:1:0:0:0:0:0/48');
    expect(networkOf('2001:db8:1:2:3:4:5:6', 24, 128)).toBe('2001:db8:1:2:3:4:5:6/128');
    expect(networkOf('2001:db8:1:2:3:4:5:6', 24, 16)).toBe('2001:0:0:0:0:0:0:0/16');
    expect(networkOf('2001:db8:1:ffff::1', 24, 56)).toBe('2001:db8:1:ff00:0:0:0:0/56');
    expect(networkOf('2001:db8:1:ffff::1', 24, 60)).toBe('2001:db8:1:fff0:0:0:0:0/60');
  });

  it('gives the same IPv6 block for compressed and full spellings of one address', () => {
    expect(networkOf('2001:db8::1', 24, 64)).toBe(networkOf('2001:0db8:0000:0000:0000:0000:0000:0001', 24, 64));
    expect(networkOf('::1', 24, 64)).toBe('0:0:0:0:0:0:0:0/64');
    expect(networkOf('::', 24, 128)).toBe('0:0:0:0:0:0:0:0/128');
  });

  it('uses the IPv6 prefix for an address with an embedded IPv4 tail', () => {
    expect(networkOf('::ffff:192.0.2.128', 24, 120)).toBe('0:0:0:0:0:ffff:c000:200/120');
    expect(networkOf('::ffff:192.0.2.128', 24, 64)).toBe('0:0:0:0:0:0:0:0/64');
  });

  it('returns anything that is not an address unchanged', () => {
    expect(networkOf('not-an-ip', 24, 64)).toBe('not-an-ip');
  });
});

describe('addressMatcher', () => {
  it('matches everything, addresses or not, with "*"', () => {
    const match = addressMatcher(['10.0.0.0/8', '*']);
    expect(match('192.0.2.1')).toBe(true);
    expect(match('2001:db8::1')).toBe(true);
  });

  it('matches an exact IPv4 address and nothing next to it', () => {
    const match = addressMatcher(['192.0.2.10']);
    expect(match('192.0.2.10')).toBe(true);
    expect(match('192.0.2.11')).toBe(false);
    expect(match('192.0.2.1')).toBe(false);
  });

  it('matches an exact IPv6 address in any spelling', () => {
    const match = addressMatcher(['2001:db8::10']);
    expect(match('2001:db8::10')).toBe(true);
    expect(match('2001:0db8:0:0:0:0:0:0010')).toBe(true);
    expect(match('2001:db8::11')).toBe(false);
  });

  it('matches an IPv4 CIDR block to its edges', () => {
    const match = addressMatcher(['198.51.100.0/24']);
    expect(match('198.51.100.0')).toBe(true);
    expect(match('198.51.100.255')).toBe(true);
    expect(match('198.51.99.255')).toBe(false);
    expect(match('198.51.101.0')).toBe(false);
    const wide = addressMatcher(['10.16.0.0/12']);
    expect(wide('10.31.255.255')).toBe(true);
    expect(wide('10.32.0.0')).toBe(false);
  });

  it('matches an IPv6 CIDR block to its edges', () => {
    const match = addressMatcher(['2001:db8:1::/48']);
    expect(match('2001:db8:1::1')).toBe(true);
    expect(match('2001:db8:1:ffff:ffff:ffff:ffff:ffff')).toBe(true);
    expect(match('2001:db8:2::1')).toBe(false);
    expect(match('2001:db8:0:ffff::1')).toBe(false);
  });

  it('keeps the families apart and matches any entry of a mixed list', () => {
    const match = addressMatcher(['127.0.0.0/8', '::1', '2001:db8::/32']);
    expect(match('127.4.5.6')).toBe(true);
    expect(match('::1')).toBe(true);
    expect(match('2001:db8:abcd::1')).toBe(true);
    expect(match('128.0.0.1')).toBe(false);
    expect(match('::2')).toBe(false);
    expect(match('2001:db9::1')).toBe(false);
  });

  it('matches nothing with an empty list, and never a string that is not an address', () => {
    expect(addressMatcher([])('127.0.0.1')).toBe(false);
    expect(addressMatcher(['0.0.0.0/0'])('127.0.0.1')).toBe(true);
    expect(addressMatcher(['0.0.0.0/0'])('localhost')).toBe(false);
  });
});
