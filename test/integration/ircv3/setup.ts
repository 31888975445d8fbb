/**
 * Shared set-up for the IRCv3 integration tests: the shared fixture (servers
 * and clients closed after each test, clients that negotiate capabilities
 * before registering, as IRC clients do), and helpers to read the tag section
 * of a line. Not a test file itself (no .test.ts).
 */
import { expect } from 'vitest';
import { parseTags } from '../../../src/protocol/parse.js';
import type { TestClient } from '../../helpers/client.js';
import { S, useFixture, type Fixture } from '../../helpers/fixture.js';

export { S };
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

export type { CapOptions } from '../../helpers/fixture.js';

/** The shared fixture (test/helpers/fixture.ts), under the name these tests know it by. */
export type Irc = Fixture;

/** Call once at the top of a test file: everything opened through the result is closed after each test. */
export const useIrc: () => Irc = useFixture;

/** sync() each client in order: everything sent to them so far has arrived. */
export async function settle(...cs: TestClient[]): Promise<void> {
  for (const c of cs) await c.sync();
}
