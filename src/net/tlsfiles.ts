/**
 * Reading the TLS key and certificate named in the config, with errors that
 * name the file and say what is wrong with it.
 */
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import type { TlsMaterial } from './tcp.js';

export class TlsFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TlsFileError';
  }
}

function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new TlsFileError(`${what} ${path}: cannot read it (${why})`);
  }
}

/** Read and check the pair; throws TlsFileError naming the bad file. */
export function loadTlsMaterial(certPath: string, keyPath: string): TlsMaterial {
  const cert = readPem(certPath, 'tls.cert');
  const key = readPem(keyPath, 'tls.key');
  if (!cert.includes('-----BEGIN CERTIFICATE-----')) throw new TlsFileError(`tls.cert ${certPath}: not a PEM certificate`);
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(key.toString('latin1'))) throw new TlsFileError(`tls.key ${keyPath}: not a PEM private key`);
  try {
    createSecureContext({ cert, key });
  } catch (err) {
    const reason = (err as Error).message;
    const file = /key values mismatch/i.test(reason) ? `tls.key ${keyPath} does not match tls.cert ${certPath}` : /key/i.test(reason) ? `tls.key ${keyPath}` : `tls.cert ${certPath}`;
    throw new TlsFileError(`${file}: ${reason}`);
  }
  return { cert, key };
}
