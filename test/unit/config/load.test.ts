import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ConfigError, envOverrides, loadConfig, PACKAGE_CONF_DIR, type LoadOptions } from '../../../src/config/load.js';
import { hashPassword } from '../../../src/config/password.js';

const REPO_CONF = resolve(import.meta.dirname, '../../../conf/obrol.yaml');

/** The ConfigError that loading with `options` throws (fails the test if none). */
function configError(options: LoadOptions): ConfigError {
  try {
    loadConfig(options);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'obrol-config-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('loadConfig: defaults and the documented file', () => {
  it('with no file gives the embedded defaults', () => {
    const { config, path, motdPath } = loadConfig();
    expect(path).toBeNull();
    expect(config.server.name).toBe('obrol.local');
    expect(config.server.casemapping).toBe('rfc1459');
    expect(config.listen).toEqual({ host: '127.0.0.1', port: 6667, transport: 'auto' });
    expect(config.channels.default_modes).toBe('+nt');
    expect(config.limits.nick_length).toBe(32);
    expect(config.opers).toEqual([]);
    // The WebSocket listener and its chat page are on, on loopback.
    expect(config.websocket).toEqual({ host: '127.0.0.1', port: 8097, tls: false, origins: [], trusted_proxies: [], web_client: true, web_hosts: [] });
    // Relative paths resolve against the package's conf/ folder.
    expect(motdPath).toBe(join(PACKAGE_CONF_DIR, 'motd.txt'));
  });

  it('conf/obrol.yaml parses to exactly the embedded defaults (keeps the documented file honest)', () => {
    const fromFile = loadConfig({ path: REPO_CONF });
    expect(fromFile.config).toEqual(loadConfig().config);
    expect(fromFile.path).toBe(REPO_CONF);
    expect(fromFile.motdPath).toBe(loadConfig().motdPath);
  });

  it('an empty file gives the defaults too', () => {
    expect(loadConfig({ path: file('empty.yaml', '# nothing here\n') }).config).toEqual(loadConfig().config);
  });

  it('freezes the result, deeply', () => {
    const { config } = loadConfig();
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.limits)).toBe(true);
    expect(Object.isFrozen(config.opers)).toBe(true);
  });

  it('resolves the MOTD relative to the config file; null means none', () => {
    expect(loadConfig({ path: file('a.yaml', 'server:\n  motd_file: welcome.txt\n') }).motdPath).toBe(join(dir, 'welcome.txt'));
    expect(loadConfig({ path: file('b.yaml', 'server:\n  motd_file: /etc/motd\n') }).motdPath).toBe('/etc/motd');
    expect(loadConfig({ path: file('c.yaml', 'server:\n  motd_file: null\n') }).motdPath).toBeNull();
  });
});

