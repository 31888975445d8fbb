/**
 * `obrol account-add NAME`: an operator creates an account from the command
 * line (the password on standard input), even one whose password would not
 * fit in a REGISTER line, beside a running server that then logs it in.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanupCli, freePort, runCli, startCli, tempDir, writeConfig } from '../helpers/cli.js';
import { TestClient } from '../helpers/client.js';

afterEach(cleanupCli);

describe('e2e: obrol account-add', { timeout: 30_000 }, () => {
  it('creates an account a running server logs in, and names every refusal', async () => {
    const dir = tempDir();
    const configPath = writeConfig({ store: { path: join(dir, 'obrol.db') }, log: { level: 'info', format: 'json' } }, dir);
    const port = await freePort();
    await startCli({ configPath, port, args: ['--port', String(port)] });

    const long = 'p'.repeat(600);
    const made = await runCli(['account-add', 'longpass', '--config', configPath], { input: `${long}\n` });
    expect(made).toMatchObject({ code: 0, stderr: '' });
    expect(made.stdout).toBe(`account longpass created in ${join(dir, 'obrol.db')}\n`);

    // The running server logs it in with SASL PLAIN: the 600-byte password is sent in 400-byte chunks.
    const client = await TestClient.connect(port);
    client.send('CAP REQ :sasl');
    await client.expect(/ACK/);
    client.send('AUTHENTICATE PLAIN');
    await client.expect(/AUTHENTICATE :?\+/);
    const payload = Buffer.from(`longpass\0longpass\0${long}`).toString('base64');
    for (let at = 0; at < payload.length; at += 400) client.send(`AUTHENTICATE ${payload.slice(at, at + 400)}`);
    if (payload.length % 400 === 0) client.send('AUTHENTICATE +');
    await client.expect(/ 903 /);
    client.close();

    expect(await runCli(['account-add', 'longpass', '--config', configPath], { input: 'another1\n' })).toMatchObject({ code: 73, stderr: 'obrol account-add: the account longpass already exists\n' });
    expect(await runCli(['account-add', '#bad', '--config', configPath], { input: 'another1\n' })).toMatchObject({ code: 65 });
    expect((await runCli(['account-add', 'short', '--config', configPath], { input: 'abc\n' })).stderr).toMatch(/at least 5 characters/);
    const memory = writeConfig({ store: { backend: 'memory' } });
    expect(await runCli(['account-add', 'x', '--config', memory], { input: 'another1\n' })).toMatchObject({ code: 78, stderr: 'obrol account-add: store.backend is memory: there is no data file to add the account to\n' });
  });
});
