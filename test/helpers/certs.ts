/**
 * TLS material for tests, made at run time: a self-signed server certificate
 * and a client certificate (with the `selfsigned` dev dependency), written to
 * a fresh temp folder. Call cleanup() in afterAll: the folder, private keys
 * included, is deleted, so no key outlives the test run and nothing is
 * committed.
 *
 * Also a TLS TestClient: the same line client as test/helpers/client.ts, over
 * a node:tls socket (self-signed, so rejectUnauthorized is false).
 */
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { generate } from 'selfsigned';
import { TestClient } from './client.js';

export interface Pem {
  cert: string;
  key: string;
}

export interface TestCerts {
  /** The temp folder holding every file below. */
  dir: string;
  /** Paths of the server certificate and key (for the `tls` config section). */
  cert: string;
  key: string;
  /** Paths of the client certificate and key. */
  clientCert: string;
  clientKey: string;
  /** The PEM text of each pair. */
  server: Pem;
  client: Pem;
  /**
   * Write a new server certificate and key over `cert` and `key` (for REHASH
   * tests); returns the new PEM pair.
   */
  renewServer(): Promise<Pem>;
  /** Delete the folder and everything in it. */
  cleanup(): void;
}

/** A fresh self-signed EC certificate (fast to make) for `commonName`. */
export async function selfSignedPem(commonName: string): Promise<Pem> {
  const pems = await generate([{ name: 'commonName', value: commonName }], { keyType: 'ec', algorithm: 'sha256' });
  return { cert: pems.cert, key: pems.private };
}

/** SHA-256 fingerprint of a PEM certificate in the usual certfp form: lower-case hex, no colons. */
export function certfp(certPem: string): string {
  return new X509Certificate(certPem).fingerprint256.replace(/:/g, '').toLowerCase();
}

export async function makeCerts(): Promise<TestCerts> {
  const dir = mkdtempSync(join(tmpdir(), 'obrol-certs-'));
  const paths = {
    cert: join(dir, 'server.crt'),
    key: join(dir, 'server.key'),
    clientCert: join(dir, 'client.crt'),
    clientKey: join(dir, 'client.key'),
  };
  try {
    const [server, client] = await Promise.all([selfSignedPem('localhost'), selfSignedPem('obrol test client')]);
    const writeServer = (pem: Pem) => {
      writeFileSync(paths.cert, pem.cert);
      writeFileSync(paths.key, pem.key, { mode: 0o600 });
    };
    writeServer(server);
    writeFileSync(paths.clientCert, client.cert);
    writeFileSync(paths.clientKey, client.key, { mode: 0o600 });
    const certs: TestCerts = {
      dir,
      ...paths,
      server,
      client,
      renewServer: async () => {
        const fresh = await selfSignedPem('localhost');
        writeServer(fresh);
        certs.server = fresh;
        return fresh;
      },
      cleanup: () => rmSync(dir, { recursive: true, force: true }),
    };
    return certs;
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

export interface TlsConnectOptions {
  /** Present this client certificate. */
  client?: Pem;
}

/** Open a TLS connection (any server certificate accepted); resolves after the handshake. */
export function tlsSocket(port: number, options: TlsConnectOptions = {}): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect(
      { host: '127.0.0.1', port, rejectUnauthorized: false, ...(options.client ? { cert: options.client.cert, key: options.client.key } : {}) },
      () => {
        socket.off('error', reject);
        resolve(socket);
      },
    );
    socket.once('error', reject);
  });
}

/** A TestClient over TLS (a TLSSocket is a Socket, so the same client wraps it). */
export async function connectTls(port: number, options: TlsConnectOptions = {}): Promise<TestClient> {
  return TestClient.fromSocket(await tlsSocket(port, options));
}

/** Connect over TLS and register; resolves once the welcome burst has ended (376 or 422). */
export async function registerTls(port: number, nick: string, options: TlsConnectOptions = {}): Promise<TestClient> {
  const client = await connectTls(port, options);
  client.send(`NICK ${nick}`);
  client.send(`USER ${nick.toLowerCase()} 0 * :${nick} Test`);
  await client.expect(/ 001 /);
  await client.expect(/ (376|422) /);
  client.nick = nick;
  return client;
}
