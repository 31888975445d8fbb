/**
 * Build the configuration: embedded defaults (and any `defaults` a caller
 * layers over them), then the YAML file, then
 * environment overrides (OBROL_SECTION__KEY=value), then command-line flags.
 * The result is validated whole and frozen; any problem is a ConfigError that
 * names the key and the reason, and nothing is started.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { configSchema, type Config } from './schema.js';

export const ENV_PREFIX = 'OBROL_';

export type ConfigErrorCode = 'CONFIG_READ' | 'CONFIG_SYNTAX' | 'CONFIG_INVALID';

export class ConfigError extends Error {
  constructor(
    readonly code: ConfigErrorCode,
    readonly problems: string[],
  ) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}

export interface LoadedConfig {
  config: Config;
  /** The file it came from, or null for the embedded defaults. */
  path: string | null;
  /** Absolute path of the MOTD file, or null when none is configured. */
  motdPath: string | null;
  /** Absolute paths of the TLS certificate and key, or null without a tls section. */
  tlsPaths: { cert: string; key: string } | null;
}

export interface LoadOptions {
  path?: string | null;
  env?: Record<string, string | undefined>;
  /**
   * Dotted key -> value, applied under the file: only where the file does not
   * set that key. For embedders and tests that want other defaults than the
   * schema's (a test server without the WebSocket listener, say) while a
   * config file, read again on REHASH, still decides.
   */
  defaults?: Record<string, unknown>;
  /** Dotted key -> value, e.g. { 'listen.port': 7000 }, from command-line flags. */
  overrides?: Record<string, unknown>;
}

/** The folder of conf/ in the installed package: where relative paths point when there is no config file. */
export const PACKAGE_CONF_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../conf');

export function loadConfig(options: LoadOptions = {}): LoadedConfig {
  const path = options.path ? resolve(options.path) : null;
  let raw: Record<string, unknown> = {};
  if (path) raw = readYamlFile(path);
  const problems: string[] = [];
  for (const [key, value] of Object.entries(options.defaults ?? {})) if (!hasPath(raw, key)) setPath(raw, key, value, problems);
  for (const [key, value] of Object.entries(envOverrides(options.env ?? {}))) setPath(raw, key, value, problems);
  for (const [key, value] of Object.entries(options.overrides ?? {})) if (value !== undefined) setPath(raw, key, value, problems);
  if (problems.length > 0) throw new ConfigError('CONFIG_INVALID', problems);

  const result = configSchema.safeParse(raw);
  if (!result.success) {
    throw new ConfigError(
      'CONFIG_INVALID',
      result.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`),
    );
  }
  const config = deepFreeze(result.data);
  const baseDir = path ? dirname(path) : PACKAGE_CONF_DIR;
  const fromBase = (file: string) => (isAbsolute(file) ? file : resolve(baseDir, file));
  const motd = config.server.motd_file;
  const motdPath = motd === null || motd === '' ? null : fromBase(motd);
  const tlsPaths = config.tls ? { cert: fromBase(config.tls.cert), key: fromBase(config.tls.key) } : null;
  return { config, path, motdPath, tlsPaths };
}

function readYamlFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new ConfigError('CONFIG_READ', [`${path}: cannot read the config file (${reason})`]);
  }
  let data: unknown;
  try {
    data = parseYaml(text, { prettyErrors: true });
  } catch (err) {
    const detail = err instanceof YAMLParseError ? err.message : String(err);
    throw new ConfigError('CONFIG_SYNTAX', [`${path}: not valid YAML: ${detail}`]);
  }
  if (data === null || data === undefined) return {};
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new ConfigError('CONFIG_SYNTAX', [`${path}: the top level must be a mapping of sections (server:, listen:, ...)`]);
  }
  return data as Record<string, unknown>;
}

/**
 * OBROL_LISTEN__PORT=7000 -> { 'listen.port': 7000 }. Segments are lower-cased;
 * numeric segments index arrays (OBROL_OPERS__0__NAME). Values are read as YAML
 * scalars, so numbers, booleans and null arrive typed; anything else (text that
 * is not YAML, such as the host mask *@*, or that YAML reads as a list, a
 * mapping or a comment, such as "a: b" or "#1") is taken as the string it is.
 */
export function envOverrides(env: Record<string, string | undefined>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || !name.includes('__') || value === undefined) continue;
    const key = name.slice(ENV_PREFIX.length).toLowerCase().split('__').join('.');
    out[key] = readScalar(value);
  }
  return out;
}

function readScalar(text: string): unknown {
  if (text === '') return '';
  try {
    const value: unknown = parseYaml(text);
    // A lone comment ("#1 server") also reads as null: only null itself is null.
    if (value === null) return /^(null|Null|NULL|~)$/.test(text) ? null : text;
    return typeof value === 'object' ? text : value;
  } catch {
    return text;
  }
}

/** Whether the file set `dotted` (to anything, null included). */
function hasPath(target: Record<string, unknown>, dotted: string): boolean {
  let node: unknown = target;
  for (const part of dotted.split('.')) {
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, part)) return false;
    node = (node as Record<string, unknown>)[part];
  }
  return true;
}

function setPath(target: Record<string, unknown>, dotted: string, value: unknown, problems: string[]): void {
  const parts = dotted.split('.');
  let node: Record<string, unknown> | unknown[] = target;
  for (let k = 0; k < parts.length; k++) {
    const part = parts[k] as string;
    const last = k === parts.length - 1;
    const index = /^\d+$/.test(part) ? Number(part) : null;
    if (Array.isArray(node) !== (index !== null)) {
      problems.push(`${dotted}: ${formatPath(parts.slice(0, k))} is ${Array.isArray(node) ? 'a list (use a number)' : 'not a list'}`);
      return;
    }
    const container = node as Record<string | number, unknown>;
    const slot = index ?? part;
    if (last) {
      container[slot] = value;
      return;
    }
    const nextIsIndex = /^\d+$/.test(parts[k + 1] as string);
    if (container[slot] === undefined || container[slot] === null) container[slot] = nextIsIndex ? [] : {};
    const next = container[slot];
    if (typeof next !== 'object' || next === null) {
      problems.push(`${dotted}: ${formatPath(parts.slice(0, k + 1))} is a value, not a section`);
      return;
    }
    node = next as Record<string, unknown> | unknown[];
  }
}

function formatPath(path: ReadonlyArray<PropertyKey>): string {
  if (path.length === 0) return '(top level)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i > 0 ? '.' : ''}${String(p)}`)).join('');
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}
