/**
 * The send queue (src/net/connection.ts): a client that stops reading is
 * disconnected with "SendQ exceeded" once the output waiting for it passes its
 * class's sendq_bytes, and nobody else is slowed down on its account.
 *
 * Loopback kernel buffers take several MB before the server sees any
 * backpressure, so the senders keep chatting, in paced rounds, until the slow
 * reader is gone (with a cap, so a server that never drops it fails here).
 *
 * "Nobody else is slowed down" is checked without a stopwatch: the slow
 * reader never reads again, so whatever waited for its queue to drain would
 * wait forever. Rounds that begin with the server holding output for it must
 * still reach every other reader in full, and a client outside the channel
 * must get its answer while that output waits.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Session } from '../../../src/server/session.js';
import { TestClient } from '../../helpers/client.js';
import { startServer, type TestServer } from '../../helpers/server.js';

const SENDQ = 65_536;
/**
 * Lines (of about 420 bytes) per sender per round, and the most rounds before
 * giving up (about 40 MB for the slow reader). A round stays well under the
 * sendq for each reader: output queued within one turn of the event loop
 * counts towards the sendq too.
 */
const PER_ROUND = 30;
const MAX_ROUNDS = 1000;
const PADDING = 'x'.repeat(380);

let servers: TestServer[] = [];
let clients: TestClient[] = [];

afterEach(async () => {
  for (const c of clients) c.close();
  clients = [];
  await Promise.all(servers.map((s) => s.stop()));
  servers = [];
});

async function register(srv: TestServer, nick: string): Promise<TestClient> {
  const c = await TestClient.register(srv.port, nick);
  clients.push(c);
  return c;
}

async function join(c: TestClient, channel: string): Promise<void> {
  c.send(`JOIN ${channel}`);
  await c.expect(new RegExp(` 366 ${c.nick} ${channel} `));
}

/**
 * Follows one reader's channel traffic as it arrives: the message tokens from
 * each sender, in arrival order, and whether the slow reader's QUIT was seen.
 */
class Reader {
  readonly tokens = new Map<string, string[]>();
  readonly quits: string[] = [];
  private seen = 0;
  private waiters: Array<() => void> = [];

  constructor(readonly client: TestClient) {
    client.socket.on('data', () => this.update());
    client.socket.on('close', () => this.wake());
  }

