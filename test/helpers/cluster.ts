/**
 * Several real `obrol` processes forming one network over a private
 * redis-server, for fault-injection tests: each node is the built CLI
 * (startCli) on its own free port with its own server.name, a short
 * cluster.node_timeout and a key prefix of its own per network.
 *
 *   const net = await startNetwork(['a.obrol.test', 'b.obrol.test']);
 *   const alice = await TestClient.register(net.nodes[0].port, 'alice');
 *   net.nodes[1].server.signal('SIGSTOP');
 *
 * Only PIDs started here (through startCli and startRedis) are signalled;
 * stopNetwork() (in afterEach, with cleanupCli) ends them.
 *
 * Also: names() asks NAMES and returns the nicks; waitFor() polls a
 * condition with a deadline (for state that no one line announces).
 */
import { randomBytes } from 'node:crypto';
import { startCli, type CliServer } from './cli.js';
import { TestClient } from './client.js';
import { startRedis, type TestRedis } from './redis.js';
import { UNLIMITED_CLASS } from './server.js';

/** No flood control or connection limits, and room for a few hundred lines read at once. */
const CLASS = { ...UNLIMITED_CLASS, recvq_bytes: 256 * 1024 };

export interface Node {
  readonly name: string;
  readonly server: CliServer;
  readonly port: number;
}

export interface Network {
  readonly redis: TestRedis;
  readonly nodes: Node[];
  readonly keyPrefix: string;
}

const networks = new Set<Network>();

export async function startNetwork(names: string[], nodeTimeout = 1): Promise<Network> {
  const redis = await startRedis();
  const keyPrefix = `t${randomBytes(3).toString('hex')}:`;
  const network: Network = { redis, nodes: [], keyPrefix };
  networks.add(network);
  const started = await Promise.all(
    names.map((name) =>
      startCli({
        config: {
          server: { name },
          classes: [CLASS],
          log: { level: 'info', format: 'json' },
          cluster: { redis: redis.url, node_timeout: nodeTimeout, key_prefix: keyPrefix },
        },
        timeoutMs: 15_000,
      }),
    ),
  );
  started.forEach((server, k) => network.nodes.push({ name: names[k] as string, server, port: server.port }));
  // Every node has seen every other (its lease heartbeat logged node-up for each).
  await Promise.all(
    network.nodes.map((node) =>
      waitFor(() => node.server.logs.filter((r) => r.event === 'node-up').length >= names.length - 1, `${node.name} to see the other nodes`, 10_000),
    ),
  );
  return network;
}

/** For afterEach, after cleanupCli (which kills the obrol processes): stop every redis-server started here. */
export async function stopNetworks(): Promise<void> {
  for (const network of [...networks]) {
    networks.delete(network);
    // SIGCONT first, in case a test left a node stopped; cleanupCli's SIGKILL works on stopped processes anyway.
    for (const node of network.nodes) {
      if (!node.server.exited) {
        try {
          node.server.signal('SIGCONT');
        } catch {
          // gone
        }
      }
    }
    await network.redis.stop().catch(() => {});
  }
}

/** Poll `cond` every 25 ms until it holds; fail after the timeout. Returns how long it took. */
export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (await cond()) return Date.now() - start;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** NAMES for `channel` as `client` sees it: the nicks, without status prefixes, sorted. */
export async function names(client: TestClient, channel: string, timeoutMs = 3000): Promise<string[]> {
  client.send(`NAMES ${channel}`);
  const nicks: string[] = [];
  for (;;) {
    const line = await client.expect((l) => new RegExp(` (353|366) ${client.nick} `).test(l), timeoutMs);
    if (/ 366 /.test(line)) break;
    const list = line.slice(line.indexOf(' :', line.indexOf(' 353 ')) + 2);
    for (const entry of list.split(' ')) if (entry !== '') nicks.push(entry.replace(/^[~&@%+]+/, ''));
  }
  return nicks.sort();
}

/** Poll NAMES on every client until each sees exactly `expected`; fail with what each saw. Returns the time taken. */
export async function namesConverge(clients: TestClient[], channel: string, expected: string[], timeoutMs = 5000): Promise<number> {
  const want = [...expected].sort();
  let last: string[][] = [];
  try {
    return await waitFor(
      async () => {
        last = await Promise.all(clients.map((c) => names(c, channel)));
        return last.every((seen) => JSON.stringify(seen) === JSON.stringify(want));
      },
      `NAMES ${channel} to be ${want.join(' ')}`,
      timeoutMs,
    );
  } catch (err) {
    const seen = clients.map((c, k) => `${c.nick}: ${(last[k] ?? []).join(' ')}`).join('\n');
    throw new Error(`${(err as Error).message}\nlast seen:\n${seen}`);
  }
}

/** The PRIVMSG texts to `target` that `client` has received from `from` so far (in order). */
export function messagesFrom(client: TestClient, from: string, target: string): string[] {
  const prefix = `:${from}!`;
  const marker = ` PRIVMSG ${target} :`;
  const texts: string[] = [];
  for (const line of client.received) {
    if (!line.startsWith(prefix)) continue;
    const at = line.indexOf(marker);
    if (at >= 0) texts.push(line.slice(at + marker.length));
  }
  return texts;
}

/** Every line `client` has received so far that is a QUIT of `nick`. */
export function quitsOf(client: TestClient, nick: string): string[] {
  return client.received.filter((line) => line.startsWith(`:${nick}!`) && / QUIT /.test(line));
}
