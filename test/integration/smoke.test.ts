import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TestClient } from '../helpers/client.js';
import { startServer, type TestServer } from '../helpers/server.js';

describe('two clients in a channel', () => {
  let srv: TestServer;
  const clients: TestClient[] = [];
  beforeEach(async () => {
    srv = await startServer();
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await srv.stop();
  });

  it('relays a channel message from one to the other, not back to the sender', async () => {
    const alice = await TestClient.register(srv.port, 'alice');
    const bob = await TestClient.register(srv.port, 'bob');
    clients.push(alice, bob);
    alice.send('JOIN #obrol');
    await alice.expect(/ 366 alice #obrol /);
    bob.send('JOIN #obrol');
    await bob.expect(/ 366 bob #obrol /);
    expect(await alice.expect(/JOIN/)).toBe(':bob!bob@127.0.0.1 JOIN :#obrol');
    alice.send('PRIVMSG #obrol :hello bob');
    expect(await bob.expect(/PRIVMSG/)).toBe(':alice!alice@127.0.0.1 PRIVMSG #obrol :hello bob');
    expect((await alice.sync()).filter((l) => l.includes('PRIVMSG'))).toEqual([]);
  });
});
