/**
 * The page's file map and the own-origin rule (src/net/webpage.ts), without
 * a server: which files are served at all, and which Host and Origin pairs
 * count as the page's own origin.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { acceptsGzip, contentSecurityPolicy, loadWebPage, ownOrigin, sameOrigin } from '../../../src/net/webpage.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'obrol-web-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    if (name.endsWith('/')) mkdirSync(join(dir, name));
    else writeFileSync(join(dir, name), text);
  }
  return dir;
}

function req(host: string | undefined): IncomingMessage {
  return { headers: host === undefined ? {} : { host } } as IncomingMessage;
}

describe('loadWebPage', () => {
  it('takes the top-level files with known types and plain names; hashed names are immutable', () => {
    const page = loadWebPage(
      folder({
        'index.html': '<!doctype html>',
        'app-ABCDEFGH.js': 'x',
        'app-ABCDEFGH.css': 'y',
        'notes.md': 'not served',
        '.hidden.js': 'no',
        'with space.js': 'no',
        'sub/': '',
      }),
    );
    expect(page).not.toBeNull();
    expect([...(page?.files.keys() ?? [])].sort()).toEqual(['app-ABCDEFGH.css', 'app-ABCDEFGH.js', 'index.html']);
    expect(page?.files.get('app-ABCDEFGH.js')).toMatchObject({ type: 'text/javascript; charset=utf-8', immutable: true });
    expect(page?.files.get('index.html')).toMatchObject({ type: 'text/html; charset=utf-8', immutable: false });
  });

  it('is null without index.html or without the folder: the page is not built', () => {
    expect(loadWebPage(folder({ 'app-ABCDEFGH.js': 'x' }))).toBeNull();
    expect(loadWebPage(join(tmpdir(), 'obrol-no-such-folder'))).toBeNull();
  });
});

describe('acceptsGzip', () => {
  it.each([
    [undefined, false],
    ['', false],
    ['gzip', true],
    ['gzip, deflate, br, zstd', true],
    ['br;q=1.0, GZIP;q=0.5', true],
    ['gzip;q=0', false],
    ['gzip; q=0.0, deflate', false],
    ['*', true],
    ['*;q=0', false],
    ['identity', false],
    ['x-gzip', false],
  ] as const)('%s -> %s', (header, expected) => {
    expect(acceptsGzip(header)).toBe(expected);
  });
});

describe('ownOrigin and sameOrigin', () => {
  it('IP literals, localhost and listed names count; other names do not (DNS rebinding)', () => {
    expect(ownOrigin(req('127.0.0.1:8097'), false, [])).toBe('http://127.0.0.1:8097');
    expect(ownOrigin(req('192.0.2.7:8097'), true, [])).toBe('https://192.0.2.7:8097');
    expect(ownOrigin(req('[::1]:8097'), false, [])).toBe('http://[::1]:8097');
    expect(ownOrigin(req('LocalHost:8097'), false, [])).toBe('http://localhost:8097');
    expect(ownOrigin(req('chat.localhost'), false, [])).toBe('http://chat.localhost');
    expect(ownOrigin(req('chat.example.org'), true, ['chat.example.org'])).toBe('https://chat.example.org');
    expect(ownOrigin(req('evil.example:8097'), false, ['chat.example.org'])).toBeNull();
    expect(ownOrigin(req('localhost.evil.example'), false, [])).toBeNull();
    expect(ownOrigin(req(undefined), false, [])).toBeNull();
    expect(ownOrigin(req('a b:1'), false, [])).toBeNull();
    expect(ownOrigin(req('127.0.0.1:8097/x'), false, [])).toBeNull();
  });

  it('compares scheme, host and port as browsers write them (default ports left out)', () => {
    expect(sameOrigin('https://chat.example.org', 'https://chat.example.org:443')).toBe(true);
    expect(sameOrigin('http://127.0.0.1:8097', 'http://127.0.0.1:8097')).toBe(true);
    expect(sameOrigin('http://127.0.0.1:8098', 'http://127.0.0.1:8097')).toBe(false);
    expect(sameOrigin('https://127.0.0.1:8097', 'http://127.0.0.1:8097')).toBe(false);
    expect(sameOrigin('null', 'http://127.0.0.1:8097')).toBe(false);
    expect(sameOrigin(undefined, 'http://127.0.0.1:8097')).toBe(false);
    expect(sameOrigin('http://127.0.0.1:8097', null)).toBe(false);
  });

  it('the CSP names the WebSocket URLs of the host asked for, and nothing else', () => {
    expect(contentSecurityPolicy('127.0.0.1:8097')).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' ws://127.0.0.1:8097 wss://127.0.0.1:8097; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
    expect(contentSecurityPolicy(null)).toContain("connect-src 'self';");
  });
});
