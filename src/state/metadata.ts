/**
 * draft/metadata-3 keys on users and channels, and who is charged for them
 * (state/budget.ts): a user's keys to the user, a channel's keys each to
 * whoever set it. METADATA sets and deletes through here with its limits
 * checked by `charge`; a replica applies another node's change with no
 * `charge` (trusted: the origin checked), so both keep the same accounts.
 */
import { channelMetadataCost, metadataCost, own, type BudgetRefusal, type StateBudget } from './budget.js';
import type { Channel } from './channel.js';
import type { User } from './user.js';

/** What holds keys: a user or a channel. */
export type MetadataHolder = { kind: 'user'; user: User } | { kind: 'channel'; channel: Channel };

/** The holder's keys. */
export function metadataOf(holder: MetadataHolder): ReadonlyMap<string, string> {
  return holder.kind === 'user' ? holder.user.metadata : holder.channel.metadata;
}

/** Who is charged for `key` = `value` of the holder, and how much. */
function chargeOf(holder: MetadataHolder, key: string, value: string): { owner: string; bytes: number } {
  return holder.kind === 'user'
    ? { owner: holder.user.id, bytes: metadataCost(key, value) }
    : { owner: holder.channel.metadataOwners.get(key) ?? '', bytes: channelMetadataCost(key, value) };
}

/** Delete `key`, crediting whoever was charged for it; whether it was set. */
export function dropMetadata(budget: StateBudget, holder: MetadataHolder, key: string): boolean {
  const value = metadataOf(holder).get(key);
  if (value === undefined) return false;
  const { owner, bytes } = chargeOf(holder, key, value);
  budget.credit(owner, bytes);
  if (holder.kind === 'user') holder.user.editableMetadata().delete(key);
  else {
    holder.channel.metadata.delete(key);
    holder.channel.metadataOwners.delete(key);
  }
  return true;
}

/**
 * Set `key` to `value`, set by the user with id `setter`: the old value is
 * credited and the new one charged. `charge` (owner, bytes) may refuse, and
 * then nothing changes and its refusal is returned; without it the charge
 * is made whatever the limits (a replica's).
 */
export function setMetadata(
  budget: StateBudget,
  holder: MetadataHolder,
  key: string,
  value: string,
  setter: string,
  charge: ((owner: string, bytes: number) => BudgetRefusal | null) | null,
): BudgetRefusal | null {
  const old = metadataOf(holder).get(key);
  const oldCharge = old === undefined ? null : chargeOf(holder, key, old);
  if (oldCharge) budget.credit(oldCharge.owner, oldCharge.bytes);
  const owner = holder.kind === 'user' ? holder.user.id : setter;
  const { bytes } = chargeOf(holder, key, value);
  const refusal = charge === null ? (budget.charge(owner, bytes), null) : charge(owner, bytes);
  if (refusal !== null) {
    if (oldCharge) budget.charge(oldCharge.owner, oldCharge.bytes);
    return refusal;
  }
  const storedKey = own(key);
  if (holder.kind === 'user') holder.user.editableMetadata().set(storedKey, own(value));
  else {
    holder.channel.metadata.set(storedKey, own(value));
    holder.channel.metadataOwners.set(storedKey, owner);
  }
  return null;
}
