/**
 * Bytes on the wire: line ends (CRLF, LF, CR, CR NUL), lines split across
 * writes, telnet negotiation, the 512-byte and 4096-byte tag limits, endless
 * lines, invalid UTF-8, and empty lines.
 */
import { isUtf8 } from 'node:buffer';
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { TestClient } from '../helpers/client.js';
import { useFixture } from '../helpers/fixture.js';

const S = ':obrol.local';

const fx = useFixture();

function writeAndWait(socket: Socket, data: Buffer | string): Promise<void> {
  return new Promise((resolve, reject) => socket.write(data, (err) => (err ? reject(err) : resolve())));
}

describe('line ends', () => {
  it('bare LF (netcat)', async () => {
    const { port } = await fx.server();
    const c = await fx.open(port);
    c.write('NICK lf\nUSER lf 0 * :LF\nJOIN #lf\n');
    expect(await c.expect(/ 001 /)).toBe(`${S} 001 lf :Welcome to the Obrol IRC Network lf!lf@127.0.0.1`);
    expect(await c.expect(/^:\S+ JOIN /)).toBe(':lf!lf@127.0.0.1 JOIN :#lf');
  });

  it('CRLF', async () => {
    const { port } = await fx.server();
    const c = await fx.open(port);
    c.write('NICK crlf\r\nUSER crlf 0 * :CRLF\r\nJOIN #crlf\r\n');
    expect(await c.expect(/ 001 /)).toBe(`${S} 001 crlf :Welcome to the Obrol IRC Network crlf!crlf@127.0.0.1`);
    expect(await c.expect(/^:\S+ JOIN /)).toBe(':crlf!crlf@127.0.0.1 JOIN :#crlf');
  });

  it('bare CR', async () => {
    const { port } = await fx.server();
    const c = await fx.open(port);
    c.write('NICK cr\rUSER cr 0 * :CR\rJOIN #cr\r');
    expect(await c.expect(/ 001 /)).toBe(`${S} 001 cr :Welcome to the Obrol IRC Network cr!cr@127.0.0.1`);
    expect(await c.expect(/^:\S+ JOIN /)).toBe(':cr!cr@127.0.0.1 JOIN :#cr');
  });

  it('CR NUL (telnet with a bare CR)', async () => {
    const { port } = await fx.server();
    const c = await fx.open(port);
    c.write(Buffer.from('NICK crnul\r\0USER crnul 0 * :CR NUL\r\0JOIN #crnul\r\0', 'latin1'));
    expect(await c.expect(/ 001 /)).toBe(`${S} 001 crnul :Welcome to the Obrol IRC Network crnul!crnul@127.0.0.1`);
    expect(await c.expect(/^:\S+ JOIN /)).toBe(':crnul!crnul@127.0.0.1 JOIN :#crnul');
  });

  it('mixed line ends in one write', async () => {
    const { port } = await fx.server();
    const c = await fx.open(port);
    c.write('NICK mixed\nUSER mixed 0 * :Mixed\r\nJOIN #m1\rJOIN #m2\r\n');
    await c.expect(/ 001 /);
    expect(await c.expect(/^:\S+ JOIN /)).toBe(':mixed!mixed@127.0.0.1 JOIN :#m1');
    expect(await c.expect(/^:\S+ JOIN /)).toBe(':mixed!mixed@127.0.0.1 JOIN :#m2');
  });

  it('a line sent one byte at a time', async () => {
    const { port } = await fx.server();
    const c = await fx.open(port);
    c.socket.setNoDelay(true);
    for (const byte of Buffer.from('NICK slow\r\nUSER slow 0 * :Slow Poke\r\nPRIVMSG slow :é ok\r\n')) {
      await writeAndWait(c.socket, Buffer.from([byte]));
    }
    expect(await c.expect(/ 001 /)).toBe(`${S} 001 slow :Welcome to the Obrol IRC Network slow!slow@127.0.0.1`);
    // A two-byte UTF-8 character split across writes arrives whole.
    expect(await c.expect(/^:\S+ PRIVMSG /)).toBe(':slow!slow@127.0.0.1 PRIVMSG slow :é ok');
  });
});

