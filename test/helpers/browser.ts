/**
 * Browser test plumbing: Debian's Chromium (/usr/bin/chromium, never a
 * downloaded one) driven through playwright-core, headless, one browser per
 * test file and a fresh non-persistent context per page; screenshots written
 * to test-results/screenshots/ and checked for content by decoding the PNG
 * (node:zlib); axe-core run inside a page.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { REPO_ROOT } from './cli.js';

export const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOT_DIR = join(REPO_ROOT, 'test-results/screenshots');
export const WEB_INDEX = join(REPO_ROOT, 'dist/web/index.html');

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function assertBrowserReady(): void {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (.ci/run does)`);
  if (!existsSync(WEB_INDEX)) throw new Error(`${WEB_INDEX} is missing: run \`npm run build\` (npm test does it first)`);
}

export async function launchBrowser(): Promise<Browser> {
  assertBrowserReady();
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS, timeout: 20_000 });
}

export interface PageProblems {
  /** Console errors and uncaught exceptions (CSP violations show up here). */
  errors: string[];
}

/** A page in a fresh context (no storage shared with other pages), collecting console errors. */
export async function newPage(browser: Browser, viewport = { width: 1100, height: 700 }): Promise<{ context: BrowserContext; page: Page; problems: PageProblems }> {
  const context = await browser.newContext({ viewport, reducedMotion: 'reduce' });
  const page = await context.newPage();
  // Fail a step in seconds, with what it waited for, rather than at the test's timeout.
  page.setDefaultTimeout(5000);
  const problems: PageProblems = { errors: [] };
  page.on('console', (message) => {
    if (message.type() === 'error') problems.errors.push(message.text());
  });
  page.on('pageerror', (error) => problems.errors.push(`uncaught: ${error.message}`));
  return { context, page, problems };
}

/** Take a screenshot into test-results/screenshots/<name>.png; returns the PNG bytes. */
export async function screenshot(page: Page, name: string): Promise<Buffer> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const png = await page.screenshot({ type: 'png' });
  writeFileSync(join(SCREENSHOT_DIR, `${name}.png`), png);
  return png;
}

export interface PngSummary {
  width: number;
  height: number;
  /** Distinct RGB(A) colours. */
  colours: number;
}

/** Decode an 8-bit RGB or RGBA, non-interlaced PNG (what Chromium writes) and count its colours. */
export function summarizePng(png: Buffer): PngSummary {
  if (png.subarray(0, 8).toString('hex') !== '89504e470d0a1a0a') throw new Error('not a PNG');
  let offset = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const data: Buffer[] = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString('latin1', offset + 4, offset + 8);
    const body = png.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      const depth = body[8];
      const colourType = body[9];
      const interlace = body[12];
      if (depth !== 8 || (colourType !== 2 && colourType !== 6) || interlace !== 0) throw new Error(`unsupported PNG: depth ${depth}, colour type ${colourType}, interlace ${interlace}`);
      channels = colourType === 6 ? 4 : 3;
    } else if (type === 'IDAT') {
      data.push(body);
    } else if (type === 'IEND') {
      break;
    }
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(data));
  const stride = width * channels;
  const previous = Buffer.alloc(stride);
  const row = Buffer.alloc(stride);
  const colours = new Set<number>();
  for (let y = 0; y < height; y++) {
    const start = y * (stride + 1);
    const filter = raw[start];
    for (let x = 0; x < stride; x++) {
      const value = raw[start + 1 + x] as number;
      const left = x >= channels ? (row[x - channels] as number) : 0;
      const up = previous[x] as number;
      const upLeft = x >= channels ? (previous[x - channels] as number) : 0;
      let out: number;
      switch (filter) {
        case 0: out = value; break;
        case 1: out = value + left; break;
        case 2: out = value + up; break;
        case 3: out = value + ((left + up) >> 1); break;
        case 4: {
          const p = left + up - upLeft;
          const pa = Math.abs(p - left);
          const pb = Math.abs(p - up);
          const pc = Math.abs(p - upLeft);
          out = value + (pa <= pb && pa <= pc ? left : pb <= pc ? up : upLeft);
          break;
        }
        default: throw new Error(`bad PNG filter ${filter} on row ${y}`);
      }
      row[x] = out & 0xff;
    }
    for (let x = 0; x < stride; x += channels) {
      colours.add(((row[x] as number) << 16) | ((row[x + 1] as number) << 8) | (row[x + 2] as number));
    }
    row.copy(previous);
  }
  return { width, height, colours: colours.size };
}

const require = createRequire(import.meta.url);
let axeSource: string | null = null;

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: number;
  targets: string[];
}

/**
 * Run axe-core in the page (WCAG 2.x A and AA rules and best practices). The
 * script is evaluated through the DevTools protocol, which the page's
 * Content-Security-Policy does not apply to, so the page keeps its own CSP.
 */
export async function runAxe(page: Page): Promise<AxeViolation[]> {
  axeSource ??= readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  await page.evaluate(axeSource);
  // A string, run in the page (this file is compiled without the DOM library).
  return page.evaluate(`axe.run(document, { resultTypes: ['violations'] }).then((result) =>
    result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length, targets: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) })))`) as Promise<AxeViolation[]>;
}
