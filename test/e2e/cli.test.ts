/**
 * Scenario (d): the `obrol` command itself: help and version, check-config on
 * good and bad files, environment and flag overrides, hash-password, a busy
 * port, and the JSON log lines a service manager collects.
 */
import { X509Certificate } from 'node:crypto';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeCerts, tlsSocket, type TestCerts } from '../helpers/certs.js';
import { cleanupCli, freePort, REPO_ROOT, runCli, startCli, TelnetUser, tempDir, writeConfig } from '../helpers/cli.js';

const EXIT_CONFIG = 78;
const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };

const blockers: Server[] = [];
afterEach(async () => {
  await cleanupCli();
  for (const blocker of blockers.splice(0)) await new Promise((done) => blocker.close(done));
});

describe('e2e cli: help and version', { timeout: 30_000 }, () => {
  it('--help exits 0 and lists the commands and options', async () => {
    const result = await runCli(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^obrol \[command\] \[options\]\n\nObrol, an IRC server\. With no command, runs the server\./);
    for (const text of ['obrol check-config', 'obrol print-config', 'obrol hash-password [password]', '--config', '--port', '--host', '--log-level']) {
      expect(result.stdout).toContain(text);
    }
    expect(result.stderr).toBe('');
  });

  it('--version exits 0 and prints the package version', async () => {
    const result = await runCli(['--version']);
    expect(result).toMatchObject({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });
  });

  it('rejects an unknown option with a usage error', async () => {
    const result = await runCli(['--frobnicate']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('Unknown argument: frobnicate');
  });
});

describe('e2e cli: check-config', { timeout: 30_000 }, () => {
  it('accepts a valid file and names it', async () => {
    const path = writeConfig({ server: { name: 'irc.example.org' }, listen: { port: 7000 } });
    expect(await runCli(['check-config', '--config', path])).toMatchObject({ code: 0, stdout: `configuration ok: ${path}\n`, stderr: '' });
  });

  it('accepts the documented conf/obrol.yaml', async () => {
    const path = join(REPO_ROOT, 'conf/obrol.yaml');
    expect(await runCli(['check-config', '--config', path])).toMatchObject({ code: 0, stdout: `configuration ok: ${path}\n` });
  });

  it('reads the file named by OBROL_CONFIG', async () => {
    const path = writeConfig({ server: { name: 'env.example.org' } });
    const result = await runCli(['print-config'], { env: { OBROL_CONFIG: path } });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('name: env.example.org');
  });

  const invalid: Array<{ name: string; yaml?: string; missing?: true; expected: (path: string) => string[] }> = [
    { name: 'an unknown key', yaml: 'listen:\n  port: 6667\n  prot: 7000\n', expected: () => ['listen', '"prot"'] },
    { name: 'a bad value', yaml: 'listen:\n  port: 70000\n', expected: () => ['listen.port'] },
    { name: 'a wrong type', yaml: 'log:\n  level: loud\n', expected: () => ['log.level'] },
    {
      name: 'a plain-text oper password',
      yaml: 'opers:\n  - name: alice\n    password: hunter2\n    hosts: ["*@127.0.0.1"]\n',
      expected: () => ['opers[0].password', 'hash-password'],
    },
    { name: 'a YAML syntax error', yaml: 'server:\n  name: [obrol.local\n', expected: (path) => [path, 'not valid YAML'] },
    { name: 'a missing file', missing: true, expected: (path) => [path, 'no such file'] },
  ];

  for (const testCase of invalid) {
    it(`exits ${EXIT_CONFIG} on ${testCase.name}, naming it on stderr, for check-config and for the server`, async () => {
      const path = testCase.missing ? join(writeConfig('', undefined, 'present.yaml'), '..', 'absent.yaml') : writeConfig(testCase.yaml as string);
      const commands = [['check-config', '--config', path], ['--config', path]];
      const results = await Promise.all(commands.map((args) => runCli(args)));
      for (const [k, result] of results.entries()) {
        expect(result.code, `obrol ${commands[k]?.join(' ')}\n${result.stderr}`).toBe(EXIT_CONFIG);
        expect(result.stderr).toMatch(/^obrol: invalid configuration\n/);
        for (const text of testCase.expected(path)) expect(result.stderr).toContain(text);
        // Nothing started: no log line at all, so no `listening`.
        expect(result.stdout).toBe('');
      }
    });
  }

  it('rejects an invalid OBROL_LISTEN__PORT the same way', async () => {
    const path = writeConfig({});
    const commands = [['check-config', '--config', path], ['--config', path]];
    for (const result of await Promise.all(commands.map((args) => runCli(args, { env: { OBROL_LISTEN__PORT: 'not-a-port' } })))) {
      expect(result.code).toBe(EXIT_CONFIG);
      expect(result.stderr).toContain('listen.port');
      expect(result.stdout).toBe('');
    }
  });

  it('applies a valid OBROL_LISTEN__PORT over the file', async () => {
    const port = await freePort();
    const server = await startCli({ config: { listen: { port: 1 } }, env: { OBROL_LISTEN__PORT: String(port) }, port });
    expect(server.port).toBe(port);
    await TelnetUser.register(port, 'envy');
  });
});

describe('e2e cli: running the server', { timeout: 30_000 }, () => {
  it('--port overrides listen.port from the file', async () => {
    const [filePort, flagPort] = [await freePort(), await freePort()];
    const server = await startCli({ config: { listen: { port: filePort } }, args: ['--port', String(flagPort)], port: flagPort });
    expect(server.logs.find((r) => r.event === 'listening')).toMatchObject({ host: '127.0.0.1', port: flagPort });
    const alice = await TelnetUser.register(flagPort, 'alice');
    expect(alice.closed).toBe(false);
  });

  it.each([
    [['--redis', 'localhost:6379'], 'cluster.redis: must be a redis:// or rediss:// URL'],
    [['--workers', 'many'], 'cluster.workers: must be a whole number from 1 to 256, or "auto"'],
    [['--workers', '0'], 'cluster.workers: must be a whole number from 1 to 256, or "auto"'],
  ])('%j is refused before anything starts, naming the key', async (args, message) => {
    const result = await runCli([...args, '--config', writeConfig({})]);
    expect(result.code).toBe(EXIT_CONFIG);
    expect(result.stderr).toContain(message);
  });

  it('hash-password reads stdin and prints a scrypt hash that an oper block accepts', async () => {
    const hashed = await runCli(['hash-password'], { input: 'correct horse battery\n' });
    expect(hashed.code).toBe(0);
    expect(hashed.stdout).toMatch(/^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/]+=*\$[A-Za-z0-9+/]+=*\n$/);
    const hash = hashed.stdout.trim();
    // Salted: the same password hashes differently each time.
    expect((await runCli(['hash-password'], { input: 'correct horse battery\n' })).stdout.trim()).not.toBe(hash);

    const config = { opers: [{ name: 'alice', password: hash, hosts: ['*@127.0.0.1'] }] };
    const path = writeConfig(config);
    expect((await runCli(['check-config', '--config', path])).code).toBe(0);

    const server = await startCli({ config });
    const alice = await TelnetUser.register(server.port, 'alice');
    alice.send('OPER alice wrong horse');
    expect(await alice.expect(/ 464 /)).toBe(':obrol.local 464 alice :Password incorrect');
    alice.send('OPER alice :correct horse battery');
    expect(await alice.expect(/ 381 /)).toBe(':obrol.local 381 alice :You are now an IRC operator');
    // The password never reaches the log.
    expect(JSON.stringify(server.logs)).not.toContain('correct horse');
  });

  it('hash-password refuses an empty password', async () => {
    const result = await runCli(['hash-password'], { input: '\n' });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toBe('obrol: empty password\n');
    expect(result.stdout).toBe('');
  });

  it('exits non-zero with a clear message when the port is in use', async () => {
    const blocker = createServer();
    blockers.push(blocker);
    await new Promise<void>((done) => blocker.listen(0, '127.0.0.1', done));
    const port = (blocker.address() as { port: number }).port;
    const path = writeConfig({ listen: { host: '127.0.0.1', port } });
    const result = await runCli(['--config', path]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`obrol: cannot listen on 127.0.0.1:${port}: the address is already in use\n`);
    const records = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records.find((r) => r.event === 'start-failed')).toMatchObject({ level: 60 });
    expect(records.some((r) => r.event === 'listening')).toBe(false);
  });

  it('falls back to Node sockets when the native transport is unavailable, and says why', async () => {
    const server = await startCli({ env: { OBROL_NO_NATIVE: '1' } });
    expect(server.logs.find((r) => r.event === 'transport-fallback')).toMatchObject({ reason: 'OBROL_NO_NATIVE is set' });
    expect(server.logs.find((r) => r.event === 'listening' && r.kind === 'plain')).toMatchObject({ transport: 'node' });
    await TelnetUser.register(server.port, 'fallback');
  });

  it('exits non-zero naming the cause when listen.transport is native and the addon cannot be used', async () => {
    const path = writeConfig({ listen: { host: '127.0.0.1', port: 0, transport: 'native' } });
    const result = await runCli(['--config', path], { env: { OBROL_NO_NATIVE: '1' } });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('obrol: listen.transport is native, but the native transport cannot be used: OBROL_NO_NATIVE is set\n');
  });

  it('logs JSON lines: config, listening with the port, connect and registered with a conn id', async () => {
    const server = await startCli();
    expect(server.logs.find((r) => r.event === 'config')).toMatchObject({ level: 30, file: server.configPath });
    expect(server.logs.find((r) => r.event === 'listening')).toMatchObject({ level: 30, host: '127.0.0.1', port: server.port });

    const mark = server.logs.length;
    await TelnetUser.register(server.port, 'alice');
    const connect = await server.waitForLog('connect', 5000, mark);
    expect(connect).toMatchObject({ ip: '127.0.0.1', pid: server.pid });
    expect(connect.conn).toMatch(/^[0-9a-z]+$/);
    const registered = await server.waitForLog('registered', 5000, mark);
    expect(registered).toMatchObject({ conn: connect.conn, nick: 'alice', username: 'alice' });
    expect(typeof registered.time).toBe('number');

    // stdout is a pipe here, so every line is JSON (format: auto).
    expect(server.otherStdout).toEqual([]);
    expect(await server.stop()).toEqual({ code: 0, signal: null });
    expect(server.otherStdout).toEqual([]);
  });
});

