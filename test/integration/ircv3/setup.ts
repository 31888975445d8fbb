/**
 * Shared set-up for the IRCv3 integration tests: servers and clients that are
 * closed after each test, clients that negotiate capabilities before
 * registering (as IRC clients do), and helpers to read the tag section of a
 * line. Not a test file itself (no .test.ts).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { afterEach, expect } from 'vitest';
import { parseTags } from '../../../src/protocol/parse.js';
import { TestClient } from '../../helpers/client.js';
import { startServer, type TestServer, type TestServerOptions } from '../../helpers/server.js';

export const S = ':obrol.local';
/** server-time: ISO 8601 in UTC with milliseconds (https://ircv3.net/specs/extensions/server-time). */
export const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
/** Obrol's msgid: node id and start time, a dash, a counter (base 36). */
export const MSGID = /^[0-9a-z]+-[0-9a-z]+$/;

export function mask(nick: string): string {
  return `${nick}!${nick.toLowerCase()}@127.0.0.1`;
}

/** A line split into its tags (unescaped values, in order) and the rest. */
export interface Tagged {
  tags: Map<string, string>;
  /** The raw tag section without '@' ('' when none). */
  raw: string;
  body: string;
}

export function splitTags(line: string): Tagged {
  if (!line.startsWith('@')) return { tags: new Map(), raw: '', body: line };
  const space = line.indexOf(' ');
  const raw = line.slice(1, space);
  return { tags: parseTags(line, 1, space), raw, body: line.slice(space + 1) };
}

/** The tag names of a line, in order. */
export function tagNames(line: string): string[] {
  return [...splitTags(line).tags.keys()];
}

/** Assert the line's time tag is ISO with milliseconds and within a few seconds of now; return it. */
export function expectTime(line: string): string {
  const time = splitTags(line).tags.get('time');
  expect(time, `time tag of ${line}`).toMatch(ISO_TIME);
  expect(Math.abs(Date.parse(time as string) - Date.now())).toBeLessThan(10_000);
  return time as string;
}

/** Assert the line's msgid tag has Obrol's format; return it. */
export function expectMsgid(line: string): string {
  const msgid = splitTags(line).tags.get('msgid');
  expect(msgid, `msgid tag of ${line}`).toMatch(MSGID);
  return msgid as string;
}

export interface CapOptions {
  user?: string;
  realname?: string;
  /** Send `CAP LS 302` first (default); false: only CAP REQ (a pre-302 client, no cap-notify). */
  ls302?: boolean;
}

export interface Irc {
  server(options?: TestServerOptions): Promise<TestServer>;
  /** Connect (waiting for the server's first NOTICE) without registering. */
  connect(port: number): Promise<TestClient>;
  /** Register without any capability. */
  register(port: number, nick: string, options?: { user?: string; realname?: string }): Promise<TestClient>;
  /** Negotiate `caps` (space-separated; '' for none), then register. */
  withCaps(port: number, nick: string, caps: string, options?: CapOptions): Promise<TestClient>;
  /** JOIN and wait for the end of NAMES. */
  join(c: TestClient, channel: string): Promise<void>;
  /** A temp folder removed after the test. */
  tempDir(): string;
  /** Write `text` to a new file in a temp folder; returns its path. */
  tempFile(name: string, text: string): string;
}

/** Call once at the top of a test file: everything opened through the result is closed after each test. */
export function useIrc(): Irc {
  let servers: TestServer[] = [];
  let clients: TestClient[] = [];
  let dirs: string[] = [];

  afterEach(async () => {
    for (const c of clients) c.close();
    clients = [];
    await Promise.all(servers.map((s) => s.stop()));
    servers = [];
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    dirs = [];
  });

  const irc: Irc = {
    async server(options = {}) {
      const srv = await startServer(options);
      servers.push(srv);
      return srv;
    },
    async connect(port) {
      const c = await TestClient.connect(port);
      clients.push(c);
      await c.expect(/NOTICE \* :\*\*\* Welcome/);
      return c;
    },
    async register(port, nick, options = {}) {
      const c = await TestClient.register(port, nick, options);
      clients.push(c);
      return c;
    },
    async withCaps(port, nick, caps, options = {}) {
      const c = await irc.connect(port);
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
    async join(c, channel) {
      c.send(`JOIN ${channel}`);
      await c.expect((line) => splitTags(line).body.startsWith(`${S} 366 ${c.nick} ${channel} `));
    },
    tempDir() {
      const dir = mkdtempSync(joinPath(tmpdir(), 'obrol-ircv3-'));
      dirs.push(dir);
      return dir;
    },
    tempFile(name, text) {
      const path = joinPath(irc.tempDir(), name);
      writeFileSync(path, text);
      return path;
    },
  };
  return irc;
}

/** sync() each client in order: everything sent to them so far has arrived. */
export async function settle(...cs: TestClient[]): Promise<void> {
  for (const c of cs) await c.sync();
}
