/**
 * Outside any one connection, an exception nothing caught means the process
 * may be broken for everyone: the server logs it at fatal and exits non-zero
 * (70, EX_SOFTWARE), for a supervisor or Docker's restart policy to restart
 * it. The fault is injected by a preloaded module (node --import) that throws,
 * or rejects, when the process gets SIGUSR2.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { cleanupCli, startCli } from '../helpers/cli.js';

afterEach(cleanupCli);

const preload = (body: string) => ({ NODE_OPTIONS: `--import=data:text/javascript,${encodeURIComponent(`process.on('SIGUSR2', () => { ${body} });`)}` });

describe('e2e: a fault outside every connection', { timeout: 30_000 }, () => {
  it('an uncaught exception is logged at fatal and the process exits 70', async () => {
    const server = await startCli({ env: preload("throw new Error('injected crash')") });
    server.signal('SIGUSR2');
    expect(await server.waitForExit(10_000)).toEqual({ code: 70, signal: null });
    const fatal = server.logs.find((r) => r.event === 'crash');
    expect(fatal).toMatchObject({ level: 60, msg: 'uncaught exception: exiting' });
    expect((fatal?.err as { message?: string }).message).toBe('injected crash');
  });

  it('an unhandled promise rejection is logged at fatal and the process exits 70', async () => {
    const server = await startCli({ env: preload("Promise.reject(new Error('injected rejection'))") });
    server.signal('SIGUSR2');
    expect(await server.waitForExit(10_000)).toEqual({ code: 70, signal: null });
    const fatal = server.logs.find((r) => r.event === 'crash');
    expect(fatal).toMatchObject({ level: 60, msg: 'unhandled promise rejection: exiting' });
    expect((fatal?.err as { message?: string }).message).toBe('injected rejection');
  });
});