describe('loadConfig: errors name the key', () => {
  it.each([
    ['an unknown key', 'server:\n  nmae: x\n', 'server', 'nmae'],
    ['an unknown section', 'servre:\n  name: x.y\n', '(top level)', 'servre'],
    ['a wrong type', 'listen:\n  port: "six"\n', 'listen.port', 'number'],
    ['a number out of range', 'listen:\n  port: 70000\n', 'listen.port', '<=65535'],
    ['a zero limit', 'limits:\n  nick_length: 0\n', 'limits.nick_length', '>=1'],
    ['a fraction where an integer is needed', 'limits:\n  targets: 2.5\n', 'limits.targets', 'expected int'],
    ['a bad enum value', 'server:\n  casemapping: unicode\n', 'server.casemapping', '"rfc1459"'],
    ['a server name without a dot', 'server:\n  name: obrol\n', 'server.name', 'dot'],
    ['a bad default channel mode', 'channels:\n  default_modes: "+nk"\n', 'channels.default_modes', 'may only contain the channel modes'],
    ['a wrong type in a list item', 'opers:\n  - name: 5\n', 'opers[0].name', 'expected string'],
    ['a section that is not a mapping', 'limits: 5\n', 'limits', 'expected object'],
  ])('%s', (_what, yaml, key, detail) => {
    expect(detail, 'every row names the detail its message must hold').not.toBe('');
    const err = configError({ path: file('bad.yaml', yaml) });
    expect(err.code).toBe('CONFIG_INVALID');
    const problem = err.problems.find((p) => p.startsWith(`${key}: `));
    expect(problem, err.problems.join('\n')).toBeDefined();
    expect(problem).toContain(detail);
    expect(err.message).toContain(key);
  });

  describe('free text that goes into protocol lines refuses CR, LF and NUL', () => {
    const KEYS = ['server.description', 'server.network', 'admin.location', 'admin.organisation', 'admin.email'];
    const BAD = [
      ['CR', 'a\rb'],
      ['LF', 'a\nPRIVMSG #c :injected'],
      ['NUL', 'a\0b'],
    ];
    it.each(KEYS.flatMap((key) => BAD.map(([what, value]) => [key, what, value] as const)))('%s with %s', (key, _what, value) => {
      const [section, name] = key.split('.') as [string, string];
      const err = configError({ path: file('bad.yaml', stringify({ [section]: { [name]: value } })) });
      expect(err.problems).toEqual([`${key}: must not contain CR, LF or NUL`]);
    });

    it('and through an environment override too (a YAML double-quoted value can hold them)', () => {
      const err = configError({ env: { OBROL_SERVER__DESCRIPTION: '"one\\r\\nQUIT"' } });
      expect(err.problems).toEqual(['server.description: must not contain CR, LF or NUL']);
    });

    it('other characters are fine', () => {
      const { config } = loadConfig({ path: file('ok.yaml', stringify({ server: { description: 'Tabs\tand ünïcode ✓' }, admin: { email: 'a@b.c' } })) });
      expect(config.server.description).toBe('Tabs\tand ünïcode ✓');
    });
  });

  it('reports every problem at once', () => {
    const err = configError({ path: file('bad.yaml', 'listen:\n  port: -1\nlimits:\n  targets: 0\n') });
    expect(err.problems.map((p) => p.split(':')[0]).sort()).toEqual(['limits.targets', 'listen.port']);
  });

  it('a YAML syntax error is CONFIG_SYNTAX naming the file', () => {
    const path = file('broken.yaml', 'server:\n  name: [unclosed\n');
    const err = configError({ path });
    expect(err.code).toBe('CONFIG_SYNTAX');
    expect(err.problems[0]).toContain(path);
    expect(err.problems[0]).toContain('not valid YAML');
  });

  it('a top level that is not a mapping is CONFIG_SYNTAX', () => {
    const path = file('list.yaml', '- a\n- b\n');
    const err = configError({ path });
    expect(err.code).toBe('CONFIG_SYNTAX');
    expect(err.problems[0]).toContain(path);
  });

  it('a missing file is CONFIG_READ naming the file', () => {
    const path = join(dir, 'nope.yaml');
    const err = configError({ path });
    expect(err.code).toBe('CONFIG_READ');
    expect(err.problems).toEqual([`${path}: cannot read the config file (no such file)`]);
  });

  it('duplicate oper names are refused', async () => {
    const hash = await hashPassword('pw');
    const err = configError({ overrides: { opers: [{ name: 'a', password: hash, hosts: ['*@*'] }, { name: 'a', password: hash, hosts: ['*@*'] }] } });
    expect(err.problems).toEqual(['opers[1].name: duplicate oper name "a"']);
  });
});

describe('loadConfig: passwords in the config', () => {
  let hash: string;
  beforeAll(async () => {
    hash = await hashPassword('s3cret');
  });

  it('accepts an oper block with a hash', () => {
    const { config } = loadConfig({ overrides: { opers: [{ name: 'alice', password: hash, hosts: ['*@127.0.0.1'] }] } });
    expect(config.opers).toEqual([{ name: 'alice', password: hash, hosts: ['*@127.0.0.1'] }]);
  });

  it('refuses a plain-text oper password', () => {
    const err = configError({ path: file('plain.yaml', 'opers:\n  - name: alice\n    password: s3cret\n    hosts: ["*@*"]\n') });
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]).toMatch(/^opers\[0\]\.password: must be a password hash/);
  });

  it('refuses a plain-text server password', () => {
    const err = configError({ overrides: { 'server.password': 'letmein' } });
    expect(err.problems[0]).toMatch(/^server\.password: must be a password hash/);
  });
});

