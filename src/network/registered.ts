/**
 * Channels registered with ChanServ (services/chanserv.ts): what the store
 * keeps of them and when. A registered channel's topic, flag modes, key,
 * limit and b/e/I lists are saved whenever they change, by the node where
 * the change was made (the others apply the same event but do not write);
 * at start every registered channel is restored, empty, as it was saved, so
 * TOPIC, LIST and the next JOIN find it. A registered channel outlives its
 * last member (state/registry.ts dropIfEmpty).
 *
 * ChanServ's own mode changes (auto-modes on JOIN, OP, VOICE) come from its
 * mask through the same `channel.mode` event as MODE, so every node applies
 * them.
 */
import type { Actor, EventOf } from '../bus/events.js';
import { formatModeChanges, type ModeChange } from '../protocol/modes.js';
import { own } from '../state/budget.js';
import { FLAG_MODES, LIST_MODES, STATUS_MODES, type Channel, type ListMode } from '../state/channel.js';
import { applyChannelMode, MAX_CHANNEL_LIMIT } from '../state/channelmodes.js';
import type { Registry } from '../state/registry.js';
import type { User } from '../state/user.js';
import type { ChannelRegistration } from '../store/types.js';
import type { Emitter } from './effects.js';
import type { Caller } from './fanout.js';
import { isRemote, type NetworkHost } from './host.js';

/** The record the store keeps of a registered channel: its registration and its state now. */
export function registrationRecord(channel: Channel): ChannelRegistration {
  const registration = channel.registration;
  if (registration === null) throw new Error(`${channel.name} is not registered`);
  const lists: ChannelRegistration['lists'] = {};
  for (const mode of LIST_MODES as Iterable<ListMode>) {
    lists[mode] = channel.lists[mode].map((entry) => ({ mask: entry.mask, setBy: entry.setBy, setAt: entry.setAt }));
  }
  return {
    name: channel.name,
    founder: registration.founder,
    registeredAt: registration.registeredAt,
    topic: channel.topic === '' ? null : channel.topic,
    topicSetBy: channel.topic === '' ? null : channel.topicSetBy,
    topicSetAt: channel.topic === '' ? 0 : channel.topicSetAt,
    modes: [...FLAG_MODES].filter((mode) => channel.flags.has(mode)).join(''),
    key: channel.key,
    limit: channel.limit,
    lists,
    amodes: { ...registration.amodes },
  };
}

/** Write `channel`'s registration and state to the store. */
export function saveRegistration(host: NetworkHost, channel: Channel): Promise<void> {
  return host.store.channels.saveChannel(channel.folded, registrationRecord(channel));
}

/**
 * Called by the TOPIC and MODE effects: a registered channel changed here is
 * saved (without waiting: the change is already made and told; a failed
 * write is logged). Status changes (+o, +v) are not kept and write nothing.
 */
export function persistChannel(host: NetworkHost, event: EventOf<'channel.topic'> | EventOf<'channel.mode'>): void {
  if (isRemote(host, event)) return;
  if (event.type === 'channel.mode' && [...event.modes].every((c) => c === '+' || c === '-' || STATUS_MODES.some((s) => s.mode === c))) return;
  const channel = host.registry.findChannel(event.channel);
  if (channel === undefined || channel.registration === null) return;
  saveRegistration(host, channel).catch((err: unknown) => {
    host.log.error({ err, event: 'channel-save-failed', channel: channel.name }, 'could not save a registered channel');
  });
}

/** The effect of `channel.register`: every node learns the registration (or that it was dropped). */
export function applyChannelRegister(host: NetworkHost, event: EventOf<'channel.register'>, _caller: Caller | null): void {
  const { registry } = host;
  const channel = registry.findChannel(event.channel);
  if (channel === undefined) return;
  const info = event.registration;
  channel.registration = info === null ? null : { founder: own(info.founder), registeredAt: info.registeredAt, amodes: { ...info.amodes } };
  // Dropped while nobody is in it: it goes as an unregistered channel would have.
  if (info === null) registry.dropIfEmpty(channel);
}

