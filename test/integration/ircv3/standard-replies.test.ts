/**
 * standard-replies: REHASH problems as FAIL (refused config) or WARN (applied
 * in part) for clients with the capability, as server NOTICEs for the others.
 * https://ircv3.net/specs/extensions/standard-replies
 */
import { writeFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../../src/config/password.js';
import type { TestClient } from '../../helpers/client.js';
import { S, useIrc } from './setup.js';

const irc = useIrc();
const PASSWORD = 'standard-replies-oper';
let hash = '';

beforeAll(async () => {
  hash = await hashPassword(PASSWORD);
});

function operConfig(extra = ''): string {
  return ['opers:', '  - name: boss', `    password: ${JSON.stringify(hash)}`, '    hosts: ["*@127.0.0.1"]', extra, ''].join('\n');
}

/** A server from a temp config file, and two opers: one with standard-replies, one without. */
async function opers(): Promise<{ path: string; modern: TestClient; old: TestClient }> {
  const path = irc.tempFile('obrol.yaml', operConfig());
  const srv = await irc.server({ configPath: path });
  const modern = await irc.withCaps(srv.port, 'modern', 'standard-replies');
  const old = await irc.register(srv.port, 'old');
  for (const c of [modern, old]) {
    c.send(`OPER boss ${PASSWORD}`);
    await c.expect(/ 381 /);
  }
  return { path, modern, old };
}

describe('REHASH with a bad config file', () => {
  it('with standard-replies: FAIL REHASH CONFIG_BAD, one per problem, then one saying the old config stays', async () => {
    const { path, modern } = await opers();
    writeFileSync(path, operConfig('limits:\n  topic_length: lots\n  nick_length: 0'));
    modern.send('REHASH');
    const lines = await modern.sync();
    expect(lines[0]).toBe(`${S} 382 modern ${path} :Rehashing`);
    const problems = lines.slice(1, -1);
    expect(problems).toHaveLength(2);
    for (const line of problems) expect(line).toMatch(/^:obrol\.local FAIL REHASH CONFIG_BAD :limits\.(topic_length|nick_length): \S.*$/);
    expect(lines.at(-1)).toBe(`${S} FAIL REHASH CONFIG_BAD :The previous configuration stays in force`);
  });

  it('without it: the same as NOTICEs', async () => {
    const { path, old } = await opers();
    writeFileSync(path, operConfig('limits:\n  topic_length: lots'));
    old.send('REHASH');
    const lines = await old.sync();
    expect(lines[0]).toBe(`${S} 382 old ${path} :Rehashing`);
    expect(lines[1]).toMatch(/^:obrol\.local NOTICE old :\*\*\* REHASH: limits\.topic_length: \S.*$/);
    expect(lines.slice(2)).toEqual([`${S} NOTICE old :*** REHASH failed: the previous configuration stays in force`]);
    expect(lines.some((l) => / FAIL /.test(l))).toBe(false);
  });
});

describe('REHASH applied with a problem', () => {
  it('with standard-replies: WARN REHASH CONFIG_PROBLEM; without: a NOTICE', async () => {
    const { path, modern, old } = await opers();
    writeFileSync(path, operConfig('server:\n  casemapping: ascii'));
    const reason = 'server.casemapping cannot change while users are connected; still rfc1459 until RESTART';
    modern.send('REHASH');
    expect(await modern.sync()).toEqual([`${S} 382 modern ${path} :Rehashing`, `${S} WARN REHASH CONFIG_PROBLEM :${reason}`]);
    old.send('REHASH');
    expect(await old.sync()).toEqual([`${S} 382 old ${path} :Rehashing`, `${S} NOTICE old :*** REHASH: ${reason}`]);
  });

  it('says the connection to the network (cluster.redis, key_prefix, workers) stays as it was', async () => {
    const { path, modern } = await opers();
    writeFileSync(path, operConfig('cluster:\n  key_prefix: "other:"\n  workers: 2'));
    modern.send('REHASH');
    const reason = 'cluster.key_prefix, cluster.workers cannot change while the server runs; the old value stays until the process is restarted';
    expect(await modern.sync()).toEqual([`${S} 382 modern ${path} :Rehashing`, `${S} WARN REHASH CONFIG_PROBLEM :${reason}`]);
  });

  it('says the data file (store.path) stays the one opened at start', async () => {
    const { path, modern } = await opers();
    writeFileSync(path, operConfig('store:\n  path: elsewhere/other.db'));
    modern.send('REHASH');
    const reason = 'store.path cannot change while the server runs; the old value stays until the process is restarted';
    expect(await modern.sync()).toEqual([`${S} 382 modern ${path} :Rehashing`, `${S} WARN REHASH CONFIG_PROBLEM :${reason}`]);
  });
});
