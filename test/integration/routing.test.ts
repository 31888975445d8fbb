/**
 * Routing between several clients in overlapping channels: every delivery
 * arrives once, in the order sent, to exactly the users who should get it.
 * Channels used throughout:
 *
 *   #a: u1 u2 u3 u4      #b: u3 u4 u5 u6      #c: u1 u5      u7: in #z alone
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TestClient } from '../helpers/client.js';
import { startServer, type TestServer } from '../helpers/server.js';

let srv: TestServer;
let clients: TestClient[] = [];
const u: Record<string, TestClient> = {};

const CHANNELS: Record<string, string[]> = {
  '#a': ['u1', 'u2', 'u3', 'u4'],
  '#b': ['u3', 'u4', 'u5', 'u6'],
  '#c': ['u1', 'u5'],
  '#z': ['u7'],
};

beforeEach(async () => {
  srv = await startServer();
  for (let k = 1; k <= 7; k++) {
    const c = await TestClient.register(srv.port, `u${k}`);
    clients.push(c);
    u[`u${k}`] = c;
  }
  for (const [channel, members] of Object.entries(CHANNELS)) {
    for (const nick of members) {
      const c = client(nick);
      c.send(`JOIN ${channel}`);
      await c.expect(new RegExp(` 366 ${nick} ${channel} `));
    }
  }
  await settleAll();
});

afterEach(async () => {
  for (const c of clients) c.close();
  clients = [];
  await srv.stop();
});

function client(nick: string): TestClient {
  const c = u[nick];
  if (!c) throw new Error(`no client ${nick}`);
  return c;
}

function mask(nick: string): string {
  return `${nick}!${nick}@127.0.0.1`;
}

const ALL = ['u1', 'u2', 'u3', 'u4', 'u5', 'u6', 'u7'];

/** Consume what every connected client has been sent so far. */
async function settleAll(): Promise<void> {
  for (const c of clients) if (!c.closed) await c.sync();
}

/**
 * What each client has been sent since the last settle. The actors are synced
 * first: once all their PONGs are back, the server has handled their commands
 * and queued every delivery those caused, so the syncs that follow see all of it.
 */
async function collect(actors: TestClient | TestClient[] | null, nicks = ALL): Promise<Record<string, string[]>> {
  const list = actors === null ? [] : Array.isArray(actors) ? actors : [actors];
  const got = new Map<TestClient, string[]>();
  for (const actor of list) if (!actor.closed) got.set(actor, await actor.sync());
  // An actor may also receive from another actor whose commands were not all
  // handled yet when its own PONG came back: sync everyone (actors too) again.
  const out: Record<string, string[]> = {};
  for (const nick of nicks) {
    const c = client(nick);
    const rest = c.closed ? c.drain() : await c.sync();
    out[nick] = [...(got.get(c) ?? []), ...rest];
  }
  return out;
}

/** The expected map: `line` once for each of `who`, nothing for the others. */
function only(line: string, who: string[], nicks = ALL): Record<string, string[]> {
  return Object.fromEntries(nicks.map((nick) => [nick, who.includes(nick) ? [line] : []]));
}

describe('message order and delivery under load', () => {
  it('delivers 200 interleaved messages from two senders to each member exactly once, in order', async () => {
    // u1 writes alternately to #a and #c; u4 alternately to #a and #b.
    const senders = [
      { nick: 'u1', targets: ['#a', '#c'] },
      { nick: 'u4', targets: ['#a', '#b'] },
    ];
    const perSender = 100;
    const expected: Record<string, Record<string, string[]>> = {};
    for (const nick of ALL) expected[nick] = { u1: [], u4: [] };

    for (let i = 0; i < perSender; i++) {
      for (const { nick, targets } of senders) {
        const target = targets[i % 2] as string;
        const line = `PRIVMSG ${target} :${nick} message ${i}`;
        client(nick).send(line);
        for (const member of CHANNELS[target] as string[]) {
          if (member !== nick) expected[member]![nick]!.push(`:${mask(nick)} ${line}`);
        }
      }
    }
    const received = await collect([client('u1'), client('u4')]);

    let total = 0;
    for (const nick of ALL) {
      const lines = received[nick] as string[];
      // Nothing but these PRIVMSGs arrived.
      expect(lines.every((l) => / PRIVMSG /.test(l)), nick).toBe(true);
      for (const sender of ['u1', 'u4']) {
        const fromSender = lines.filter((l) => l.startsWith(`:${mask(sender)} `));
        expect(fromSender, `${nick} from ${sender}`).toEqual(expected[nick]![sender]);
        total += fromSender.length;
      }
      expect(lines.length, nick).toBe(expected[nick]!.u1!.length + expected[nick]!.u4!.length);
    }
    // u2: 50 + 50 in #a; u3: 50 + 100; u4: 50 (+ none of its own); u5: 50 + 50; u6: 50; u1: 50 from u4.
    expect(total).toBe(50 + 100 + 150 + 50 + 100 + 50);
  });

  it('keeps each sender in order when the lines of many commands arrive in one write', async () => {
    const burst = Array.from({ length: 50 }, (_, i) => `PRIVMSG #b :burst ${i}\r\n`).join('');
    client('u3').write(burst);
    client('u6').write(Array.from({ length: 50 }, (_, i) => `PRIVMSG u5 :direct ${i}\r\n`).join(''));
    const got = await collect([client('u3'), client('u6')], ['u4', 'u5', 'u6']);
    const fromU3 = Array.from({ length: 50 }, (_, i) => `:${mask('u3')} PRIVMSG #b :burst ${i}`);
    const fromU6 = Array.from({ length: 50 }, (_, i) => `:${mask('u6')} PRIVMSG u5 :direct ${i}`);
    expect(got.u4).toEqual(fromU3);
    expect(got.u5?.filter((l) => l.startsWith(`:${mask('u3')}`))).toEqual(fromU3);
    expect(got.u5?.filter((l) => l.startsWith(`:${mask('u6')}`))).toEqual(fromU6);
    expect(got.u6).toEqual(fromU3);
  });
});

