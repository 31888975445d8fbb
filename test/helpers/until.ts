/**
 * Wait for a condition on server state that no reply shows: lines held back
 * by flood control, a keepalive answer read but not yet run. Checked on every
 * turn of the event loop (so socket reads go on) and failing after a timeout;
 * it never waits for time to pass, and asserts nothing about how long it took.
 */
import type { Session } from '../../src/server/session.js';
import type { TestServer } from './server.js';

export async function until(cond: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** The server's session for the local user `nick` (it must be connected and registered). */
export function sessionOf(srv: TestServer, nick: string): Session {
  const session = srv.server.registry.findUser(nick)?.endpoint as Session | null | undefined;
  if (!session) throw new Error(`no session for ${nick}`);
  return session;
}
