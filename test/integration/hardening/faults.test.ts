/**
 * One fault, one connection: an exception anywhere on the path of a line
 * (framing, dispatch, the handler, reply flush, registration and the welcome
 * burst, a command completing later), in a timer (keepalive sweep, flood
 * refill, registration timeout) or in a socket or listener callback ends only
 * the connection it happened for: logged at error with the connection id (and
 * the verb), ERROR to the client, and the session released whole. Faults are
 * injected by making one method throw once.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { COMMANDS } from '../../../src/commands/index.js';
import type { CommandSpec } from '../../../src/commands/spec.js';
import { hashPassword } from '../../../src/config/password.js';
import { LineFramer } from '../../../src/net/framer.js';
import { Admission } from '../../../src/server/admission.js';
import { ReplyBuffer } from '../../../src/server/replybuffer.js';
import { ObrolServer } from '../../../src/server/server.js';
import { Session } from '../../../src/server/session.js';
import { NickLines } from '../../../src/server/welcome.js';
import type { Outgoing } from '../../../src/protocol/outgoing.js';
import { Registry } from '../../../src/state/registry.js';
import { ManualClock } from '../../helpers/clock.js';
import { useFixture } from '../../helpers/fixture.js';
import { MemoryLink, nextTurn } from '../../helpers/memorylink.js';
import { UNLIMITED_CLASS, type TestServer, type TestServerOptions } from '../../helpers/server.js';

const TEST_VERBS = ['BOOM', 'BOOMLATER'];
const fx = useFixture();

// Registered after the fixture's, so it runs first: mocks and test verbs go before the servers stop.
afterEach(() => {
  vi.restoreAllMocks();
  for (const verb of TEST_VERBS) (COMMANDS as Map<string, CommandSpec>).delete(verb);
});

const server = (options: TestServerOptions = {}) => fx.server({ captureLogs: true, ...options });

async function user(srv: TestServer, nick: string, channel = '#c'): Promise<MemoryLink> {
  const link = MemoryLink.attach(srv.server);
  link.send(`NICK ${nick}\r\nUSER ${nick} 0 * :${nick}\r\nJOIN ${channel}\r\n`);
  await nextTurn();
  expect(link.lines.some((l) => / 366 /.test(l))).toBe(true);
  link.lines.length = 0;
  return link;
}

function install(): void {
  const table = COMMANDS as Map<string, CommandSpec>;
  table.set('BOOM', {
    verb: 'BOOM',
    minParams: 0,
    penalty: 1000,
    handle: (ctx) => {
      ctx.notice('about to fail');
      throw new Error('kaboom');
    },
  });
  table.set('BOOMLATER', { verb: 'BOOMLATER', minParams: 0, penalty: 1000, handle: () => Promise.reject(new Error('kaboom later')) });
}

/** The error records logged, as [conn, command, message]. */
function errors(srv: TestServer): Array<[unknown, unknown, unknown]> {
  return srv.logs.filter((r) => r.level === 50).map((r) => [r.conn, r.command, (r.err as { message?: string } | undefined)?.message]);
}

/** The connection id the server gave `link` (from its connect record). */
function connOf(srv: TestServer, link: MemoryLink): unknown {
  return srv.logs.find((r) => r.event === 'connect' && r.port === link.remotePort)?.conn;
}

/** `victim` was closed with ERROR [Internal error], `bystander` saw it QUIT and still chats, the state is whole. */
async function onlyVictimEnded(srv: TestServer, victim: MemoryLink, bystander: MemoryLink | null, nick: string): Promise<void> {
  await nextTurn();
  expect(victim.lines.at(-1)).toMatch(/^ERROR :Closing link: \(\S+\) \[Internal error\]$/);
  expect(victim.ended).toBe(true);
  expect(srv.server.registry.findUser(nick)).toBeUndefined();
  expect(srv.server.registry.checkInvariants()).toEqual([]);
  if (bystander === null) return;
  expect(bystander.lines).toContain(`:${nick}!${nick}@127.0.0.1 QUIT :Internal error`);
  bystander.lines.length = 0;
  bystander.send('PING still-alive\r\n');
  await nextTurn();
  expect(bystander.lines).toContain(':obrol.local PONG obrol.local :still-alive');
}

