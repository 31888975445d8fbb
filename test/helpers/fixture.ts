/**
 * The shared integration fixture: servers, clients and temp folders opened
 * through it are closed after each test. Call useFixture() once at the top of
 * a test file. Not a test file itself (no .test.ts).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { afterEach, expect } from 'vitest';
import { TestClient } from './client.js';
import { RawClient } from './rawclient.js';
import { startServer, type TestServer, type TestServerOptions } from './server.js';

export const S = ':obrol.local';

/** A server, or its port. */
export type At = TestServer | number;

function portOf(at: At): number {
  return typeof at === 'number' ? at : at.port;
}

/** The line without its tag section. */
function untagged(line: string): string {
  return line.startsWith('@') ? line.slice(line.indexOf(' ') + 1) : line;
}

export interface CapOptions {
  user?: string;
  realname?: string;
  /** Send `CAP LS 302` first (default); false: only CAP REQ (a pre-302 client, no cap-notify). */
  ls302?: boolean;
}

export interface OpenOptions {
  host?: string;
  /** The source address (any of 127.0.0.0/8 reaches a server on 127.0.0.1). */
  localAddress?: string;
  allowHalfOpen?: boolean;
}

export interface Fixture {
  server(options?: TestServerOptions): Promise<TestServer>;
  /** Open a connection and wait for nothing (to see a refusal, say). */
  open(at: At, options?: OpenOptions): Promise<TestClient>;
  /** Connect, waiting for the server's first NOTICE, without registering. */
  connect(at: At): Promise<TestClient>;
  /** Register without any capability; resolves after the end of the MOTD. */
  register(at: At, nick: string, options?: { user?: string; realname?: string }): Promise<TestClient>;
  /** Negotiate `caps` (space-separated; '' for none), then register. */
  withCaps(at: At, nick: string, caps: string, options?: CapOptions): Promise<TestClient>;
  /** A client that keeps raw bytes. */
  raw(at: At): Promise<RawClient>;
  /** Close `thing` after the test too. */
  track<T extends { close(): void }>(thing: T): T;
  /** JOIN and wait for the end of NAMES. */
  join(c: TestClient, channel: string): Promise<void>;
  /** A temp folder removed after the test. */
  tempDir(): string;
  /** Write `text` to a new file in a temp folder; returns its path. */
  tempFile(name: string, text: string): string;
}

export function useFixture(): Fixture {
  let servers: TestServer[] = [];
  let closeables: Array<{ close(): void }> = [];
  let dirs: string[] = [];

  afterEach(async () => {
    for (const c of closeables) c.close();
    closeables = [];
    await Promise.all(servers.map((s) => s.stop()));
    servers = [];
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    dirs = [];
  });

  const fx: Fixture = {
    async server(options = {}) {
      const srv = await startServer(options);
      servers.push(srv);
      return srv;
    },
    async open(at, options = {}) {
      const { host = '127.0.0.1', ...rest } = options;
      return fx.track(await TestClient.connect(portOf(at), host, rest));
    },
    async connect(at) {
      const c = await fx.open(at);
      await c.expect(/NOTICE \* :\*\*\* Welcome/);
      return c;
    },
    async register(at, nick, options = {}) {
      return fx.track(await TestClient.register(portOf(at), nick, options));
    },
    async withCaps(at, nick, caps, options = {}) {
      const c = await fx.connect(at);
      // REQ before NICK and USER: it holds registration even without LS.
      if (options.ls302 !== false) c.send('CAP LS 302');
      if (caps !== '') c.send(`CAP REQ :${caps}`);
      c.send(`NICK ${nick}`);
      c.send(`USER ${options.user ?? nick.toLowerCase()} 0 * :${options.realname ?? `${nick} Test`}`);
      // The ACK is rendered with the capabilities before the change (no time tag yet).
      if (caps !== '') expect(await c.expect(/ CAP \* (ACK|NAK) /)).toBe(`${S} CAP * ACK :${caps}`);
      c.send('CAP END');
      await c.expect(/ (376|422) /);
      c.nick = nick;
      return c;
    },
    async raw(at) {
      return fx.track(await RawClient.connect(portOf(at)));
    },
    track(thing) {
      closeables.push(thing);
      return thing;
    },
    async join(c, channel) {
      c.send(`JOIN ${channel}`);
      await c.expect((line) => untagged(line).startsWith(`${S} 366 ${c.nick} ${channel} `));
    },
    tempDir() {
      const dir = mkdtempSync(joinPath(tmpdir(), 'obrol-test-'));
      dirs.push(dir);
      return dir;
    },
    tempFile(name, text) {
      const path = joinPath(fx.tempDir(), name);
      writeFileSync(path, text);
      return path;
    },
  };
  return fx;
}
