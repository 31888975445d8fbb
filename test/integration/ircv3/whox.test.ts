/**
 * WHOX: WHO <mask> %<fields>[,<token>] answers 354 with exactly the fields
 * asked for, in the standard order, with the standard placeholders; 315 ends
 * it. https://ircv3.net/specs/extensions/whox
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../../src/config/password.js';
import { S, settle, useIrc } from './setup.js';

const irc = useIrc();
const PASSWORD = 'whox-oper-secret';
let hash = '';

beforeAll(async () => {
  hash = await hashPassword(PASSWORD);
});

describe('WHOX', () => {
  it('WHOX is in ISUPPORT', async () => {
    const { port } = await irc.server();
    const c = await irc.connect(port);
    c.send('NICK alice');
    c.send('USER alice 0 * :Alice');
    const tokens: string[] = [];
    for (;;) {
      const line = await c.expect(/ (005|376|422) /);
      if (!/ 005 /.test(line)) break;
      tokens.push(...line.split(' :')[0]!.split(' ').slice(3));
    }
    expect(tokens).toContain('WHOX');
  });

  it('every field, in the standard order: token, channel, user, ip (hidden), host, server, nick, flags, hops, idle, account, oplevel, realname', async () => {
    const { port } = await irc.server();
    const alice = await irc.register(port, 'alice');
    await irc.register(port, 'bob', { user: 'robert', realname: 'Bob the Builder' });
    alice.send('WHO bob %tcuihsnfdlaor,123');
    const [reply, end, ...rest] = await alice.sync();
    expect(rest).toEqual([]);
    const m = /^:obrol\.local 354 alice 123 \* robert 255\.255\.255\.255 127\.0\.0\.1 obrol\.local bob H 0 (\d+) 0 n\/a :Bob the Builder$/.exec(reply as string);
    expect(m, reply).not.toBeNull();
    expect(Number(m?.[1])).toBeLessThan(10);
    expect(end).toBe(`${S} 315 alice bob :End of WHO list`);
  });

  it('the order of the letters asked does not matter; unknown letters are ignored', async () => {
    const { port } = await irc.server();
    const alice = await irc.register(port, 'alice');
    await irc.register(port, 'bob');
    alice.send('WHO bob %rzqnut,7');
    expect(await alice.sync()).toEqual([`${S} 354 alice 7 bob bob :bob Test`, `${S} 315 alice bob :End of WHO list`]);
  });

  it('single fields, with their placeholders', async () => {
    const { port } = await irc.server();
    const alice = await irc.register(port, 'alice');
    const bob = await irc.register(port, 'bob');
    await irc.join(bob, '#shared');
    await irc.join(alice, '#shared');
    const one = async (field: string) => {
      alice.send(`WHO bob %${field}`);
      const lines = await alice.sync();
      expect(lines[1]).toBe(`${S} 315 alice bob :End of WHO list`);
      return lines[0];
    };
    expect(await one('c')).toBe(`${S} 354 alice :#shared`);
    expect(await one('u')).toBe(`${S} 354 alice :bob`);
    expect(await one('i')).toBe(`${S} 354 alice :255.255.255.255`);
    expect(await one('h')).toBe(`${S} 354 alice :127.0.0.1`);
    expect(await one('s')).toBe(`${S} 354 alice :obrol.local`);
    expect(await one('n')).toBe(`${S} 354 alice :bob`);
    expect(await one('f')).toBe(`${S} 354 alice :H@`);
    expect(await one('d')).toBe(`${S} 354 alice :0`);
    expect(await one('l')).toMatch(/^:obrol\.local 354 alice :\d+$/);
    expect(await one('a')).toBe(`${S} 354 alice :0`);
    expect(await one('o')).toBe(`${S} 354 alice :n/a`);
    expect(await one('r')).toBe(`${S} 354 alice :bob Test`);
  });

  it('the token is returned only when t is asked for', async () => {
    const { port } = await irc.server();
    const alice = await irc.register(port, 'alice');
    alice.send('WHO alice %n,42');
    alice.send('WHO alice %tn,42');
    expect(await alice.sync()).toEqual([
      `${S} 354 alice :alice`,
      `${S} 315 alice alice :End of WHO list`,
      `${S} 354 alice 42 :alice`,
      `${S} 315 alice alice :End of WHO list`,
    ]);
  });

  it('the IP address: real to the user themself and to opers, 255.255.255.255 to others', async () => {
    const { port } = await irc.server({ config: { opers: [{ name: 'boss', password: hash, hosts: ['*@127.0.0.1'] }] } });
    const alice = await irc.register(port, 'alice');
    const oper = await irc.register(port, 'oper');
    alice.send('WHO alice %ni');
    expect(await alice.sync()).toEqual([`${S} 354 alice 127.0.0.1 :alice`, `${S} 315 alice alice :End of WHO list`]);
    oper.send('WHO alice %ni');
    expect(await oper.sync()).toEqual([`${S} 354 oper 255.255.255.255 :alice`, `${S} 315 oper alice :End of WHO list`]);
    oper.send(`OPER boss ${PASSWORD}`);
    await oper.expect(/ 381 /);
    oper.send('WHO alice %ni');
    expect(await oper.sync()).toEqual([`${S} 354 oper 127.0.0.1 :alice`, `${S} 315 oper alice :End of WHO list`]);
  });

  it('WHO #chan %nf: one 354 per member, then 315 with the channel; never a 352', async () => {
    const { port } = await irc.server();
    const alice = await irc.register(port, 'alice');
    const bob = await irc.register(port, 'bob');
    await irc.join(alice, '#c');
    await irc.join(bob, '#c');
    bob.send('AWAY :off');
    await bob.sync();
    await settle(alice);
    alice.send('WHO #c %nf');
    expect(await alice.sync()).toEqual([`${S} 354 alice alice :H@`, `${S} 354 alice bob :G`, `${S} 315 alice #c :End of WHO list`]);
    alice.send('WHO #c %tcnf,001');
    expect(await alice.sync()).toEqual([`${S} 354 alice 001 #c alice :H@`, `${S} 354 alice 001 #c bob :G`, `${S} 315 alice #c :End of WHO list`]);
  });

  it('a mask matching several users, and one matching nobody', async () => {
    const { port } = await irc.server();
    const alice = await irc.register(port, 'alice');
    await irc.register(port, 'alfred');
    await irc.register(port, 'bob');
    alice.send('WHO al* %n');
    expect(await alice.sync()).toEqual([`${S} 354 alice :alice`, `${S} 354 alice :alfred`, `${S} 315 alice al* :End of WHO list`]);
    alice.send('WHO zz* %n');
    expect(await alice.sync()).toEqual([`${S} 315 alice zz* :End of WHO list`]);
  });
});
