/**
 * An oper block names the hosts it may be used from: there is no `*@*`
 * default, so a block that forgets them is refused, naming the key, rather
 * than letting anyone anywhere try its password.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config/load.js';
import { hashPassword } from '../../../src/config/password.js';

let hash = '';
beforeAll(async () => {
  hash = await hashPassword('pw');
});

function problems(opers: unknown[]): string[] {
  try {
    loadConfig({ overrides: { opers } });
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('oper hosts', () => {
  it('a block without hosts is refused, naming opers[N].hosts', () => {
    const found = problems([
      { name: 'alice', password: hash, hosts: ['*@127.0.0.1'] },
      { name: 'bob', password: hash },
    ]);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^opers\[1\]\.hosts: /);
    expect(found[0]).toContain('user@host');
  });

  it('an empty list is refused too', () => {
    expect(problems([{ name: 'bob', password: hash, hosts: [] }])[0]).toMatch(/^opers\[0\]\.hosts: /);
  });

  it('a block with hosts is accepted as written', () => {
    const { config } = loadConfig({ overrides: { opers: [{ name: 'alice', password: hash, hosts: ['*@10.0.0.0/8'] }] } });
    expect(config.opers).toEqual([{ name: 'alice', password: hash, hosts: ['*@10.0.0.0/8'] }]);
  });
});
