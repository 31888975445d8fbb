/**
 * `obrol chat` options: server addresses, the config file (validated, errors
 * naming the key) and how flags, file and defaults combine.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ChatOptionsError, nickFromUser, parseServerAddress, resolveChatOptions } from '../../../src/client/terminal/options.js';

let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

function configFile(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'obrol-chat-'));
  dirs.push(dir);
  const path = join(dir, 'chat.yaml');
  writeFileSync(path, text);
  return path;
}

const noConfig = () => configFile('');

describe('parseServerAddress', () => {
  it.each([
    ['irc.example.org', { host: 'irc.example.org', port: 6667, tls: false, transport: 'tcp' }],
    ['127.0.0.1:7000', { host: '127.0.0.1', port: 7000, tls: false, transport: 'tcp' }],
    ['[::1]:7000', { host: '::1', port: 7000, tls: false, transport: 'tcp' }],
    ['::1', { host: '::1', port: 6667, tls: false, transport: 'tcp' }],
    ['ircs://irc.example.org', { host: 'irc.example.org', port: 6697, tls: true, transport: 'tcp' }],
    ['ws://127.0.0.1:8080/', { host: '127.0.0.1', port: 8080, tls: false, transport: 'websocket', path: '/' }],
    ['wss://chat.example.org/irc', { host: 'chat.example.org', port: 443, tls: true, transport: 'websocket', path: '/irc' }],
  ])('%s', (text, expected) => {
    expect(parseServerAddress(text)).toMatchObject(expected);
  });

  it('uses 6697 with --tls and refuses bad ports and schemes', () => {
    expect(parseServerAddress('h', true)).toMatchObject({ port: 6697, tls: true });
    expect(() => parseServerAddress('h:0')).toThrow('server "h:0": port "0" is not a number from 1 to 65535');
    expect(() => parseServerAddress('h:x')).toThrow(ChatOptionsError);
    expect(() => parseServerAddress('http://h/')).toThrow('unsupported scheme http://');
  });
});

describe('resolveChatOptions', () => {
  it('defaults to 127.0.0.1:6667 and a nick from $USER, else guest', () => {
    const o = resolveChatOptions({ config: noConfig() }, { USER: 'ana' });
    expect(o).toMatchObject({ address: { host: '127.0.0.1', port: 6667, tls: false }, nick: 'ana', defaultNick: true, user: 'ana', channels: [] });
    expect(resolveChatOptions({ config: noConfig() }, {}).nick).toBe('guest');
    expect(nickFromUser('9 weird.name')).toBe('weirdname');
  });

  it('takes the file, and flags over the file', () => {
    const path = configFile('server: irc.example.org\nport: 7000\ntls: true\nnick: filenick\nchannels: ["#a", "#b"]\naccount: acct\naccount_password: secret\n');
    expect(resolveChatOptions({ config: path }, {})).toMatchObject({
      address: { host: 'irc.example.org', port: 7000, tls: true },
      nick: 'filenick',
      channels: ['#a', '#b'],
      account: { account: 'acct', password: 'secret' },
    });
    expect(resolveChatOptions({ config: path, server: 'other:1234', nick: 'flagnick', join: '#c' }, {})).toMatchObject({
      address: { host: 'other', port: 1234, tls: true },
      nick: 'flagnick',
      channels: ['#c'],
    });
  });

  it('refuses bad values naming the key or flag', () => {
    expect(() => resolveChatOptions({ config: configFile('nick: 1bad\n') }, {})).toThrow(/chat\.yaml: nick: not a valid nick$/);
    expect(() => resolveChatOptions({ config: configFile('- a list\n') }, {})).toThrow(/the top level must be a mapping/);
    expect(() => resolveChatOptions({ config: configFile('port: [\n') }, {})).toThrow(/not valid YAML/);
    expect(() => resolveChatOptions({ config: noConfig(), nick: '9lives' }, {})).toThrow(/^--nick "9lives": not a valid nick/);
    expect(() => resolveChatOptions({ config: noConfig(), join: 'lobby' }, {})).toThrow('--join: "lobby" is not a channel name (start it with #)');
    expect(() => resolveChatOptions({ config: noConfig(), account: 'me' }, {})).toThrow(/--account needs a password/);
  });
});
