/**
 * SCRAM-SHA-256 (RFC 5802, RFC 7677), the server side: the credentials
 * stored when a password is set, and one exchange's two steps. The password
 * itself is never needed to check a login, only StoredKey and ServerKey.
 */
import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ScramCredentials } from '../store/types.js';

export const SCRAM_ITERATIONS = 4096;

function hmac(key: Buffer, text: string): Buffer {
  return createHmac('sha256', key).update(text, 'utf8').digest();
}

function sha256(data: Buffer): Buffer {
  return createHash('sha256').update(data).digest();
}

function saltedPassword(password: string, salt: Buffer, iterations: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    pbkdf2(Buffer.from(password, 'utf8'), salt, iterations, 32, 'sha256', (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** StoredKey and ServerKey for `password` (a fresh 16-byte salt unless one is given). */
export async function deriveScram(password: string, salt: Buffer = randomBytes(16), iterations = SCRAM_ITERATIONS): Promise<ScramCredentials> {
  const salted = await saltedPassword(password, salt, iterations);
  return {
    salt: salt.toString('base64'),
    iterations,
    storedKey: sha256(hmac(salted, 'Client Key')).toString('base64'),
    serverKey: hmac(salted, 'Server Key').toString('base64'),
  };
}

/** A saslname (RFC 5802 5.1): `=2C` is a comma, `=3D` an equals sign; any other `=` is an error (null). */
function decodeSaslName(text: string): string | null {
  if (/=(?!2C|3D)/.test(text)) return null;
  return text.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

export interface ClientFirst {
  /** The authentication identity (the account name as given). */
  user: string;
  nonce: string;
  /** client-first-message-bare, part of AuthMessage. */
  bare: string;
}

/**
 * Parse client-first-message. Only `n,,` and `y,,` (no channel binding, no
 * authzid different from the user) are accepted: SASL over IRC has no
 * channel binding. null: malformed.
 */
export function parseClientFirst(message: string): ClientFirst | null {
  const m = /^([ny]),(a=[^,]*)?,(.*)$/.exec(message);
  if (!m) return null;
  const bare = m[3] as string;
  const attrs = bare.split(',');
  const userAttr = attrs[0] ?? '';
  const nonceAttr = attrs[1] ?? '';
  if (!userAttr.startsWith('n=') || !nonceAttr.startsWith('r=')) return null;
  const user = decodeSaslName(userAttr.slice(2));
  const nonce = nonceAttr.slice(2);
  if (user === null || user === '' || nonce === '' || !/^[\x21-\x2b\x2d-\x7e]+$/.test(nonce)) return null;
  if (m[2] !== undefined) {
    const authzid = decodeSaslName(m[2].slice(2));
    if (authzid !== null && authzid !== '' && authzid !== user) return null;
  }
  return { user, nonce, bare };
}

/** The server's half of one exchange, from client-first to the server's final message. */
export class ScramExchange {
  readonly serverFirst: string;
  private readonly nonce: string;
  private readonly gs2Header: string;

  constructor(
    private readonly first: ClientFirst,
    clientFirstMessage: string,
    private readonly credentials: ScramCredentials,
    serverNonce: string = randomBytes(18).toString('base64'),
  ) {
    this.nonce = first.nonce + serverNonce;
    this.serverFirst = `r=${this.nonce},s=${credentials.salt},i=${credentials.iterations}`;
    this.gs2Header = clientFirstMessage.slice(0, clientFirstMessage.length - first.bare.length);
  }

  /**
   * Check client-final-message; on success the server-final-message
   * (`v=...`), else null. Always computes the same work, so a fake
   * exchange (unknown user) costs as long as a real one.
   */
  finish(clientFinal: string): string | null {
    const m = /^c=([^,]*),r=([^,]*)(?:,.*)?,p=([A-Za-z0-9+/]+={0,2})$/.exec(clientFinal);
    if (!m) return null;
    const withoutProof = clientFinal.slice(0, clientFinal.lastIndexOf(',p='));
    const authMessage = `${this.first.bare},${this.serverFirst},${withoutProof}`;
    const storedKey = Buffer.from(this.credentials.storedKey, 'base64');
    const serverKey = Buffer.from(this.credentials.serverKey, 'base64');
    const proof = Buffer.from(m[3] as string, 'base64');
    const signature = hmac(storedKey, authMessage);
    let ok = proof.length === signature.length;
    const clientKey = Buffer.alloc(signature.length);
    for (let k = 0; k < signature.length; k++) clientKey[k] = (proof[k] ?? 0) ^ (signature[k] as number);
    ok = timingSafeEqual(sha256(clientKey), storedKey) && ok;
    const binding = Buffer.from(m[1] as string, 'base64').toString('latin1');
    ok = ok && binding === this.gs2Header && m[2] === this.nonce;
    if (!ok) return null;
    return `v=${hmac(serverKey, authMessage).toString('base64')}`;
  }
}

/**
 * Credentials for a name with no account, derived from the name and a
 * per-process secret: the same name always gets the same salt, so asking
 * twice does not tell a real account from a missing one.
 */
const FAKE_SECRET = randomBytes(32);
export function fakeScram(folded: string): ScramCredentials {
  const key = hmac(FAKE_SECRET, folded);
  return {
    salt: key.subarray(0, 16).toString('base64'),
    iterations: SCRAM_ITERATIONS,
    storedKey: hmac(key, 'stored').toString('base64'),
    serverKey: hmac(key, 'server').toString('base64'),
  };
}
