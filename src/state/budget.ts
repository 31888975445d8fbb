/**
 * What clients make the server keep, in bytes: every stored thing a user can
 * create (channels, topics, list entries, metadata, read markers, MONITOR
 * entries, metadata subscriptions, invites) is charged to its owner when it
 * is stored and credited when it goes, whoever removes it. A user may hold
 * limits.user_state_bytes; above limits.server_state_bytes in all, nothing
 * new is stored by anyone.
 *
 * The costs are V8 heap estimates (measured on Node 20 with --expose-gc): a
 * string is a 16-byte header plus 1 byte per character when every character
 * fits in Latin-1, 2 otherwise; an entry in a Map, Set or list, with its
 * share of the hash table and the object holding it, is ENTRY_COST.
 */

/** A Map/Set entry or a small record with its slot, rounded up. */
export const ENTRY_COST = 64;
/** An empty Channel: its four maps and sets, the list arrays, the registry entry (measured ~970 bytes). */
export const CHANNEL_COST = 1024;
/** A MONITOR entry: the user's map entry, the watcher set entry, and that set itself when it is the first watcher. */
export const MONITOR_COST = 3 * ENTRY_COST + 192;

const LATIN1 = /^[\x00-\xff]*$/;

/** Heap bytes of a stored string (V8's sequential one-byte or two-byte string). */
export function stringCost(s: string): number {
  return 16 + (LATIN1.test(s) ? s.length : 2 * s.length);
}

/**
 * A copy of `s` that shares no memory with the line it was parsed from. A
 * parameter is a slice of its line, and V8 keeps the whole line (up to 512
 * bytes plus 4096 of tags) alive for as long as the slice is stored.
 * Short strings (V8 copies under 13 characters) come back as they are.
 */
export function own(s: string): string {
  return s.length < 13 ? s : Buffer.from(s, 'utf8').toString('utf8');
}

export interface BudgetLimits {
  user_state_bytes: number;
  server_state_bytes: number;
}

/** Which limit refused a charge. */
export type BudgetRefusal = 'user' | 'server';

export class StateBudget {
  /** Owner (user id) -> bytes charged to them; an owner with nothing charged has no entry. */
  private readonly owners = new Map<string, number>();
  private sum = 0;

  /** Bytes charged to every owner together. */
  get total(): number {
    return this.sum;
  }

  /** Owners with something charged (users, and users gone whose things are still stored). */
  get ownerCount(): number {
    return this.owners.size;
  }

  charged(owner: string): number {
    return this.owners.get(owner) ?? 0;
  }

  /** Would charging `bytes` to `owner` pass both limits? null if so, else the limit it would break. */
  check(owner: string, bytes: number, limits: BudgetLimits): BudgetRefusal | null {
    if (this.charged(owner) + bytes > limits.user_state_bytes) return 'user';
    if (this.sum + bytes > limits.server_state_bytes) return 'server';
    return null;
  }

  /** Charge `bytes` to `owner` if the limits allow; the refusal otherwise (nothing charged). */
  tryCharge(owner: string, bytes: number, limits: BudgetLimits): BudgetRefusal | null {
    const refusal = this.check(owner, bytes, limits);
    if (refusal === null) this.charge(owner, bytes);
    return refusal;
  }

  /**
   * Charge without checking: to put back a charge just credited, or to record
   * what another node already admitted (a replica must hold what the origin
   * holds, whatever its own limits). The owner '' is nobody: never charged.
   */
  charge(owner: string, bytes: number): void {
    if (bytes === 0 || owner === '') return;
    this.owners.set(owner, this.charged(owner) + bytes);
    this.sum += bytes;
  }

  credit(owner: string, bytes: number): void {
    if (bytes === 0 || owner === '') return;
    const left = this.charged(owner) - bytes;
    if (left > 0) this.owners.set(owner, left);
    else this.owners.delete(owner);
    this.sum -= bytes;
  }

  /** Every owner and their bytes, for the invariant check. */
  entries(): IterableIterator<[string, number]> {
    return this.owners.entries();
  }
}

/** The cost of one list entry (+b, +e, +I). */
export function listEntryCost(mask: string, setBy: string): number {
  return ENTRY_COST + stringCost(mask) + stringCost(setBy);
}

/** The cost of one metadata key and value (the owner id of a channel's key is one more entry). */
export function metadataCost(key: string, value: string): number {
  return ENTRY_COST + stringCost(key) + stringCost(value);
}

/** A channel's key also has an entry naming who is charged for it. */
export function channelMetadataCost(key: string, value: string): number {
  return metadataCost(key, value) + ENTRY_COST;
}

/** The cost of a read marker: casefolded target and `timestamp=...` value. */
export function markerCost(target: string, value: string): number {
  return ENTRY_COST + stringCost(target) + stringCost(value);
}

/** The cost of a MONITOR entry: the casefolded nick and the nick as given. */
export function monitorCost(folded: string, nick: string): number {
  return MONITOR_COST + stringCost(folded) + stringCost(nick);
}

export function subscriptionCost(key: string): number {
  return ENTRY_COST + stringCost(key);
}

/** An invite: an entry on the channel and one on the invited user. */
export const INVITE_COST = 2 * ENTRY_COST;

export function channelCost(name: string, folded: string): number {
  return CHANNEL_COST + stringCost(name) + stringCost(folded);
}

export function topicCost(topic: string, setBy: string): number {
  return stringCost(topic) + stringCost(setBy);
}