  private update(): void {
    const received = this.client.received;
    for (; this.seen < received.length; this.seen++) {
      const line = received[this.seen] as string;
      const m = /^:(\w+)!\S+ PRIVMSG #busy :(\S+) x+$/.exec(line);
      if (m) {
        const list = this.tokens.get(m[1] as string) ?? [];
        list.push(m[2] as string);
        this.tokens.set(m[1] as string, list);
      } else if (/ QUIT /.test(line)) {
        this.quits.push(line);
      }
    }
    // Lines are checked here, not through expect(): keep the client's own queue short.
    this.client.drain();
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  count(sender: string): number {
    return this.tokens.get(sender)?.length ?? 0;
  }

  /** Resolves once `cond` holds; fails after the timeout or if the connection closes. */
  async until(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!cond()) {
      if (this.client.closed) throw new Error(`${this.client.nick} closed while waiting for ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.client.nick}: timed out waiting for ${what}; last received: ${this.client.received.slice(-3).join(' / ').slice(0, 600)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

describe('send queue', () => {
  it('a client that stops reading is dropped with SendQ exceeded; the others keep every message, in order, while its output waits', async () => {
    const srv = await startServer({
      config: {
        classes: [
          {
            name: 'small-sendq',
            hosts: ['*'],
            sendq_bytes: SENDQ,
            flood_rate: 0,
            max_per_ip: 1000,
            max_per_cidr: 1000,
            connects_per_minute: 100_000,
          },
        ],
      },
    });
    servers.push(srv);
    const slow = await register(srv, 'slow');
    const senders = await Promise.all(['s1', 's2', 's3'].map((nick) => register(srv, nick)));
    const probe = await register(srv, 'probe');
    await join(slow, '#busy');
    for (const s of senders) await join(s, '#busy');
    // Everyone has seen every JOIN; from here the slow client reads nothing.
    for (const s of senders) await s.sync();
    await slow.sync();
    slow.socket.pause();
    const readers = senders.map((s) => new Reader(s));

    // What the server holds for the slow client (-1 once it is gone), sampled all along.
    const slowPending = () => {
      const session = srv.server.registry.findUser('slow')?.endpoint as Session | null | undefined;
      return session ? session.conn.pendingOutputBytes : -1;
    };
    let maxPending = 0;
    const sample = () => {
      maxPending = Math.max(maxPending, slowPending());
    };
    const sampler = setInterval(sample, 1);

    const sent = new Map<string, string[]>(senders.map((s) => [s.nick, []]));
    let rounds = 0;
    /** Rounds that began with output waiting for the slow reader, and were served in full all the same. */
    let backedUpRounds = 0;
    try {
      while (rounds < MAX_ROUNDS && readers[0]?.quits.length === 0) {
        rounds++;
        const backedUp = slowPending() > 0;
        if (backedUp) {
          // Nothing new for the slow reader: it stays connected, its output waiting, while the probe is answered.
          probe.send(`PING idle-${rounds}`);
          await probe.expect(`:idle-${rounds}`);
          expect(slowPending()).not.toBe(-1);
        }
        for (const s of senders) {
          const list = sent.get(s.nick) as string[];
          let batch = '';
          for (let k = 1; k <= PER_ROUND; k++) {
            const token = `${s.nick}-${rounds}-${k}`;
            list.push(token);
            batch += `PRIVMSG #busy :${token} ${PADDING}\r\n`;
          }
          s.write(batch);
        }
        // A round trip from a client outside the channel, while the round is relayed.
        probe.send(`PING probe-${rounds}`);
        await probe.expect(`:probe-${rounds}`);
        // Every reader has every message of the round before the next one starts.
        for (const r of readers) {
          for (const s of senders) {
            if (s === r.client) continue;
            await r.until(() => r.count(s.nick) >= rounds * PER_ROUND, `round ${rounds} from ${s.nick}`);
          }
        }
        // The round has been relayed: what the kernel did not take for the slow client waits in the server.
        sample();
        if (backedUp) backedUpRounds++;
      }
    } finally {
      clearInterval(sampler);
    }

    // The slow reader was dropped, and everyone in the channel was told why.
    for (const r of readers) {
      await r.until(() => r.quits.length > 0, 'the QUIT of the slow reader');
      expect(r.quits).toEqual([':slow!slow@127.0.0.1 QUIT :SendQ exceeded']);
    }
    expect(srv.server.registry.findUser('slow')).toBeUndefined();
    // It went well past what the kernel buffers hold, yet the server never held more than the sendq for it.
    expect(rounds).toBeGreaterThan(1);
    expect(maxPending).toBeGreaterThan(0);
    expect(maxPending).toBeLessThanOrEqual(SENDQ);
    // The others were not held up: at least one round (the one after the
    // server first held output for the slow reader) began with its output
    // waiting and was still served in full; every message arrived, in order.
    expect(backedUpRounds).toBeGreaterThanOrEqual(1);
    for (const r of readers) {
      for (const s of senders) {
        if (s === r.client) continue;
        expect(r.tokens.get(s.nick)).toEqual(sent.get(s.nick));
      }
      expect(r.client.closed).toBe(false);
    }

    // When the slow client reads again: what it got is the start of the
    // conversation, in order, then the ERROR, then the link closes.
    const slowReader = new Reader(slow);
    slow.socket.resume();
    await slow.waitClosed(10_000);
    expect(slow.received.at(-1)).toBe('ERROR :Closing link: (slow@127.0.0.1) [SendQ exceeded]');
    for (const s of senders) {
      const got = slowReader.tokens.get(s.nick) ?? [];
      expect(got).toEqual((sent.get(s.nick) as string[]).slice(0, got.length));
    }
  });
});