describe('e2e cli: TLS key and certificate files', { timeout: 30_000 }, () => {
  let certs: TestCerts;
  beforeAll(async () => {
    certs = await makeCerts();
  });
  afterAll(() => certs?.cleanup());

  /** A config whose tls section names these files; both commands run on it. */
  async function bothCommands(files: { cert: string; key: string }) {
    const path = writeConfig({ listen: { host: '127.0.0.1', port: await freePort() }, tls: { host: '127.0.0.1', port: await freePort(), ...files } });
    const commands = [['check-config', '--config', path], ['--config', path]];
    const results = await Promise.all(commands.map((args) => runCli(args)));
    return results.map((result, k) => ({ ...result, what: `obrol ${commands[k]?.join(' ')}\n${result.stderr}` }));
  }

  it(`exits ${EXIT_CONFIG} naming tls.cert when the certificate file is missing, before anything starts`, async () => {
    const missing = join(certs.dir, 'absent.crt');
    for (const result of await bothCommands({ cert: missing, key: certs.key })) {
      expect(result.code, result.what).toBe(EXIT_CONFIG);
      expect(result.stderr).toBe(`obrol: invalid configuration\n  tls.cert ${missing}: cannot read it (no such file)\n`);
      expect(result.stdout).toBe('');
    }
  });

  it(`exits ${EXIT_CONFIG} naming tls.key when the key file is missing`, async () => {
    const missing = join(certs.dir, 'absent.key');
    for (const result of await bothCommands({ cert: certs.cert, key: missing })) {
      expect(result.code, result.what).toBe(EXIT_CONFIG);
      expect(result.stderr).toBe(`obrol: invalid configuration\n  tls.key ${missing}: cannot read it (no such file)\n`);
      expect(result.stdout).toBe('');
    }
  });

  it(`exits ${EXIT_CONFIG} naming the file when the certificate is not PEM`, async () => {
    const bogus = join(tempDir(), 'bogus.crt');
    writeFileSync(bogus, 'not a certificate\n');
    for (const result of await bothCommands({ cert: bogus, key: certs.key })) {
      expect(result.code, result.what).toBe(EXIT_CONFIG);
      expect(result.stderr).toBe(`obrol: invalid configuration\n  tls.cert ${bogus}: not a PEM certificate\n`);
      expect(result.stdout).toBe('');
    }
  });

  it(`exits ${EXIT_CONFIG} naming both files when the key does not match the certificate`, async () => {
    for (const result of await bothCommands({ cert: certs.cert, key: certs.clientKey })) {
      expect(result.code, result.what).toBe(EXIT_CONFIG);
      expect(result.stderr.startsWith(`obrol: invalid configuration\n  tls.key ${certs.clientKey} does not match tls.cert ${certs.cert}: `)).toBe(true);
      expect(result.stdout).toBe('');
    }
  });

  it('accepts good files named relative to the config file, and the server listens on TLS with them', async () => {
    const dir = tempDir();
    copyFileSync(certs.cert, join(dir, 'server.crt'));
    copyFileSync(certs.key, join(dir, 'server.key'));
    const tlsPort = await freePort();
    const config = { tls: { host: '127.0.0.1', port: tlsPort, cert: 'server.crt', key: 'server.key' } };
    const path = writeConfig({ ...config, listen: { host: '127.0.0.1', port: await freePort() } }, dir);
    expect(await runCli(['check-config', '--config', path])).toMatchObject({ code: 0, stdout: `configuration ok: ${path}\n`, stderr: '' });

    const port = await freePort();
    const server = await startCli({ configPath: writeConfig({ ...config, listen: { host: '127.0.0.1', port } }, dir, 'run.yaml'), port });
    expect(await server.waitForLog((r) => r.event === 'listening' && r.kind === 'tls')).toMatchObject({ host: '127.0.0.1', port: tlsPort });
    const socket = await tlsSocket(tlsPort);
    expect(socket.getPeerCertificate().fingerprint256).toBe(new X509Certificate(certs.server.cert).fingerprint256);
    socket.destroy();
  });
});