describe('environment overrides', () => {
  it('OBROL_LISTEN__PORT=7000 arrives as a number', () => {
    expect(envOverrides({ OBROL_LISTEN__PORT: '7000' })).toEqual({ 'listen.port': 7000 });
    const { config } = loadConfig({ env: { OBROL_LISTEN__PORT: '7000' } });
    expect(config.listen.port).toBe(7000);
  });

  it('reads booleans and strings as YAML scalars, and an empty value as the empty string', () => {
    expect(envOverrides({ OBROL_LOG__MESSAGE_TEXT: 'true', OBROL_SERVER__NAME: 'irc.example.org', OBROL_SERVER__DEFAULT_USER_MODES: '' })).toEqual({
      'log.message_text': true,
      'server.name': 'irc.example.org',
      'server.default_user_modes': '',
    });
  });

  it('ignores other variables, and prefixed ones without a section', () => {
    expect(envOverrides({ PATH: '/bin', OBROL_DEBUG: '1', obrol_listen__port: '1', OBROL_LISTEN__PORT: undefined })).toEqual({});
  });

  it('numeric segments index lists (OBROL_OPERS__0__NAME)', async () => {
    const hash = await hashPassword('pw');
    const { config } = loadConfig({
      env: {
        OBROL_OPERS__0__NAME: 'alice',
        OBROL_OPERS__0__PASSWORD: hash,
        OBROL_OPERS__0__HOSTS__0: '*@127.0.0.1',
        OBROL_OPERS__1__NAME: 'bob',
        OBROL_OPERS__1__PASSWORD: hash,
        OBROL_OPERS__1__HOSTS__0: '*@*',
      },
    });
    expect(config.opers).toEqual([
      { name: 'alice', password: hash, hosts: ['*@127.0.0.1'] },
      { name: 'bob', password: hash, hosts: ['*@*'] },
    ]);
  });

  it('a bad value is an error naming the key', () => {
    const err = configError({ env: { OBROL_LISTEN__PORT: 'many' } });
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.problems[0]).toMatch(/^listen\.port: /);
  });

  it.each([
    ['a host mask (not valid YAML: * starts an alias)', '*@127.0.0.1'],
    ['text YAML would read as a mapping', 'Obrol: the friendly server'],
    ['text YAML would read as a list', '[beta]'],
    ['text YAML would read as a comment', '#1 server in town'],
    ['unbalanced brackets', '[unclosed'],
  ])('takes %s as the string it is', (_what, text) => {
    expect(envOverrides({ OBROL_SERVER__DESCRIPTION: text })).toEqual({ 'server.description': text });
    expect(loadConfig({ env: { OBROL_SERVER__DESCRIPTION: text } }).config.server.description).toBe(text);
  });

  it('null in the environment is null', () => {
    expect(loadConfig({ env: { OBROL_SERVER__MOTD_FILE: 'null' } }).motdPath).toBeNull();
    expect(envOverrides({ OBROL_SERVER__MOTD_FILE: '~' })).toEqual({ 'server.motd_file': null });
  });

  it('an unknown key in the environment is refused like one in the file', () => {
    const err = configError({ env: { OBROL_LISTEN__PROT: '7000' } });
    expect(err.problems[0]).toMatch(/^listen: .*prot/);
  });

  it('a path through a value or a list is an error naming the key', () => {
    const path = file('c.yaml', 'listen:\n  port: 7001\n');
    expect(configError({ path, env: { OBROL_LISTEN__PORT__X: '1' } }).problems).toEqual(['listen.port.x: listen.port is a value, not a section']);
    expect(configError({ env: { OBROL_OPERS__0__NAME: 'a', OBROL_OPERS__NAME: 'b' } }).problems).toEqual(['opers.name: opers is a list (use a number)']);
  });
});

describe('precedence: command line over environment over file over defaults', () => {
  it.each([
    ['file only', {}, undefined, 7001],
    ['environment over file', { OBROL_LISTEN__PORT: '7002' }, undefined, 7002],
    ['command line over both', { OBROL_LISTEN__PORT: '7002' }, { 'listen.port': 7003 }, 7003],
    ['an undefined flag does not override', { OBROL_LISTEN__PORT: '7002' }, { 'listen.port': undefined }, 7002],
  ] as const)('%s', (_what, env, overrides, port) => {
    const path = file('p.yaml', 'listen:\n  port: 7001\n  host: 0.0.0.0\n');
    const { config } = loadConfig({ path, env, ...(overrides ? { overrides } : {}) });
    expect(config.listen).toEqual({ host: '0.0.0.0', port, transport: 'auto' });
  });

  it('a file turns the WebSocket listener off with websocket: null, and the page alone with web_client: false', () => {
    expect(loadConfig({ path: file('off.yaml', 'websocket: null\n') }).config.websocket).toBeNull();
    expect(loadConfig({ path: file('nopage.yaml', 'websocket:\n  web_client: false\n') }).config.websocket).toMatchObject({ port: 8097, web_client: false });
    expect(() => loadConfig({ path: file('bad.yaml', 'websocket:\n  web_hosts: ["a b"]\n') })).toThrow(/websocket\.web_hosts\[0\]/);
  });

  it('caller defaults sit under the file: they apply only where the file is silent', () => {
    const defaults = { websocket: null, 'listen.port': 7010 };
    expect(loadConfig({ defaults }).config).toMatchObject({ websocket: null, listen: { port: 7010 } });
    const silent = file('silent.yaml', 'server:\n  name: irc.example.org\n');
    expect(loadConfig({ path: silent, defaults }).config).toMatchObject({ websocket: null, listen: { port: 7010 } });
    const speaks = file('speaks.yaml', 'listen:\n  port: 7001\nwebsocket:\n  port: 0\n');
    expect(loadConfig({ path: speaks, defaults }).config).toMatchObject({ websocket: { port: 0 }, listen: { port: 7001 } });
    // The environment and flags still win over both.
    expect(loadConfig({ path: speaks, defaults, env: { OBROL_LISTEN__PORT: '7002' } }).config.listen.port).toBe(7002);
  });

  it('overrides leave the rest of the file alone', () => {
    const path = file('p.yaml', 'server:\n  name: irc.example.org\nlisten:\n  port: 7001\n');
    const { config } = loadConfig({ path, overrides: { 'listen.port': 7003 } });
    expect(config.server.name).toBe('irc.example.org');
    expect(config.listen.port).toBe(7003);
  });
});