describe('a fault on the path of a line ends only that connection', () => {
  it('a handler that throws: ERROR to its caller, QUIT to the channel, logged with the connection and verb', async () => {
    install();
    const srv = await server();
    const alice = await user(srv, 'alice');
    const bob = await user(srv, 'bob');
    alice.send('BOOM\r\nPRIVMSG #c :never sent\r\n');
    await onlyVictimEnded(srv, alice, bob, 'alice');
    expect(bob.lines.some((l) => l.includes('never sent'))).toBe(false);
    expect(errors(srv)).toEqual([[connOf(srv, alice), 'BOOM', 'kaboom']]);
    expect(srv.logs.find((r) => r.level === 50)?.msg).toBe('internal error: closing the connection');
  });

  it('a handler whose promise rejects (async completion): the same, and the lines behind it never run', async () => {
    install();
    const srv = await server();
    const alice = await user(srv, 'alice');
    const bob = await user(srv, 'bob');
    alice.send('BOOMLATER\r\nPRIVMSG #c :never sent\r\n');
    await nextTurn();
    await onlyVictimEnded(srv, alice, bob, 'alice');
    expect(bob.lines.some((l) => l.includes('never sent'))).toBe(false);
    expect(errors(srv)).toEqual([[connOf(srv, alice), 'BOOMLATER', 'kaboom later']]);
  });

  it('the framer', async () => {
    const srv = await server();
    const alice = await user(srv, 'alice');
    const bob = await user(srv, 'bob');
    vi.spyOn(LineFramer.prototype, 'push').mockImplementationOnce(() => {
      throw new Error('framer broke');
    });
    alice.send('PRIVMSG #c :hi\r\n');
    await onlyVictimEnded(srv, alice, bob, 'alice');
    expect(errors(srv)).toEqual([[connOf(srv, alice), undefined, 'framer broke']]);
  });

  it('the reply flush and render', async () => {
    const srv = await server();
    const alice = await user(srv, 'alice');
    const bob = await user(srv, 'bob');
    vi.spyOn(ReplyBuffer.prototype, 'flush').mockImplementationOnce(() => {
      throw new Error('render broke');
    });
    alice.send('PING x\r\n');
    await onlyVictimEnded(srv, alice, bob, 'alice');
    expect(errors(srv)).toEqual([[connOf(srv, alice), 'PING', 'render broke']]);
  });

  it('registration completion: the half-registered user is forgotten', async () => {
    const srv = await server();
    const bob = await user(srv, 'bob');
    vi.spyOn(Registry.prototype, 'register').mockImplementationOnce(() => {
      throw new Error('register broke');
    });
    const carol = MemoryLink.attach(srv.server);
    carol.send('NICK carol\r\nUSER carol 0 * :Carol\r\n');
    await onlyVictimEnded(srv, carol, null, 'carol');
    expect(srv.server.connectionCount).toBe(1);
    expect(errors(srv)).toEqual([[connOf(srv, carol), 'USER', 'register broke']]);
    // bob goes on.
    bob.send('PING ok\r\n');
    await nextTurn();
    expect(bob.lines).toContain(':obrol.local PONG obrol.local :ok');
  });

  it('the welcome burst, after the user was registered: removed from the registry again', async () => {
    const srv = await server();
    // The MOTD's lines come pre-rendered (server/welcome.ts): rendering them throws.
    const original = NickLines.prototype.render;
    vi.spyOn(NickLines.prototype, 'render').mockImplementation(function (this: NickLines, nick: string, tag: string) {
      if (original.call(this, nick, tag).includes(' 375 ')) throw new Error('motd broke');
      return original.call(this, nick, tag);
    });
    const carol = MemoryLink.attach(srv.server);
    carol.send('NICK carol\r\nUSER carol 0 * :Carol\r\n');
    await onlyVictimEnded(srv, carol, null, 'carol');
    expect(srv.server.registry.userCount).toBe(0);
    expect(errors(srv)).toEqual([[connOf(srv, carol), 'USER', 'motd broke']]);
  });

  it('registration completing later (after the server password check)', async () => {
    const hash = await hashPassword('letmein');
    const srv = await server({ config: { server: { password: hash } } });
    vi.spyOn(Registry.prototype, 'register').mockImplementationOnce(() => {
      throw new Error('register broke later');
    });
    const carol = MemoryLink.attach(srv.server);
    carol.send('PASS letmein\r\nNICK carol\r\nUSER carol 0 * :Carol\r\n');
    await carol.whenEnded();
    await onlyVictimEnded(srv, carol, null, 'carol');
    expect(srv.server.connectionCount).toBe(0);
    expect(errors(srv)).toEqual([[connOf(srv, carol), 'USER', 'register broke later']]);
  });
});