describe('telnet negotiation', () => {
  it('IAC sequences before and inside lines are stripped', async () => {
    const { port } = await fx.server();
    const c = await fx.open(port);
    const IAC_DO_SGA = [0xff, 0xfd, 0x03];
    const IAC_WILL_TTYPE = [0xff, 0xfb, 0x18];
    const IAC_SB_TTYPE_SEND = [0xff, 0xfa, 0x18, 0x01, 0xff, 0xf0];
    c.write(
      Buffer.concat([
        Buffer.from(IAC_DO_SGA),
        Buffer.from(IAC_WILL_TTYPE),
        Buffer.from('NICK tel'),
        Buffer.from(IAC_SB_TTYPE_SEND),
        Buffer.from('net\r\nUSER telnet 0 * :Tel'),
        Buffer.from(IAC_DO_SGA),
        Buffer.from('net User\r\n'),
      ]),
    );
    expect(await c.expect(/ 001 /)).toBe(`${S} 001 telnet :Welcome to the Obrol IRC Network telnet!telnet@127.0.0.1`);
    await c.expect(/ 376 /);
    c.send('WHOIS telnet');
    expect(await c.expect(/ 311 /)).toBe(`${S} 311 telnet telnet telnet 127.0.0.1 * :Telnet User`);
  });

  it('an IAC sequence cut across writes is still stripped', async () => {
    const { port } = await fx.server();
    const c = await fx.register(port, 'alice');
    await writeAndWait(c.socket, Buffer.from([0x50, 0x49, 0xff])); // "PI" IAC
    await writeAndWait(c.socket, Buffer.from([0xfa, 0x18])); // SB TTYPE ...
    await writeAndWait(c.socket, Buffer.from([0x00, 0x78, 0xff])); // ... subnegotiation data, IAC
    await writeAndWait(c.socket, Buffer.from([0xf0, 0x4e, 0x47, 0x20, 0x63, 0x75, 0x74, 0x0d, 0x0a])); // SE "NG cut" CRLF
    expect(await c.sync()).toEqual([`${S} PONG obrol.local :cut`]);
  });
});

describe('size limits', () => {
  it('a 510-byte PING is answered (the PONG cut to fit); 511 bytes gets 417, no PONG, and the client stays', async () => {
    const { port } = await fx.server();
    const c = await fx.register(port, 'alice');
    const body510 = `PING ${'x'.repeat(505)}`;
    expect(Buffer.byteLength(body510)).toBe(510);
    c.send(body510);
    const head = `${S} PONG obrol.local :`;
    expect(await c.sync()).toEqual([head + 'x'.repeat(510 - head.length)]);

    c.send(`PING ${'y'.repeat(506)}`);
    expect(await c.sync()).toEqual([`${S} 417 alice :Input line was too long`]);
    expect(c.closed).toBe(false);
  });

  it('a 511-byte PRIVMSG is not relayed; a 510-byte one is, cut to fit the source prefix', async () => {
    const { port } = await fx.server();
    const alice = await fx.register(port, 'alice');
    const bob = await fx.register(port, 'bob');
    await fx.join(alice, '#c');
    await fx.join(bob, '#c');
    alice.drain();

    const tooLong = `PRIVMSG #c :${'z'.repeat(499)}`;
    expect(Buffer.byteLength(tooLong)).toBe(511);
    alice.send(tooLong);
    expect(await alice.sync()).toEqual([`${S} 417 alice :Input line was too long`]);
    expect(await bob.sync()).toEqual([]);

    const atLimit = `PRIVMSG #c :${'w'.repeat(498)}`;
    expect(Buffer.byteLength(atLimit)).toBe(510);
    alice.send(atLimit);
    expect(await alice.sync()).toEqual([]);
    const head = ':alice!alice@127.0.0.1 PRIVMSG #c :';
    expect(await bob.sync()).toEqual([head + 'w'.repeat(510 - head.length)]);
  });

  it('a 511-byte line with multi-byte characters counts bytes, not characters', async () => {
    const { port } = await fx.server();
    const alice = await fx.register(port, 'alice');
    const bob = await fx.register(port, 'bob');
    await fx.join(alice, '#c');
    await fx.join(bob, '#c');
    alice.drain();
    // 12 bytes of command + 166 three-byte characters + 1 = 511 bytes, only 179 characters.
    const line = `PRIVMSG #c :${'€'.repeat(166)}a`;
    expect(Buffer.byteLength(line)).toBe(511);
    alice.send(line);
    expect(await alice.sync()).toEqual([`${S} 417 alice :Input line was too long`]);
    expect(await bob.sync()).toEqual([]);
  });

  it('a 20 KB line without a line end, then a line end: one 417, and the connection keeps working', async () => {
    const { port } = await fx.server();
    const alice = await fx.register(port, 'alice');
    const bob = await fx.register(port, 'bob');
    await fx.join(alice, '#c');
    await fx.join(bob, '#c');
    alice.drain();
    await writeAndWait(alice.socket, `PRIVMSG #c :${'q'.repeat(20 * 1024)}`);
    await writeAndWait(alice.socket, 'q'.repeat(1000));
    alice.write('\r\n');
    expect(await alice.sync()).toEqual([`${S} 417 alice :Input line was too long`]);
    alice.send('PRIVMSG #c :still here');
    expect(await alice.sync()).toEqual([]);
    expect(await bob.sync()).toEqual([':alice!alice@127.0.0.1 PRIVMSG #c :still here']);
  });

  it('a 4096-byte tag section is accepted (tags not relayed); 4097 bytes gets 417 and is not relayed', async () => {
    const { port } = await fx.server();
    const alice = await fx.register(port, 'alice');
    const bob = await fx.register(port, 'bob');
    await fx.join(alice, '#c');
    await fx.join(bob, '#c');
    alice.drain();

    // '@' + tags + ' ' is the tag section.
    const tags4096 = `@+a=${'t'.repeat(4096 - 5)} `;
    expect(Buffer.byteLength(tags4096)).toBe(4096);
    alice.write(`${tags4096}PRIVMSG #c :tagged ok\r\n`);
    expect(await alice.sync()).toEqual([]);
    expect(await bob.sync()).toEqual([':alice!alice@127.0.0.1 PRIVMSG #c :tagged ok']);

    const tags4097 = `@+a=${'t'.repeat(4097 - 5)} `;
    expect(Buffer.byteLength(tags4097)).toBe(4097);
    alice.write(`${tags4097}PRIVMSG #c :tagged too long\r\n`);
    expect(await alice.sync()).toEqual([`${S} 417 alice :Input line was too long`]);
    expect(await bob.sync()).toEqual([]);
    expect(alice.closed).toBe(false);
  });
});

