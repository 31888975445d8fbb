/**
 * The pre-rendered registration lines (server/welcome.ts) must be the bytes
 * the serializer gives each reply, whatever the nick: spliced when the line
 * fits, rendered whole when a long nick makes it pass 510 bytes.
 */
import { describe, expect, it } from 'vitest';
import { RPL_ENDOFMOTD, RPL_ISUPPORT, RPL_MOTD, RPL_MOTDSTART } from '../../../src/protocol/replies.js';
import { serializeBody } from '../../../src/protocol/serialize.js';
import type { Session } from '../../../src/server/session.js';
import { NickLines, renderReply, writeLines } from '../../../src/server/welcome.js';

const replies = [
  RPL_MOTDSTART('irc.example'),
  RPL_MOTD('short'),
  RPL_MOTD(`ünïcode ☕ ${'x'.repeat(440)}`),
  RPL_ISUPPORT(['CHANTYPES=#', 'NICKLEN=32', 'NETWORK=Example']),
  RPL_ENDOFMOTD(),
];

function expected(nick: string, tag: string): string {
  return replies.map((reply) => `${tag}${serializeBody('irc.example', reply.code, [nick, ...reply.params])}\r\n`).join('');
}

describe('NickLines', () => {
  const lines = new NickLines('irc.example', replies);

  it.each(['a', 'alice', 'N', 'x'.repeat(20), 'y'.repeat(40), 'z'.repeat(200)])('renders %s as the serializer does', (nick) => {
    expect(lines.render(nick, '')).toBe(expected(nick, ''));
    expect(lines.render(nick, '@time=2026-01-01T00:00:00.000Z ')).toBe(expected(nick, '@time=2026-01-01T00:00:00.000Z '));
  });

  it('the long line is cut once the nick is long enough, as the serializer cuts it', () => {
    const short = lines.render('a', '').split('\r\n')[2] as string;
    const long = lines.render('y'.repeat(40), '').split('\r\n')[2] as string;
    expect(Buffer.byteLength(short)).toBeLessThan(510);
    expect(Buffer.byteLength(long)).toBe(510);
  });

  it('renderReply is one line with CRLF', () => {
    expect(renderReply('irc.example', 'bob', RPL_MOTD('hi'), '')).toBe(':irc.example 372 bob :- hi\r\n');
  });
});

describe('writeLines', () => {
  it.each([
    ['ASCII', ':s 001 a :hi\r\n:s 002 a :there\r\n'],
    ['UTF-8', ':s 372 a :- ☕ ngobrol\r\n:s 372 a :- ünï\r\n:s 376 a :End\r\n'],
    ['no CRLF at the end', ':s 001 a :hi\r\n:s 002 a :cut'],
  ])('one Buffer per line, the same bytes in all (%s)', (_, text) => {
    const written: Buffer[] = [];
    writeLines({ conn: { write: (data: Buffer) => written.push(data) } } as unknown as Session, text);
    expect(written.map((b) => b.toString())).toEqual(text.match(/[^\n]*(\n|$)/g)?.filter((line) => line !== ''));
    expect(Buffer.concat(written).toString()).toBe(text);
  });
});
