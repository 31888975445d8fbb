import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, type LoadOptions } from '../../../src/config/load.js';

function problems(options: LoadOptions): string[] {
  try {
    loadConfig(options);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('config: the cluster section', () => {
  it('defaults to one node without Redis', () => {
    expect(loadConfig().config.cluster).toEqual({ redis: null, node_timeout: 5, workers: 1, key_prefix: 'obrol:' });
  });

  it('takes redis:// and rediss:// URLs, "auto" workers, from the environment as from flags', () => {
    const { config } = loadConfig({
      env: { OBROL_CLUSTER__REDIS: 'rediss://:secret@redis.example.org:6380/2', OBROL_CLUSTER__WORKERS: 'auto' },
      overrides: { 'cluster.node_timeout': 1 },
    });
    expect(config.cluster).toMatchObject({ redis: 'rediss://:secret@redis.example.org:6380/2', workers: 'auto', node_timeout: 1 });
    expect(loadConfig({ overrides: { 'cluster.redis': 'redis://127.0.0.1:6379', 'cluster.workers': 8 } }).config.cluster).toMatchObject({
      redis: 'redis://127.0.0.1:6379',
      workers: 8,
    });
  });

  it.each([
    ['a URL of another scheme', { 'cluster.redis': 'http://127.0.0.1:6379' }, 'cluster.redis: must be a redis:// or rediss:// URL'],
    ['a bare host', { 'cluster.redis': '127.0.0.1:6379' }, 'cluster.redis: must be a redis:// or rediss:// URL'],
    ['workers of zero', { 'cluster.workers': 0 }, 'cluster.workers: must be a whole number from 1 to 256, or "auto"'],
    ['workers past 256', { 'cluster.workers': 257 }, 'cluster.workers: must be a whole number from 1 to 256, or "auto"'],
    ['workers as other text', { 'cluster.workers': 'many' }, 'cluster.workers: must be a whole number from 1 to 256, or "auto"'],
    ['a fraction of workers', { 'cluster.workers': 1.5 }, 'cluster.workers: must be a whole number from 1 to 256, or "auto"'],
    ['a node timeout under a second', { 'cluster.node_timeout': 0.5 }, 'cluster.node_timeout: '],
    ['a node timeout past 300 s', { 'cluster.node_timeout': 301 }, 'cluster.node_timeout: '],
    ['an empty key prefix', { 'cluster.key_prefix': '' }, 'cluster.key_prefix: must be 1 to 64 characters without spaces'],
  ])('refuses %s, naming the key', (_what, overrides, message) => {
    const found = problems({ overrides });
    expect(found).toHaveLength(1);
    expect(found[0]).toContain(message);
  });
});