describe('invalid UTF-8', () => {
  it('with utf8_only (the default) is refused with FAIL INVALID_UTF8 and never relayed', async () => {
    const { port } = await fx.server();
    const alice = await fx.register(port, 'alice');
    await fx.join(alice, '#u');
    const peer = await fx.raw(port);
    peer.socket.write('NICK peer\r\nUSER peer 0 * :Peer\r\nJOIN #u\r\n');
    await peer.waitLine((l) => / 366 peer #u /.test(l));
    peer.socket.write(Buffer.concat([Buffer.from('PRIVMSG #u :caf'), Buffer.from([0xe9]), Buffer.from('\r\nPRIVMSG #u :after\r\n')]));
    const fail = await peer.waitLine((l) => / FAIL /.test(l));
    expect(fail.toString('utf8')).toBe(':obrol.local FAIL PRIVMSG INVALID_UTF8 :Message rejected, your IRC software MUST use UTF-8 encoding on this network');
    expect(await alice.expect(/PRIVMSG/)).toBe(':peer!peer@127.0.0.1 PRIVMSG #u :after');
    peer.socket.destroy();
  });

  it('without utf8_only does not crash the server; peers get valid UTF-8 with replacement characters; other text is untouched', async () => {
    const { port } = await fx.server({ config: { server: { utf8_only: false } } });
    const alice = await fx.register(port, 'alice');
    const carol = await fx.register(port, 'carol');
    await fx.join(alice, '#u');
    await fx.join(carol, '#u');

    const peer = await fx.raw(port);
    peer.socket.write('NICK peer\r\nUSER peer 0 * :Peer\r\nJOIN #u\r\n');
    await peer.waitLine((l) => l.includes(' 366 peer #u '));

    // "café" in Latin-1, a broken two-byte sequence, a cut four-byte sequence.
    alice.write(Buffer.concat([Buffer.from('PRIVMSG #u :caf'), Buffer.from([0xe9, 0x20, 0xc3, 0x28, 0x20, 0x6f, 0x6b, 0x20, 0xf0, 0x9f, 0x98]), Buffer.from('\r\n')]));
    carol.send('PRIVMSG #u :héllo wörld ✓ 😊');
    alice.send('PRIVMSG #u :after');

    const bad = await peer.waitLine((l) => l.startsWith(':alice!') && l.includes('PRIVMSG') && !l.endsWith(':after'));
    const good = await peer.waitLine((l) => l.startsWith(':carol!') && l.includes('PRIVMSG'));
    const after = await peer.waitLine((l) => l.startsWith(':alice!') && l.endsWith(':after'));
    expect(isUtf8(bad)).toBe(true);
    expect(bad.toString('utf8')).toBe(':alice!alice@127.0.0.1 PRIVMSG #u :caf\uFFFD \uFFFD( ok \uFFFD');
    expect(good.toString('utf8')).toBe(':carol!carol@127.0.0.1 PRIVMSG #u :héllo wörld ✓ 😊');
    expect(after.toString('utf8')).toBe(':alice!alice@127.0.0.1 PRIVMSG #u :after');
    // Every line the peer received is valid UTF-8.
    expect(peer.lines().filter((l) => !isUtf8(l))).toEqual([]);

    expect(await carol.expect(/alice.*PRIVMSG/)).toBe(':alice!alice@127.0.0.1 PRIVMSG #u :caf\uFFFD \uFFFD( ok \uFFFD');
    expect(await alice.expect(/^:carol\S* PRIVMSG /)).toBe(':carol!carol@127.0.0.1 PRIVMSG #u :héllo wörld ✓ 😊');
  });
});

describe('empty lines', () => {
  it('empty lines and lines of spaces are ignored silently', async () => {
    const { port } = await fx.server();
    const c = await fx.register(port, 'alice');
    c.write('\r\n\r\n\n\r   \r\n \n\r\n');
    expect(await c.sync()).toEqual([]);
    expect(c.closed).toBe(false);
  });

  it('are ignored before registration too, and registration still works', async () => {
    const { port } = await fx.server();
    const c = await fx.open(port);
    await c.expect(/NOTICE/);
    c.write('\r\n  \r\nNICK blank\r\n\r\nUSER blank 0 * :Blank\r\n');
    expect(await c.expect(/ 001 /)).toBe(`${S} 001 blank :Welcome to the Obrol IRC Network blank!blank@127.0.0.1`);
    expect(c.received.filter((l) => / (421|451) /.test(l))).toEqual([]);
  });
});