describe('a fault in a timer ends only the connection it was for', () => {
  it('the keepalive sweep: the other client still gets its PING', async () => {
    const clock = new ManualClock();
    const srv = await server({ clock });
    const alice = await user(srv, 'alice');
    const bob = await user(srv, 'bob');
    const original = Session.prototype.send;
    vi.spyOn(Session.prototype, 'send').mockImplementation(function (this: Session, out: Outgoing) {
      if (this.user.nick === 'alice' && out.message.command === 'PING') throw new Error('ping broke');
      original.call(this, out);
    });
    clock.advance(121_000);
    await nextTurn();
    expect(bob.lines).toContain('PING :obrol.local');
    await onlyVictimEnded(srv, alice, bob, 'alice');
    expect(errors(srv)).toEqual([[connOf(srv, alice), undefined, 'ping broke']]);
  });

  it('the flood-control refill: a command run from the timer that throws', async () => {
    install();
    const clock = new ManualClock();
    // Registering and joining costs 6 units of the 10.
    const srv = await server({ clock, config: { classes: [{ ...UNLIMITED_CLASS, flood_burst: 10, flood_rate: 1 }] } });
    const bob = await user(srv, 'bob');
    const alice = await user(srv, 'alice');
    alice.send(`${'PING x\r\n'.repeat(8)}BOOM\r\n`);
    await nextTurn();
    expect(alice.lines.filter((l) => / PONG /.test(l))).toHaveLength(8);
    expect(alice.ended).toBe(false);
    clock.advance(10_000);
    await onlyVictimEnded(srv, alice, bob, 'alice');
    expect(errors(srv)).toEqual([[connOf(srv, alice), 'BOOM', 'kaboom']]);
  });

  it('the registration timeout, when forgetting the user throws: the session is still released', async () => {
    const clock = new ManualClock();
    const srv = await server({ clock });
    const bob = await user(srv, 'bob');
    const lurker = MemoryLink.attach(srv.server);
    lurker.send('NICK lurker\r\n');
    await nextTurn();
    vi.spyOn(Registry.prototype, 'remove').mockImplementationOnce(() => {
      throw new Error('remove broke');
    });
    clock.advance(61_000);
    await nextTurn();
    expect(lurker.ended).toBe(true);
    expect(lurker.lines.at(-1)).toBe('ERROR :Closing link: (*@127.0.0.1) [Registration timed out]');
    expect(srv.server.connectionCount).toBe(1);
    expect(errors(srv)).toEqual([[connOf(srv, lurker), undefined, 'remove broke']]);
    bob.send('PING ok\r\n');
    await nextTurn();
    expect(bob.lines).toContain(':obrol.local PONG obrol.local :ok');
  });
});

describe('a fault in a socket or listener callback', () => {
  it('accepting a connection: that socket is dropped, the next is accepted', async () => {
    const srv = await server();
    vi.spyOn(Admission.prototype, 'classFor').mockImplementationOnce(() => {
      throw new Error('admission broke');
    });
    const first = MemoryLink.attach(srv.server);
    expect(first.destroyed).toBe(true);
    expect(srv.server.connectionCount).toBe(0);
    const second = await user(srv, 'second');
    expect(second.ended).toBe(false);
    expect(srv.logs.filter((r) => r.level === 50).map((r) => (r.err as { message: string }).message)).toEqual(['admission broke']);
  });

  it('setting up the session, after admission counted it: the count is given back', async () => {
    const srv = await server();
    const admission = (srv.server as unknown as { admission: { sizes: { addresses: number } } }).admission;
    vi.spyOn(Session.prototype, 'send').mockImplementationOnce(() => {
      throw new Error('greeting broke');
    });
    const first = MemoryLink.attach(srv.server);
    expect(first.ended || first.destroyed).toBe(true);
    expect(srv.server.connectionCount).toBe(0);
    expect(admission.sizes.addresses).toBe(0);
    expect(srv.logs.filter((r) => r.level === 50).map((r) => (r.err as { message: string }).message)).toEqual(['greeting broke']);
  });

  it('the peer hanging up, when telling the others throws: released whole all the same', async () => {
    const srv = await server();
    const alice = await user(srv, 'alice');
    const bob = await user(srv, 'bob');
    vi.spyOn(ObrolServer.prototype as unknown as { announceQuit: () => void }, 'announceQuit').mockImplementationOnce(() => {
      throw new Error('quit broke');
    });
    alice.hangUp();
    await nextTurn();
    expect(srv.server.registry.findUser('alice')).toBeUndefined();
    expect(srv.server.registry.checkInvariants()).toEqual([]);
    expect(srv.server.connectionCount).toBe(1);
    expect(errors(srv)).toEqual([[connOf(srv, alice), undefined, 'quit broke']]);
    bob.send('PRIVMSG #c :alone now\r\nPING ok\r\n');
    await nextTurn();
    expect(bob.lines).toContain(':obrol.local PONG obrol.local :ok');
  });
});
