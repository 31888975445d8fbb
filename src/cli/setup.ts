/**
 * The verbs that help set a server up: `obrol default-config` prints the
 * documented default configuration, `obrol mkcerts` makes a self-signed
 * certificate to try TLS (and wss://) with.
 */
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { generate } from 'selfsigned';
import { PACKAGE_CONF_DIR } from '../config/load.js';

/**
 * conf/obrol.yaml as shipped: every key with its default and a comment. A
 * unit test keeps it equal to the embedded defaults, so printing the file is
 * printing the defaults, comments included.
 */
export function defaultConfigText(): string {
  return readFileSync(join(PACKAGE_CONF_DIR, 'obrol.yaml'), 'utf8');
}

export interface CertOptions {
  /** Folder for cert.pem and key.pem; made if missing. */
  dir: string;
  /** Host names and IP addresses the certificate is for; the first is its common name. */
  names: readonly string[];
  days: number;
  /** Replace existing files instead of refusing. */
  force: boolean;
}

export interface MadeCerts {
  cert: string;
  key: string;
  /** SHA-256 fingerprint, colon-separated upper-case hex as clients show it. */
  fingerprint: string;
}

/** Thrown for a request that cannot be done; the message names the problem. */
export class SetupError extends Error {}

/** Write a fresh self-signed certificate and its private key (mode 0600). */
export async function makeSelfSigned(options: CertOptions): Promise<MadeCerts> {
  if (options.names.length === 0) throw new SetupError('at least one --name is needed');
  for (const name of options.names) {
    if (isIP(name) === 0 && !/^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/.test(name)) {
      throw new SetupError(`"${name}" is not a host name or an IP address`);
    }
  }
  if (!Number.isInteger(options.days) || options.days < 1 || options.days > 3650) throw new SetupError('--days must be a whole number from 1 to 3650');
  const dir = resolve(options.dir);
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  if (!options.force) {
    for (const path of [cert, key]) if (existsSync(path)) throw new SetupError(`${path} exists; pass --force to replace it`);
  }
  const notAfterDate = new Date(Date.now() + options.days * 86_400_000);
  const pems = await generate([{ name: 'commonName', value: options.names[0] as string }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: options.names.map((name) => (isIP(name) ? { type: 7, ip: name } : { type: 2, value: name })) },
    ],
  });
  mkdirSync(dir, { recursive: true });
  writeFileSync(key, pems.private, { mode: 0o600 });
  writeFileSync(cert, pems.cert);
  return { cert, key, fingerprint: new X509Certificate(pems.cert).fingerprint256 };
}
