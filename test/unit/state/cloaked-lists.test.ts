/**
 * Ban, exception and invite-exception entries match a cloaked user's real
 * address only when a server operator set them: an entry set by a channel
 * operator sees nick!user@cloak, as the channel operator does, so bans
 * cannot be used to bisect a member's address.
 */
import { describe, expect, it } from 'vitest';
import { makeFolder } from '../../../src/protocol/casemap.js';
import { Channel, type ListMode } from '../../../src/state/channel.js';
import { User } from '../../../src/state/user.js';

const fold = makeFolder('rfc1459');
const CLOAK = '5c1e0a9f3b.8d2f61c0aa.ip';

function cloaked(): User {
  const u = new User('n/alice', '203.0.113.7', CLOAK, 'n', null);
  u.setNick('alice', fold('alice'));
  u.setUsername('alice');
  return u;
}

function channelWith(mode: ListMode, mask: string, byOper: boolean): Channel {
  const channel = new Channel('#c', '#c', 0);
  channel.lists[mode].push({ mask, setBy: 'op!op@h', setAt: 0, byOper, owner: '' });
  return channel;
}

describe('list entries and the real address', () => {
  it.each(['b', 'e', 'I'] as const)('+%s on the real address set by a channel operator does not match', (mode) => {
    for (const mask of ['*!*@203.0.113.7', '*!*@203.0.113.*', '*!*@203.*', 'alice!alice@203.0.113.?']) {
      expect(channelWith(mode, mask, false).matchesList(mode, cloaked(), fold)).toBe(false);
    }
  });

  it.each(['b', 'e', 'I'] as const)('+%s on the real address set by a server operator matches', (mode) => {
    for (const mask of ['*!*@203.0.113.7', '*!*@203.0.113.*', '*!*@203.*']) {
      expect(channelWith(mode, mask, true).matchesList(mode, cloaked(), fold)).toBe(true);
    }
  });

  it('entries on the cloak match whoever set them', () => {
    for (const byOper of [false, true]) {
      expect(channelWith('b', `*!*@${CLOAK}`, byOper).isBanned(cloaked(), fold)).toBe(true);
      expect(channelWith('b', '*!*@*.8d2f61c0aa.ip', byOper).isBanned(cloaked(), fold)).toBe(true);
      expect(channelWith('b', 'alice!*@*', byOper).isBanned(cloaked(), fold)).toBe(true);
    }
  });

  it('a channel operator learns nothing by bisecting: every real-address prefix answers the same', () => {
    const probes = ['*!*@2*', '*!*@20*', '*!*@203.*', '*!*@1*', '*!*@9*'];
    const answers = probes.map((mask) => channelWith('b', mask, false).isBanned(cloaked(), fold));
    expect(answers).toEqual([false, false, false, false, false]);
  });
});