/** Put every registered channel of the store back into the registry, as saved (at start, before listening). */
export async function restoreRegisteredChannels(host: NetworkHost): Promise<number> {
  const saved = await host.store.channels.listChannels();
  for (const { registration } of saved) restoreChannel(host.registry, registration);
  return saved.length;
}

/** One saved channel into the registry: made if it is not there (empty), its state replaced by the saved one. */
export function restoreChannel(registry: Registry, saved: ChannelRegistration): Channel {
  const { channel } = registry.channelFor(own(saved.name), Math.floor(saved.registeredAt / 1000));
  channel.registration = { founder: own(saved.founder), registeredAt: saved.registeredAt, amodes: { ...saved.amodes } };
  // Restored state is charged to nobody (owner ''): no user made it in this process.
  if (saved.topic !== null && saved.topic !== '') {
    channel.topic = own(saved.topic);
    channel.topicSetBy = own(saved.topicSetBy ?? '');
    channel.topicSetAt = saved.topicSetAt;
  }
  channel.flags.clear();
  for (const mode of saved.modes) if (FLAG_MODES.includes(mode)) channel.flags.add(mode);
  channel.key = saved.key;
  channel.limit = saved.limit !== null && saved.limit > 0 && saved.limit <= MAX_CHANNEL_LIMIT ? saved.limit : null;
  for (const mode of LIST_MODES as Iterable<ListMode>) {
    channel.lists[mode] = (saved.lists[mode] ?? []).map((entry) => ({ mask: own(entry.mask), setBy: own(entry.setBy), setAt: entry.setAt, byOper: false, owner: '' }));
  }
  return channel;
}

/** The status letters `user` is due in `channel` by its registration: o for the founder, and their auto-modes. */
export function dueModes(registry: Registry, channel: Channel, user: User): string {
  const registration = channel.registration;
  if (registration === null || user.account === null) return '';
  const account = registry.fold(user.account);
  let letters = registration.amodes[account] ?? '';
  if (account === registration.founder && !letters.includes('o')) letters += 'o';
  return STATUS_MODES.filter((s) => letters.includes(s.mode))
    .map((s) => s.mode)
    .join('');
}

/**
 * Give (or take) status `letters` to members of `channel` as `source` (a
 * service's mask): applied here, shown to the members and sent to the other
 * nodes as one MODE. Returns the changes that changed something.
 */
export function serviceModes(
  host: NetworkHost,
  emitter: Emitter,
  source: string,
  channel: Channel,
  grants: ReadonlyArray<{ user: User; letters: string }>,
  adding: boolean,
): ModeChange[] {
  const applied: ModeChange[] = [];
  const actor = { id: '', mask: source, isOper: false };
  const now = Math.floor(Date.now() / 1000);
  for (const { user, letters } of grants) {
    for (const mode of letters) {
      const outcome = applyChannelMode(host.registry, channel, { adding, mode, param: user.nick }, actor, { trusted: true, now });
      if (outcome !== null && !('refused' in outcome)) applied.push(outcome);
    }
  }
  if (applied.length === 0) return applied;
  const by: Actor = { server: source };
  // One MODE line can carry only so many parameters; status changes are few, so chunk by 4 (MODES=4 is common).
  for (let k = 0; k < applied.length; k += 4) {
    const { modes, params } = formatModeChanges(applied.slice(k, k + 4));
    emitter.emit({ type: 'channel.mode', origin: emitter.nodeId, by, channel: channel.name, modes, params, ...emitter.stamp() });
  }
  return applied;
}

/** The auto-modes `user` is due in `channel` (founder +o, AMODE entries), given by `source`. */
export function grantAutoModes(host: NetworkHost, emitter: Emitter, source: string, channel: Channel, user: User): ModeChange[] {
  if (!channel.has(user)) return [];
  const letters = dueModes(host.registry, channel, user);
  return letters === '' ? [] : serviceModes(host, emitter, source, channel, [{ user, letters }], true);
}
