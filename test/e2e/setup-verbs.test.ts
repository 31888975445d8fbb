/**
 * The set-up verbs of the built CLI: `obrol default-config` prints the
 * documented defaults (which the server accepts and which equal the embedded
 * ones), `obrol mkcerts` makes a certificate a TLS listener serves and a
 * client that trusts it verifies for 127.0.0.1; bad requests exit non-zero
 * naming the problem.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/load.js';
import { cleanupCli, freePort, REPO_ROOT, runCli, startCli, tempDir } from '../helpers/cli.js';

afterEach(async () => {
  await cleanupCli();
});

describe('e2e cli: default-config', { timeout: 30_000 }, () => {
  it('prints conf/obrol.yaml, comments included, and it is the embedded defaults', async () => {
    const result = await runCli(['default-config']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toBe(readFileSync(join(REPO_ROOT, 'conf/obrol.yaml'), 'utf8'));
    expect(result.stdout).toMatch(/^# Obrol configuration\./);
    expect(parse(result.stdout)).toBeTypeOf('object');
    const path = join(tempDir(), 'printed.yaml');
    writeFileSync(path, result.stdout);
    expect(loadConfig({ path }).config).toEqual(loadConfig().config);
    expect(await runCli(['check-config', '--config', path])).toMatchObject({ code: 0, stdout: `configuration ok: ${path}\n` });
  });
});

describe('e2e cli: mkcerts', { timeout: 30_000 }, () => {
  it('writes a certificate and a private key that a TLS listener serves and a client can verify', async () => {
    const dir = join(tempDir(), 'tls');
    const made = await runCli(['mkcerts', '--dir', dir]);
    expect(made.code).toBe(0);
    expect(made.stdout).toContain(`wrote ${join(dir, 'cert.pem')}`);
    expect(made.stdout).toMatch(/SHA-256 fingerprint: ([0-9A-F]{2}:){31}[0-9A-F]{2}\n/);
    expect(made.stdout).toContain('tls:\n  host: 127.0.0.1\n  port: 6697\n');
    expect(statSync(join(dir, 'key.pem')).mode & 0o777).toBe(0o600);

    const tlsPort = await freePort();
    const server = await startCli({ config: { server: { motd_file: null }, tls: { host: '127.0.0.1', port: tlsPort, cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') } } });
    const ca = readFileSync(join(dir, 'cert.pem'), 'utf8');
    // Verified, not merely accepted: the certificate names 127.0.0.1.
    const line = await new Promise<string>((resolve, reject) => {
      const socket = tlsConnect({ host: '127.0.0.1', port: tlsPort, ca, rejectUnauthorized: true }, () => socket.write('PING :hello\r\n'));
      socket.setEncoding('utf8').once('data', (data: string) => {
        socket.destroy();
        resolve(data);
      });
      socket.once('error', reject);
    });
    expect(line).toMatch(/ :?hello\r\n/);
    expect(server.exited).toBe(false);
  });

  it('refuses to overwrite without --force, and replaces with it', async () => {
    const dir = tempDir();
    expect((await runCli(['mkcerts', '--dir', dir])).code).toBe(0);
    const first = readFileSync(join(dir, 'cert.pem'), 'utf8');
    const again = await runCli(['mkcerts', '--dir', dir]);
    expect(again.code).toBe(2);
    expect(again.stderr).toBe(`obrol mkcerts: ${join(dir, 'cert.pem')} exists; pass --force to replace it\n`);
    expect(readFileSync(join(dir, 'cert.pem'), 'utf8')).toBe(first);
    expect((await runCli(['mkcerts', '--dir', dir, '--force'])).code).toBe(0);
    expect(readFileSync(join(dir, 'cert.pem'), 'utf8')).not.toBe(first);
  });

  it('names a bad host name or validity and exits 2', async () => {
    const dir = tempDir();
    const badName = await runCli(['mkcerts', '--dir', dir, '--name', 'not a host']);
    expect(badName).toMatchObject({ code: 2, stderr: 'obrol mkcerts: "not a host" is not a host name or an IP address\n' });
    const badDays = await runCli(['mkcerts', '--dir', dir, '--days', '0']);
    expect(badDays).toMatchObject({ code: 2, stderr: 'obrol mkcerts: --days must be a whole number from 1 to 3650\n' });
  });
});
