/**
 * Who may connect: the connection class of an address, and the limits that
 * keep one address (or one network block) from taking the server: the total
 * number of clients, connections per address and per block, and a connection
 * rate per address past which the address is throttled for a while.
 */
import type { Config } from '../config/schema.js';
import { addressMatcher, networkOf } from '../net/address.js';
import type { RefusalReason } from './stats.js';

export type ConnectClass = Config['classes'][number];

const MINUTE_MS = 60_000;

/** Why a connection is refused: a stable code (the metrics' label) and the text the client gets. */
export interface Refusal {
  code: RefusalReason;
  reason: string;
  /** An address already throttled: logged at debug level only. */
  repeat: boolean;
}

export class Admission {
  private readonly perAddress = new Map<string, number>();
  private readonly perBlock = new Map<string, number>();
  /** Connection times (ms) per address within the last minute, oldest first. */
  private readonly recent = new Map<string, number[]>();
  private readonly throttledUntil = new Map<string, number>();
  private classes: Array<{ klass: ConnectClass; matches: (ip: string) => boolean }> = [];
  private config!: Config;
  /**
   * The class and block of each address connected or tried in the last
   * minute: most connections come from an address seen before, and matching
   * the class lists and masking the address cost more than the rest of
   * admission. Forgotten with the address's last connection and rate record.
   */
  private readonly seen = new Map<string, { klass: ConnectClass; block: string }>();

  constructor(config: Config) {
    this.configure(config);
  }

  configure(config: Config): void {
    this.config = config;
    this.classes = config.classes.map((klass) => ({ klass, matches: addressMatcher(klass.hosts) }));
    this.seen.clear();
  }

  /** The first class whose hosts match `ip`; the last class if none does. */
  classFor(ip: string): ConnectClass {
    return this.lookup(ip).klass;
  }

  private blockOf(ip: string): string {
    return this.lookup(ip).block;
  }

  private lookup(ip: string): { klass: ConnectClass; block: string } {
    let entry = this.seen.get(ip);
    if (entry === undefined) {
      const { cidr_ipv4_prefix, cidr_ipv6_prefix } = this.config.limits;
      const klass = this.classes.find((c) => c.matches(ip)) ?? (this.classes.at(-1) as { klass: ConnectClass });
      entry = { klass: klass.klass, block: networkOf(ip, cidr_ipv4_prefix, cidr_ipv6_prefix) };
      this.seen.set(ip, entry);
    }
    return entry;
  }

  /** `ip` has no connection and no rate record left: its class and block are forgotten. */
  private forgetIfGone(ip: string): void {
    if (!this.perAddress.has(ip) && !this.recent.has(ip)) this.seen.delete(ip);
  }

  /**
   * Why a new connection from `ip` must be refused, or null to let it in.
   * Every attempt counts towards the rate, refused or not. `repeat` marks a
   * refusal of an address already throttled: under a connection storm these
   * are the many, and are logged at debug level only.
   */
  check(ip: string, klass: ConnectClass, clients: number, now: number): Refusal | null {
    let times = this.recent.get(ip);
    if (times === undefined) {
      // A literal is allocated at its length; pushing onto [] would reserve 17 slots (150 bytes) per address.
      times = [now];
      this.recent.set(ip, times);
    } else {
      while (times.length > 0 && (times[0] as number) <= now - MINUTE_MS) times.shift();
      times.push(now);
    }

    const throttled = 'Throttled: reconnecting too fast';
    const until = this.throttledUntil.get(ip);
    if (until !== undefined && until > now) return { code: 'throttled', reason: throttled, repeat: true };
    if (times.length > klass.connects_per_minute) {
      if (klass.throttle_seconds > 0) this.throttledUntil.set(ip, now + klass.throttle_seconds * 1000);
      return { code: 'throttled', reason: throttled, repeat: false };
    }
    if (clients >= this.config.limits.max_clients) return { code: 'server_full', reason: 'Server is full', repeat: false };
    if ((this.perAddress.get(ip) ?? 0) >= klass.max_per_ip) return { code: 'per_ip', reason: 'Too many connections from your address', repeat: false };
    if ((this.perBlock.get(this.blockOf(ip)) ?? 0) >= klass.max_per_cidr) return { code: 'per_cidr', reason: 'Too many connections from your network', repeat: false };
    return null;
  }

  /**
   * Take back the latest attempt of `ip` from its connection rate: the socket
   * turned out to fetch the chat page, not to connect. A throttle already in
   * force stays.
   */
  forgetAttempt(ip: string): void {
    this.recent.get(ip)?.pop();
  }

  /** Count a connection in; returns its block, to be given back to closed() (the prefix may change on REHASH). */
  opened(ip: string): string {
    this.perAddress.set(ip, (this.perAddress.get(ip) ?? 0) + 1);
    const block = this.blockOf(ip);
    this.perBlock.set(block, (this.perBlock.get(block) ?? 0) + 1);
    return block;
  }

  closed(ip: string, block: string): void {
    decrement(this.perAddress, ip);
    decrement(this.perBlock, block);
    this.forgetIfGone(ip);
  }

  /** Forget every connection counted (all of them closed at once, at shutdown). */
  reset(): void {
    this.perAddress.clear();
    this.perBlock.clear();
    for (const ip of this.seen.keys()) this.forgetIfGone(ip);
  }

  /** Forget rate records older than a minute and throttles that ended, so the maps stay small. */
  sweep(now: number): void {
    for (const [ip, times] of this.recent) {
      while (times.length > 0 && (times[0] as number) <= now - MINUTE_MS) times.shift();
      if (times.length === 0) {
        this.recent.delete(ip);
        this.forgetIfGone(ip);
      }
    }
    for (const [ip, until] of this.throttledUntil) if (until <= now) this.throttledUntil.delete(ip);
  }

  /** Entries held, for tests and STATS: none may outlive its reason. */
  get sizes(): { addresses: number; blocks: number; recent: number; throttled: number; known: number } {
    return { addresses: this.perAddress.size, blocks: this.perBlock.size, recent: this.recent.size, throttled: this.throttledUntil.size, known: this.seen.size };
  }
}

function decrement(map: Map<string, number>, key: string): void {
  const n = (map.get(key) ?? 0) - 1;
  if (n > 0) map.set(key, n);
  else map.delete(key);
}