describe('NICK', () => {
  it('is seen once by the user and by each peer, however many channels they share, and not by strangers', async () => {
    // u3 shares #a with u1 u2 u4 and #b with u4 u5 u6: u4 shares both.
    client('u3').send('NICK newname');
    const got = await collect(client('u3'));
    expect(got).toEqual(only(`:${mask('u3')} NICK :newname`, ['u1', 'u2', 'u3', 'u4', 'u5', 'u6']));
  });

  it('changes the source of later messages', async () => {
    client('u3').send('NICK newname');
    await collect(client('u3'));
    client('u3').send('PRIVMSG #a :after');
    const got = await collect(client('u3'), ['u1', 'u2', 'u4']);
    for (const nick of ['u1', 'u2', 'u4']) expect(got[nick]).toEqual([':newname!u3@127.0.0.1 PRIVMSG #a :after']);
  });

  it('of a user in no channel is seen by that user only', async () => {
    client('u2').send('PART #a');
    await collect(client('u2'));
    client('u2').send('NICK lonely');
    expect(await collect(client('u2'))).toEqual(only(`:${mask('u2')} NICK :lonely`, ['u2']));
  });

  it('that changes only the case is still announced once', async () => {
    client('u5').send('NICK U5');
    expect(await collect(client('u5'))).toEqual(only(`:${mask('u5')} NICK :U5`, ['u1', 'u3', 'u4', 'u5', 'u6']));
  });
});

describe('QUIT', () => {
  it('is seen once by each peer, however many channels they share, and not by strangers', async () => {
    const quitter = client('u4');
    await quitter.quit('gone for good');
    const got = await collect(null, ALL.filter((n) => n !== 'u4'));
    const line = `:${mask('u4')} QUIT :Quit: gone for good`;
    expect(got).toEqual(
      only(
        line,
        ['u1', 'u2', 'u3', 'u5', 'u6'],
        ALL.filter((n) => n !== 'u4'),
      ),
    );
    // The quitter got ERROR, and is gone from the channels.
    expect(quitter.received.at(-1)).toBe('ERROR :Closing link: (u4@127.0.0.1) [Quit: gone for good]');
    client('u3').send('NAMES #a,#b');
    expect(await client('u3').sync()).toEqual([
      ':obrol.local 353 u3 = #a :@u1 u2 u3',
      ':obrol.local 353 u3 = #b :@u3 u5 u6',
      ':obrol.local 366 u3 #a,#b :End of /NAMES list',
    ]);
  });

  it('is seen by peers when the connection just drops', async () => {
    client('u5').close();
    await client('u5').waitClosed();
    // Wait until the server has noticed: u6 (who shares #b) sees the QUIT.
    const quit = await client('u6').expect(/ QUIT /);
    expect(quit).toMatch(/^:u5!u5@127\.0\.0\.1 QUIT :/);
    const others = ALL.filter((n) => n !== 'u5' && n !== 'u6');
    const got = await collect(null, others);
    expect(got).toEqual(only(quit, ['u1', 'u3', 'u4'], others));
  });
});

describe('PART and KICK', () => {
  it('PART is seen only by the members of that channel', async () => {
    client('u3').send('PART #b :leaving b');
    expect(await collect(client('u3'))).toEqual(only(`:${mask('u3')} PART #b :leaving b`, ['u3', 'u4', 'u5', 'u6']));
  });

  it('KICK is seen only by the members of that channel, the target included', async () => {
    // u3 created #b, so it is the operator there.
    client('u3').send('KICK #b u4 :out of b');
    expect(await collect(client('u3'))).toEqual(only(`:${mask('u3')} KICK #b u4 :out of b`, ['u3', 'u4', 'u5', 'u6']));
    // u4 is still in #a and still gets its messages, but no longer #b's.
    client('u5').send('PRIVMSG #b :b only');
    client('u1').send('PRIVMSG #a :a only');
    const got = await collect([client('u5'), client('u1')], ['u4']);
    expect(got.u4).toEqual([`:${mask('u1')} PRIVMSG #a :a only`]);
  });

  it('a channel message after a PART no longer reaches the one who left', async () => {
    client('u1').send('PART #c');
    await collect(client('u1'));
    client('u5').send('PRIVMSG #c :anyone?');
    // u1 left; u5 is the only member left, and senders get no echo.
    expect(await collect(client('u5'))).toEqual(Object.fromEntries(ALL.map((nick) => [nick, []])));
  });
});
