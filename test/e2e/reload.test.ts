/**
 * Scenario (c): SIGHUP reloads the config file without dropping anyone; a
 * broken file is refused and the running config stays.
 */
import { dirname } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanupCli, startCli, TelnetUser, writeConfig, type CliServer } from '../helpers/cli.js';

afterEach(cleanupCli);

function configWith(server: CliServer, description: string): Record<string, unknown> {
  return { server: { description }, listen: { host: '127.0.0.1', port: server.port } };
}

async function whoisServerLine(user: TelnetUser, nick: string): Promise<string> {
  user.send(`WHOIS ${nick}`);
  const line = await user.expect(/ 312 /);
  await user.expect(new RegExp(` 318 ${user.nick} ${nick} `));
  return line;
}

describe('e2e: SIGHUP reloads the configuration', { timeout: 30_000 }, () => {
  it('applies a new server.description to a client that stays connected', async () => {
    const server = await startCli({ config: { server: { description: 'Before the reload' } } });
    const alice = await TelnetUser.register(server.port, 'alice');
    expect(await whoisServerLine(alice, 'alice')).toBe(':obrol.local 312 alice alice obrol.local :Before the reload');

    writeConfig(configWith(server, 'After the reload'), dirname(server.configPath as string));
    const mark = server.logs.length;
    server.signal('SIGHUP');
    await server.waitForLog('rehash', 5000, mark);
    expect(server.logs.slice(mark).find((r) => r.event === 'signal')).toMatchObject({ signal: 'SIGHUP' });

    expect(await whoisServerLine(alice, 'alice')).toBe(':obrol.local 312 alice alice obrol.local :After the reload');
    expect(alice.closed).toBe(false);
    expect(server.exited).toBe(false);
    // Still a working session: a newcomer can talk to her.
    const bob = await TelnetUser.register(server.port, 'bob');
    bob.send('PRIVMSG alice :still there?');
    expect(await alice.expect(/ PRIVMSG /)).toBe(':bob!bob@127.0.0.1 PRIVMSG alice :still there?');
    expect(server.logs.slice(mark).some((r) => r.event === 'disconnect')).toBe(false);
  });

  it('keeps the running configuration when the new file is invalid', async () => {
    const server = await startCli({ config: { server: { description: 'Good config' } } });
    const alice = await TelnetUser.register(server.port, 'alice');

    writeConfig('server:\n  description: Broken\n  no_such_key: 1\n', dirname(server.configPath as string));
    const mark = server.logs.length;
    server.signal('SIGHUP');
    const failed = await server.waitForLog('rehash-failed', 5000, mark);
    expect(JSON.stringify(failed.problems)).toContain('no_such_key');

    expect(await whoisServerLine(alice, 'alice')).toBe(':obrol.local 312 alice alice obrol.local :Good config');
    expect(server.exited).toBe(false);
    expect(await server.stop()).toEqual({ code: 0, signal: null });
  });
});
