/**
 * Bot mode: user mode +B (BOT=B in ISUPPORT), the `bot` tag on a bot's
 * messages for message-tags clients, 335 in WHOIS, the B flag in WHO.
 * https://ircv3.net/specs/extensions/bot-mode
 */
import { describe, expect, it } from 'vitest';
import type { TestClient } from '../../helpers/client.js';
import { expectMsgid, mask, S, settle, splitTags, useIrc } from './setup.js';

const irc = useIrc();

async function makeBot(c: TestClient): Promise<void> {
  c.send(`MODE ${c.nick} +B`);
  expect(await c.sync()).toEqual([`:${mask(c.nick)} MODE ${c.nick} :+B`]);
}

describe('bot mode', () => {
  it('BOT=B is in ISUPPORT and B among the user modes of 004', async () => {
    const { port } = await irc.server();
    const c = await irc.connect(port);
    c.send('NICK alice');
    c.send('USER alice 0 * :Alice');
    expect((await c.expect(/ 004 /)).split(' ')[5]).toContain('B');
    expect((await c.expect(/ 005 .*BOT=/)).split(' ')).toContain('BOT=B');
  });

  it('MODE +B and -B, shown in the user mode string', async () => {
    const { port } = await irc.server();
    const bot = await irc.register(port, 'bot');
    await makeBot(bot);
    bot.send('MODE bot');
    expect(await bot.sync()).toEqual([`${S} 221 bot :+B`]);
    bot.send('MODE bot -B');
    expect(await bot.sync()).toEqual([`:${mask('bot')} MODE bot :-B`]);
  });

  it('a bot\'s messages carry the bot tag (no value) for message-tags clients only', async () => {
    const { port } = await irc.server();
    const bot = await irc.register(port, 'bot');
    const alice = await irc.withCaps(port, 'alice', 'message-tags');
    const carol = await irc.register(port, 'carol');
    await irc.join(alice, '#c');
    await irc.join(carol, '#c');
    await settle(alice, carol);
    await makeBot(bot);
    await irc.join(bot, '#c');
    bot.send('PRIVMSG #c :beep');
    bot.send('NOTICE alice :boop');
    await bot.sync();
    const lines = await alice.sync();
    expect(lines).toHaveLength(3);
    expect(lines.map((l) => splitTags(l).raw)).toEqual(lines.map((l) => `msgid=${expectMsgid(l)};bot`));
    expect(lines.map((l) => splitTags(l).body)).toEqual([`:${mask('bot')} JOIN :#c`, `:${mask('bot')} PRIVMSG #c :beep`, `:${mask('bot')} NOTICE alice :boop`]);
    expect(await carol.sync()).toEqual([`:${mask('bot')} JOIN :#c`, `:${mask('bot')} PRIVMSG #c :beep`]);

    // No longer a bot: no tag.
    bot.send('MODE bot -B');
    bot.send('PRIVMSG #c :human now');
    await bot.sync();
    const [after] = await alice.sync();
    expect(splitTags(after as string).raw).toBe(`msgid=${expectMsgid(after as string)}`);
  });

  it('WHOIS shows 335 (before the idle line); not for a human', async () => {
    const { port } = await irc.server();
    const bot = await irc.register(port, 'bot');
    const alice = await irc.register(port, 'alice');
    await makeBot(bot);
    alice.send('WHOIS bot');
    const lines = await alice.sync();
    expect(lines.map((l) => l.split(' ')[1])).toEqual(['311', '312', '335', '317', '318']);
    expect(lines[2]).toBe(`${S} 335 alice bot :is a bot on Obrol`);
    alice.send('WHOIS alice');
    expect((await alice.sync()).some((l) => / 335 /.test(l))).toBe(false);
  });

  it('WHO shows the B flag (after H/G and *, before the channel prefix), WHOX too', async () => {
    const { port } = await irc.server();
    const bot = await irc.register(port, 'bot');
    const alice = await irc.register(port, 'alice');
    await makeBot(bot);
    alice.send('WHO bot');
    expect(await alice.sync()).toEqual([`${S} 352 alice * bot 127.0.0.1 obrol.local bot HB :0 bot Test`, `${S} 315 alice bot :End of WHO list`]);
    await irc.join(bot, '#c');
    await irc.join(alice, '#c');
    bot.send('AWAY :computing');
    await bot.sync();
    alice.send('WHO #c');
    expect(await alice.sync()).toEqual([
      `${S} 352 alice #c bot 127.0.0.1 obrol.local bot GB@ :0 bot Test`,
      `${S} 352 alice #c alice 127.0.0.1 obrol.local alice H :0 alice Test`,
      `${S} 315 alice #c :End of WHO list`,
    ]);
    alice.send('WHO bot %nf');
    expect(await alice.sync()).toEqual([`${S} 354 alice bot :GB@`, `${S} 315 alice bot :End of WHO list`]);
  });
});
