/**
 * The name directory of a cluster, in Redis (key layout: rediskeys.ts). Every
 * change is one Lua script, so each is atomic: two nodes claiming one nick at
 * once get exactly one 'ok'; a rename never leaves the user holding both
 * nicks or neither.
 *
 * Every call answers within timeoutMs. When Redis cannot be reached in time
 * the answer is 'unavailable'; a claim or rename whose answer never came may
 * still have been applied, so it is undone (a holder-checked release, or the
 * rename run backwards) on the same connection, after it.
 */
import type { Redis } from 'ioredis';
import type { ChannelClaim, NameDirectory, NickClaim, NickHolder, NodeRelease, Release } from './directory.js';
import { closeClient, LuaScript, redisClient } from './redisclient.js';
import { DEFAULT_KEY_PREFIX, redisKeys, type RedisKeys } from './rediskeys.js';

export interface RedisDirectoryOptions {
  url: string;
  /** cluster.key_prefix. */
  keyPrefix?: string;
  /** Longest wait for Redis before a call answers 'unavailable'. */
  timeoutMs?: number;
  /** Names the connection in CLIENT LIST. */
  nodeId?: string;
  onError?: (err: Error) => void;
}

const DEFAULT_TIMEOUT_MS = 2000;

// KEYS: nick key, the holder node's claims set. ARGV: holder as JSON.
const CLAIM_NICK = new LuaScript(`
local current = redis.call('GET', KEYS[1])
if current == ARGV[1] then return 'ok' end
if current then return 'taken' end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], KEYS[1])
return 'ok'`);

// KEYS: nick key, the holder node's claims set. ARGV: holder as JSON.
const RELEASE_NICK = new LuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('SREM', KEYS[2], KEYS[1])
end
return 'ok'`);

// KEYS: old nick key, new nick key, the holder node's claims set. ARGV: holder as JSON.
const RENAME_NICK = new LuaScript(`
local current = redis.call('GET', KEYS[2])
if current and current ~= ARGV[1] then return 'taken' end
redis.call('SET', KEYS[2], ARGV[1])
redis.call('SADD', KEYS[3], KEYS[2])
if KEYS[1] ~= KEYS[2] and redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('SREM', KEYS[3], KEYS[1])
end
return 'ok'`);

// KEYS: channel key, the node's claims set. ARGV: node.
const CLAIM_CHANNEL = new LuaScript(`
if redis.call('SET', KEYS[1], ARGV[1], 'NX') then
  redis.call('SADD', KEYS[2], KEYS[1])
  return 'created'
end
return 'exists'`);

// KEYS: channel key. ARGV: claims-set prefix.
const RELEASE_CHANNEL = new LuaScript(`
local node = redis.call('GET', KEYS[1])
if node then
  redis.call('DEL', KEYS[1])
  redis.call('SREM', ARGV[1] .. node, KEYS[1])
end
return 'ok'`);

// KEYS: the node's claims set, its lease. ARGV: node, nick key prefix.
// A claim is dropped only if the node still holds it (the set may be stale),
// and nothing is dropped while the node's lease is live: a node that came
// back (selfLost, rejoined, re-claimed) must not lose its new claims to a
// survivor's late release.
const RELEASE_NODE = new LuaScript(`
if redis.call('EXISTS', KEYS[2]) == 1 then return 'alive' end
for _, key in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local value = redis.call('GET', key)
  if value then
    local holder = value
    if string.sub(key, 1, #ARGV[2]) == ARGV[2] then holder = cjson.decode(value)[1] end
    if holder == ARGV[1] then redis.call('DEL', key) end
  end
end
redis.call('DEL', KEYS[1])
return 'ok'`);

export class RedisDirectory implements NameDirectory {
  private readonly client: Redis;
  private readonly keys: RedisKeys;

  constructor(private readonly options: RedisDirectoryOptions) {
    this.keys = redisKeys(options.keyPrefix ?? DEFAULT_KEY_PREFIX);
    this.client = redisClient(options.url, {
      name: `${options.keyPrefix ?? DEFAULT_KEY_PREFIX}${options.nodeId ?? ''}:directory`,
      commandTimeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      ...(options.onError ? { onError: options.onError } : {}),
    });
  }

  async claimNick(folded: string, holder: NickHolder): Promise<NickClaim> {
    const keys = [this.keys.nick(folded), this.keys.claims(holder.node)];
    const result = await this.run<NickClaim>(CLAIM_NICK, keys, [holderJson(holder)]);
    if (result === 'unavailable') this.undo(RELEASE_NICK, keys, [holderJson(holder)]);
    return result;
  }

  async releaseNick(folded: string, holder: NickHolder): Promise<Release> {
    return this.run<Release>(RELEASE_NICK, [this.keys.nick(folded), this.keys.claims(holder.node)], [holderJson(holder)]);
  }

  async renameNick(oldFolded: string, newFolded: string, holder: NickHolder): Promise<NickClaim> {
    const [oldKey, newKey, claims] = [this.keys.nick(oldFolded), this.keys.nick(newFolded), this.keys.claims(holder.node)];
    const result = await this.run<NickClaim>(RENAME_NICK, [oldKey, newKey, claims], [holderJson(holder)]);
    // Backwards: takes the old nick back (if still free) and lets the new one go.
    if (result === 'unavailable') this.undo(RENAME_NICK, [newKey, oldKey, claims], [holderJson(holder)]);
    return result;
  }

  async claimChannel(folded: string, node: string): Promise<ChannelClaim> {
    // Not undone when unanswered: a stray channel claim only costs a later
    // creator its founder rights, while undoing could drop a real channel.
    return this.run<ChannelClaim>(CLAIM_CHANNEL, [this.keys.channel(folded), this.keys.claims(node)], [node]);
  }

  async releaseChannel(folded: string): Promise<Release> {
    return this.run<Release>(RELEASE_CHANNEL, [this.keys.channel(folded)], [this.keys.claimsPrefix]);
  }

  /** Drops nothing while `node` holds a live lease ('alive'): release a node after it is gone. */
  async releaseNode(node: string): Promise<NodeRelease> {
    return this.run<NodeRelease>(RELEASE_NODE, [this.keys.claims(node), this.keys.lease(node)], [node, this.keys.nickPrefix]);
  }

  async holderOfNick(folded: string): Promise<NickHolder | null | 'unavailable'> {
    try {
      const value = await this.client.get(this.keys.nick(folded));
      if (value === null) return null;
      const [node, user] = JSON.parse(value) as [string, string];
      return { node, user };
    } catch (err) {
      this.report(err);
      return 'unavailable';
    }
  }

  async close(): Promise<void> {
    await closeClient(this.client);
  }

  private async run<T extends string>(script: LuaScript, keys: string[], args: string[]): Promise<T | 'unavailable'> {
    try {
      return (await script.run(this.client, keys, args)) as T;
    } catch (err) {
      this.report(err);
      return 'unavailable';
    }
  }

  /** Undo a change whose answer never came; best effort, its own failure is only reported. */
  private undo(script: LuaScript, keys: string[], args: string[]): void {
    script.runBySource(this.client, keys, args).catch((err: unknown) => this.report(err));
  }

  private report(err: unknown): void {
    this.options.onError?.(err instanceof Error ? err : new Error(String(err)));
  }
}

function holderJson(holder: NickHolder): string {
  return JSON.stringify([holder.node, holder.user]);
}
