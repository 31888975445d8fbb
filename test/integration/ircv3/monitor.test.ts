/**
 * MONITOR (+, -, C, L, S, the list limit, and the online/offline
 * notifications) and extended-monitor (AWAY, SETNAME and CHGHOST of monitored
 * nicks for watchers who share no channel with them).
 * https://ircv3.net/specs/extensions/monitor,
 * https://ircv3.net/specs/extensions/extended-monitor
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../../src/config/password.js';
import { mask, S, settle, useIrc } from './setup.js';

const irc = useIrc();

describe('MONITOR', () => {
  it('+ answers 730 with nick!user@host for online targets and 731 for offline ones', async () => {
    const { port } = await irc.server();
    await irc.register(port, 'alice');
    await irc.register(port, 'bob', { user: 'robert' });
    const w = await irc.register(port, 'w');
    w.send('MONITOR + alice,nobody,BOB');
    expect(await w.sync()).toEqual([`${S} 730 w :alice!alice@127.0.0.1,bob!robert@127.0.0.1`, `${S} 731 w :nobody`]);
  });

  it('L lists the targets as given, 733 ends it; - and C remove silently', async () => {
    const { port } = await irc.server();
    const w = await irc.register(port, 'w');
    w.send('MONITOR + Alice,nobody,carol');
    await w.sync();
    w.send('MONITOR L');
    expect(await w.sync()).toEqual([`${S} 732 w :Alice,nobody,carol`, `${S} 733 w :End of MONITOR list`]);
    w.send('MONITOR - NOBODY,notmonitored');
    expect(await w.sync()).toEqual([]);
    w.send('MONITOR L');
    expect(await w.sync()).toEqual([`${S} 732 w :Alice,carol`, `${S} 733 w :End of MONITOR list`]);
    w.send('MONITOR C');
    expect(await w.sync()).toEqual([]);
    w.send('MONITOR L');
    expect(await w.sync()).toEqual([`${S} 733 w :End of MONITOR list`]);
  });

  it('S shows the status of every target; a target added twice is listed once', async () => {
    const { port } = await irc.server();
    await irc.register(port, 'alice');
    const w = await irc.register(port, 'w');
    w.send('MONITOR + alice,ghost');
    await w.sync();
    w.send('MONITOR + ALICE');
    expect(await w.sync()).toEqual([]);
    w.send('MONITOR S');
    expect(await w.sync()).toEqual([`${S} 730 w :alice!alice@127.0.0.1`, `${S} 731 w :ghost`]);
    w.send('MONITOR L');
    expect(await w.sync()).toEqual([`${S} 732 w :alice,ghost`, `${S} 733 w :End of MONITOR list`]);
  });

  it('past limits.monitor_entries: 734 with the limit and the targets left out; the rest is added', async () => {
    const { port } = await irc.server({ config: { limits: { monitor_entries: 2 } } });
    const w = await irc.register(port, 'w');
    w.send('MONITOR + a,b,c,d');
    expect(await w.sync()).toEqual([`${S} 734 w 2 c,d :Monitor list is full`, `${S} 731 w :a,b`]);
    w.send('MONITOR + e');
    expect(await w.sync()).toEqual([`${S} 734 w 2 e :Monitor list is full`]);
    // Already there: no error.
    w.send('MONITOR + a');
    expect(await w.sync()).toEqual([]);
    w.send('MONITOR - a');
    w.send('MONITOR + e');
    expect(await w.sync()).toEqual([`${S} 731 w :e`]);
    w.send('MONITOR L');
    expect(await w.sync()).toEqual([`${S} 732 w :b,e`, `${S} 733 w :End of MONITOR list`]);
  });

  it('MONITOR is in ISUPPORT with the limit', async () => {
    const { port } = await irc.server({ config: { limits: { monitor_entries: 7 } } });
    const c = await irc.connect(port);
    c.send('NICK alice');
    c.send('USER alice 0 * :Alice');
    expect((await c.expect(/ 005 .*MONITOR=/)).split(' ')).toContain('MONITOR=7');
  });

  it('invalid nicks are ignored; no parameter is 461', async () => {
    const { port } = await irc.server();
    const w = await irc.register(port, 'w');
    w.send('MONITOR + #chan,bad!nick,good');
    w.send('MONITOR');
    expect(await w.sync()).toEqual([`${S} 731 w :good`, `${S} 461 w MONITOR :Not enough parameters`]);
  });

  describe('notifications', () => {
    it('730 when a monitored nick registers (not when it is only claimed), 731 when it quits', async () => {
      const { port } = await irc.server();
      const w = await irc.register(port, 'w');
      w.send('MONITOR + Bob');
      expect(await w.sync()).toEqual([`${S} 731 w :Bob`]);

      const bob = await irc.connect(port);
      bob.send('NICK bob');
      await bob.sync();
      expect(await w.sync()).toEqual([]);
      bob.send('USER bob 0 * :Bob');
      await bob.expect(/ (376|422) /);
      expect(await w.sync()).toEqual([`${S} 730 * :${mask('bob')}`]);

      bob.send('QUIT :bye');
      await bob.waitClosed();
      expect(await w.sync()).toEqual([`${S} 731 * :bob`]);
    });

    it('a nick change: 731 for the old nick and 730 for the new one, to their watchers', async () => {
      const { port } = await irc.server();
      const both = await irc.register(port, 'both');
      const oldOnly = await irc.register(port, 'oldonly');
      const newOnly = await irc.register(port, 'newonly');
      both.send('MONITOR + bob,bobby');
      oldOnly.send('MONITOR + bob');
      newOnly.send('MONITOR + bobby');
      await settle(both, oldOnly, newOnly);
      const bob = await irc.register(port, 'bob');
      await settle(both, oldOnly, newOnly);

      bob.send('NICK bobby');
      await bob.sync();
      expect(await both.sync()).toEqual([`${S} 731 * :bob`, `${S} 730 * :bobby!bob@127.0.0.1`]);
      expect(await oldOnly.sync()).toEqual([`${S} 731 * :bob`]);
      expect(await newOnly.sync()).toEqual([`${S} 730 * :bobby!bob@127.0.0.1`]);

      // A change of case only is the same nick: nothing.
      bob.send('NICK BOBBY');
      await bob.sync();
      expect(await both.sync()).toEqual([]);
    });

    it('a user disconnecting forgets its own list', async () => {
      const { port } = await irc.server();
      const w = await irc.register(port, 'w');
      w.send('MONITOR + bob');
      await w.sync();
      w.close();
      const again = await irc.register(port, 'w2');
      again.send('MONITOR + bob');
      expect(await again.sync()).toEqual([`${S} 731 w2 :bob`]);
      const bob = await irc.register(port, 'bob');
      expect(bob.closed).toBe(false);
      expect(await again.sync()).toEqual([`${S} 730 * :${mask('bob')}`]);
    });
  });
});

describe('extended-monitor', () => {
  const PASSWORD = 'extended-monitor-oper';
  let hash = '';
  beforeAll(async () => {
    hash = await hashPassword(PASSWORD);
  });

  /** alice (monitored, in #c with nobody else), and watchers monitoring her from outside any channel of hers. */
  async function scene(watchers: Record<string, string>) {
    const { port } = await irc.server({ config: { opers: [{ name: 'boss', password: hash, hosts: ['*@127.0.0.1'] }] } });
    const alice = await irc.register(port, 'alice');
    await irc.join(alice, '#c');
    const out: Record<string, Awaited<ReturnType<typeof irc.register>>> = {};
    for (const [nick, caps] of Object.entries(watchers)) {
      const c = await irc.withCaps(port, nick, caps);
      c.send('MONITOR + alice');
      expect(await c.sync()).toEqual([`${S} 730 ${nick} :${mask('alice')}`]);
      out[nick] = c;
    }
    return { port, alice, watchers: out };
  }

  it('AWAY of a monitored nick reaches watchers with extended-monitor and away-notify only', async () => {
    const { alice, watchers } = await scene({
      ext: 'extended-monitor away-notify',
      awayonly: 'away-notify',
      extonly: 'extended-monitor',
    });
    alice.send('AWAY :out');
    await alice.sync();
    expect(await watchers.ext?.sync()).toEqual([`:${mask('alice')} AWAY :out`]);
    expect(await watchers.awayonly?.sync()).toEqual([]);
    expect(await watchers.extonly?.sync()).toEqual([]);
    alice.send('AWAY');
    await alice.sync();
    expect(await watchers.ext?.sync()).toEqual([`:${mask('alice')} AWAY`]);
  });

  it('SETNAME of a monitored nick reaches watchers with extended-monitor and setname only', async () => {
    const { alice, watchers } = await scene({ ext: 'extended-monitor setname', plain: 'setname' });
    alice.send('SETNAME :New Alice');
    await alice.sync();
    expect(await watchers.ext?.sync()).toEqual([`:${mask('alice')} SETNAME :New Alice`]);
    expect(await watchers.plain?.sync()).toEqual([]);
  });

  it('CHGHOST of a monitored nick reaches watchers with extended-monitor and chghost only', async () => {
    const { port, watchers } = await scene({ ext: 'extended-monitor chghost', plain: 'chghost' });
    const oper = await irc.register(port, 'oper');
    oper.send(`OPER boss ${PASSWORD}`);
    await oper.expect(/ 381 /);
    oper.send('CHGHOST alice cloak.example');
    await oper.sync();
    expect(await watchers.ext?.sync()).toEqual([`:${mask('alice')} CHGHOST alice :cloak.example`]);
    expect(await watchers.plain?.sync()).toEqual([]);
  });

  it('a watcher who also shares a channel hears it once', async () => {
    const { alice, watchers } = await scene({ ext: 'extended-monitor away-notify setname' });
    const ext = watchers.ext;
    if (!ext) throw new Error('no watcher');
    await irc.join(ext, '#c');
    await settle(alice);
    alice.send('AWAY :once');
    alice.send('SETNAME :Once');
    await alice.sync();
    expect(await ext.sync()).toEqual([`:${mask('alice')} AWAY :once`, `:${mask('alice')} SETNAME :Once`]);
  });
});
