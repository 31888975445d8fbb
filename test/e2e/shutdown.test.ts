/**
 * Scenario (b): SIGTERM (and SIGINT) to the built server. Every client gets
 * `ERROR :Closing link: ... [Server shutting down]` and is disconnected, and
 * the process exits 0 within a few seconds.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { cleanupCli, startCli, TelnetUser } from '../helpers/cli.js';

afterEach(cleanupCli);

describe('e2e: graceful shutdown on a signal', { timeout: 30_000 }, () => {
  it('SIGTERM tells every client why, closes them and exits 0', async () => {
    const server = await startCli();
    const alice = await TelnetUser.register(server.port, 'alice');
    const bob = await TelnetUser.register(server.port, 'bob');
    alice.send('JOIN #bye');
    await alice.expect(/ 366 alice #bye /);
    bob.send('JOIN #bye');
    await bob.expect(/ 366 bob #bye /);
    // A connection that never registered is told too.
    const lurker = await TelnetUser.connect(server.port);
    await lurker.expect(/^:obrol\.local NOTICE \* :\*\*\* Welcome to Obrol/);

    const started = Date.now();
    server.signal('SIGTERM');
    expect(await alice.expect(/^ERROR /)).toBe('ERROR :Closing link: (alice@127.0.0.1) [Server shutting down]');
    expect(await bob.expect(/^ERROR /)).toBe('ERROR :Closing link: (bob@127.0.0.1) [Server shutting down]');
    expect(await lurker.expect(/^ERROR /)).toBe('ERROR :Closing link: (*@127.0.0.1) [Server shutting down]');
    await Promise.all([alice.waitClosed(), bob.waitClosed(), lurker.waitClosed()]);

    expect(await server.waitForExit(5000)).toEqual({ code: 0, signal: null });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(server.logs.find((r) => r.event === 'signal')).toMatchObject({ signal: 'SIGTERM' });
    expect(server.logs.find((r) => r.event === 'stopping')).toMatchObject({ reason: 'Server shutting down' });
    expect(server.logs.some((r) => r.event === 'stopped')).toBe(true);
    expect(server.stderr).toBe('');
  });

  it('SIGINT (Ctrl-C) shuts down the same way', async () => {
    const server = await startCli();
    const alice = await TelnetUser.register(server.port, 'alice');
    server.signal('SIGINT');
    expect(await alice.expect(/^ERROR /)).toBe('ERROR :Closing link: (alice@127.0.0.1) [Server shutting down]');
    await alice.waitClosed();
    expect(await server.waitForExit(5000)).toEqual({ code: 0, signal: null });
    expect(server.logs.find((r) => r.event === 'signal')).toMatchObject({ signal: 'SIGINT' });
  });

  it('exits 0 at once when nobody is connected', async () => {
    const server = await startCli();
    expect(await server.stop(5000)).toEqual({ code: 0, signal: null });
    expect(server.logs.some((r) => r.event === 'stopped')).toBe(true);
  });
});
