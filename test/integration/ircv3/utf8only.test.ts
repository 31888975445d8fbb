/**
 * UTF8ONLY: advertised by default; a line that is not valid UTF-8 is refused
 * with FAIL <command> INVALID_UTF8 and never relayed. With server.utf8_only
 * false the token is gone and such text is relayed, its bad bytes replaced
 * by U+FFFD. https://ircv3.net/specs/extensions/utf8-only
 */
import { describe, expect, it } from 'vitest';
import { mask, S, settle, useIrc } from './setup.js';

const irc = useIrc();
const FAIL_TEXT = 'Message rejected, your IRC software MUST use UTF-8 encoding on this network';
/** "café" in Latin-1: 0xE9 alone is not UTF-8. */
const LATIN1 = Buffer.from([0x63, 0x61, 0x66, 0xe9]);

function line(...parts: Array<string | Buffer>): Buffer {
  return Buffer.concat([...parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p)), Buffer.from('\r\n')]);
}

describe('UTF8ONLY (the default)', () => {
  it('is advertised in ISUPPORT', async () => {
    const { port } = await irc.server();
    const c = await irc.connect(port);
    c.send('NICK alice');
    c.send('USER alice 0 * :Alice');
    expect((await c.expect(/ 005 .*UTF8ONLY/)).split(' ')).toContain('UTF8ONLY');
  });

  it('a PRIVMSG that is not UTF-8: FAIL PRIVMSG INVALID_UTF8, nothing relayed', async () => {
    const { port } = await irc.server();
    const alice = await irc.register(port, 'alice');
    const bob = await irc.register(port, 'bob');
    await irc.join(alice, '#c');
    await irc.join(bob, '#c');
    await settle(alice);
    alice.write(line('PRIVMSG #c :', LATIN1));
    alice.write(line('PRIVMSG bob :', LATIN1));
    expect(await alice.sync()).toEqual([`${S} FAIL PRIVMSG INVALID_UTF8 :${FAIL_TEXT}`, `${S} FAIL PRIVMSG INVALID_UTF8 :${FAIL_TEXT}`]);
    expect(await bob.sync()).toEqual([]);
    // Valid UTF-8 (not ASCII) passes.
    alice.send('PRIVMSG #c :café ☕');
    await alice.sync();
    expect(await bob.sync()).toEqual([`:${mask('alice')} PRIVMSG #c :café ☕`]);
  });

  it('other commands are refused the same way: TOPIC, and USER before registration', async () => {
    const { port } = await irc.server();
    const alice = await irc.register(port, 'alice');
    await irc.join(alice, '#c');
    alice.write(line('TOPIC #c :', LATIN1));
    expect(await alice.sync()).toEqual([`${S} FAIL TOPIC INVALID_UTF8 :${FAIL_TEXT}`]);
    alice.send('TOPIC #c');
    expect(await alice.sync()).toEqual([`${S} 331 alice #c :No topic is set`]);

    const c = await irc.connect(port);
    c.send('NICK newbie');
    c.write(line('USER newbie 0 * :', LATIN1));
    expect(await c.sync()).toEqual([`${S} FAIL USER INVALID_UTF8 :${FAIL_TEXT}`]);
    c.send('USER newbie 0 * :Newbie');
    expect(await c.expect(/ 001 /)).toBe(`${S} 001 newbie :Welcome to the Obrol IRC Network newbie!newbie@127.0.0.1`);
  });
});

describe('server.utf8_only: false', () => {
  it('no UTF8ONLY token; the text is relayed with U+FFFD in place of the bad byte', async () => {
    const { port } = await irc.server({ config: { server: { utf8_only: false } } });
    const c = await irc.connect(port);
    c.send('NICK alice');
    c.send('USER alice 0 * :Alice');
    const isupport: string[] = [];
    for (;;) {
      const l = await c.expect(/ (005|376|422) /);
      if (!/ 005 /.test(l)) break;
      isupport.push(...l.split(' '));
    }
    expect(isupport).toContain('WHOX');
    expect(isupport.some((t) => t.startsWith('UTF8ONLY'))).toBe(false);
    c.nick = 'alice';
    await irc.join(c, '#c');

    const bob = await irc.raw(port);
    try {
      bob.send('NICK bob');
      bob.send('USER bob 0 * :Bob');
      bob.send('JOIN #c');
      await bob.lineWith(' 366 bob #c ');
      c.write(line('PRIVMSG #c :', LATIN1, Buffer.from(' ok')));
      const relayed = await bob.lineWith(' PRIVMSG #c :');
      expect(relayed.toString('latin1')).toBe(`:${mask('alice')} PRIVMSG #c :caf\u00ef\u00bf\u00bd ok`);
      // That is: "caf", then EF BF BD (U+FFFD in UTF-8), then " ok".
      expect(relayed.subarray(relayed.length - 6)).toEqual(Buffer.from([0xef, 0xbf, 0xbd, 0x20, 0x6f, 0x6b]));
      // No FAIL for the sender.
      expect(await c.sync()).toEqual([`:${mask('bob')} JOIN :#c`]);
    } finally {
      bob.close();
    }
  });
});
