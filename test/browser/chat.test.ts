/**
 * The chat page in a real browser (Debian's Chromium through playwright-core,
 * headless): served by the WebSocket listener of a test server, it connects
 * with text.ircv3.net from its own origin. Two pages chat in a channel and
 * by query, and with a plain TCP client; the topic and nick list show; a
 * background channel gets an unread mark and a "new messages" divider; the
 * page reconnects after the server drops it; a page from another origin is
 * refused. Screenshots of the main views go to test-results/screenshots/ and
 * must have content; axe-core finds nothing serious or critical.
 *
 * One browser for the file; each page has its own context (no shared storage).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer as createHttpServer } from 'node:http';
import type { Browser, Page } from 'playwright-core';
import { WebSocketServer } from 'ws';
import { loadWebPage, serveWebPage } from '../../src/net/webpage.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestClient } from '../helpers/client.js';
import { fakeHistory } from '../helpers/fakehistory.js';
import { launchBrowser, newPage, runAxe, screenshot, SCREENSHOT_DIR, summarizePng, type AxeViolation, type PageProblems } from '../helpers/browser.js';
import { startServer, type TestServer } from '../helpers/server.js';

const WAIT = { timeout: 5000 };
const DESKTOP = { width: 1100, height: 700 };
const PHONE = { width: 390, height: 760 };

let browser: Browser;
let srv: TestServer;
let url = '';
const clients: TestClient[] = [];
const pages: Array<{ page: Page; problems: PageProblems; close(): Promise<void> }> = [];
/** axe findings below serious, per view, for the report. */
const minorFindings: Record<string, AxeViolation[]> = {};

beforeAll(async () => {
  [browser, srv] = await Promise.all([launchBrowser(), startServer({ config: { websocket: { host: '127.0.0.1', port: 0 } } })]);
  url = `http://127.0.0.1:${srv.server.addressOf('websocket').port}/`;
}, 30_000);

afterAll(async () => {
  for (const c of clients) c.close();
  for (const p of pages) await p.close().catch(() => {});
  await browser?.close();
  await srv?.stop();
  // Every view's findings (none serious or critical, or the test failed), for whoever reads the results.
  writeFileSync(join(SCREENSHOT_DIR, '..', 'axe.json'), `${JSON.stringify(minorFindings, null, 2)}\n`);
  const minor = Object.entries(minorFindings).filter(([, list]) => list.length > 0);
  if (minor.length > 0) console.info(`axe findings below serious:\n${minor.map(([view, list]) => `  ${view}: ${list.map((v) => `${v.id} (${v.impact}, ${v.nodes})`).join(', ')}`).join('\n')}`);
});

async function open(viewport = DESKTOP): Promise<{ page: Page; problems: PageProblems }> {
  const { context, page, problems } = await newPage(browser, viewport);
  pages.push({ page, problems, close: () => context.close() });
  await page.goto(url);
  return { page, problems };
}

/** Open the page, fill the form, wait until registered (and in the channels). */
async function connect(nick: string, channels: string, viewport = DESKTOP): Promise<{ page: Page; problems: PageProblems }> {
  const opened = await open(viewport);
  const { page } = opened;
  await page.getByLabel('Nick').fill(nick);
  await page.getByLabel('Channels to join').fill(channels);
  await page.getByRole('button', { name: 'Connect' }).click();
  await page.getByRole('status').filter({ hasText: `Connected as ${nick}` }).waitFor(WAIT);
  const first = channels.split(' ')[0];
  if (first) await member(page, nick).waitFor(WAIT);
  return opened;
}

async function tcpUser(nick: string): Promise<TestClient> {
  const c = await TestClient.register(srv.port, nick);
  clients.push(c);
  return c;
}

function log(page: Page) {
  return page.getByRole('list', { name: /^Messages in / });
}

function member(page: Page, nick: string) {
  return page.getByRole('complementary').getByRole('button', { name: new RegExp(`^[@+]?${nick}( \\(|$)`) });
}

function conversation(page: Page, name: string) {
  return page.getByRole('navigation', { name: 'Conversations' }).getByRole('button', { name: new RegExp(`^${name.replace(/[#]/g, '\\$&')}( |$)`) });
}

async function say(page: Page, text: string): Promise<void> {
  const box = page.locator('#message');
  await box.fill(text);
  await box.press('Enter');
}

async function expectScreenshot(page: Page, name: string): Promise<void> {
  const png = await screenshot(page, name);
  const summary = summarizePng(png);
  expect(png.length, `${name}.png size`).toBeGreaterThan(5000);
  expect(summary.width).toBeGreaterThan(300);
  // A blank or single-colour page has a handful of colours; text with anti-aliasing has hundreds.
  expect(summary.colours, `${name}.png distinct colours`).toBeGreaterThan(40);
}

async function expectAccessible(page: Page, view: string): Promise<void> {
  const violations = await runAxe(page);
  const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(serious, `${view}: ${JSON.stringify(serious, null, 2)}`).toEqual([]);
  minorFindings[view] = violations;
}

/**
 * A scripted IRC server that offers CHATHISTORY (Obrol does not yet), on a
 * WebSocket port that serves the built page the way Obrol does: 30 old
 * messages in #hist, handed out 20 at a time.
 */
async function historyServer(): Promise<{ url: string; received: string[]; close(): Promise<void> }> {
  const page = loadWebPage();
  const script = fakeHistory({ messages: 30, limit: 20, caps: ['batch', 'server-time', 'message-tags', 'draft/chathistory'], text: (k) => `history line ${k}` });
  const http = createHttpServer((req, res) => serveWebPage(page, req, res));
  const wss = new WebSocketServer({ server: http, handleProtocols: () => 'text.ircv3.net' });
  wss.on('connection', (ws) => {
    const handle = script.connect({ send: (text) => ws.send(text), end: () => ws.close() });
    ws.on('message', (data) => {
      for (const text of String(data).split(/\r?\n/).filter(Boolean)) handle(text);
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const port = (http.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    received: script.received,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close();
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}

describe('the chat page in Chromium', () => {
  it('shows the connect form, focused on the nick, without errors (CSP included)', async () => {
    const { page, problems } = await open();
    expect(await page.title()).toBe('Obrol chat');
    await expect.poll(() => page.evaluate('document.activeElement?.id')).toBe('nick');
    await expectScreenshot(page, 'connect-form');
    await expectAccessible(page, 'connect form');
    expect(problems.errors).toEqual([]);
  });

  it('two pages and a TCP client chat in a channel and by query; topic and nick list shown; unread marks on a background channel', { timeout: 40_000 }, async () => {
    const carol = await tcpUser('carol');
    carol.send('JOIN #lobby');
    await carol.expect(/ 366 /);
    carol.send('TOPIC #lobby :Welcome to the lobby');
    await carol.expect(/ TOPIC /);

    const { page: alice, problems: aliceProblems } = await connect('alice', '#lobby');
    const { page: bob, problems: bobProblems } = await connect('bob', '#lobby #side');
    await expect.poll(() => alice.locator('#topic').textContent(), WAIT).toContain('Welcome to the lobby');
    await member(alice, 'bob').waitFor(WAIT);
    const nicks = await alice.getByRole('complementary').getByRole('listitem').allTextContents();
    expect(nicks.map((n) => n.replace(/ \(.*\)$/, ''))).toEqual(['@carol', 'alice', 'bob']);
    await expect.poll(() => alice.locator('#members-title').textContent()).toBe('Members (3)');

    // In the channel: page to page, page to TCP, TCP to pages.
    await bob.getByRole('navigation').getByRole('button', { name: '#lobby' }).click();
    await say(alice, 'hello from alice');
    await log(bob).getByText('hello from alice').waitFor(WAIT);
    expect(await carol.expect(/ PRIVMSG #lobby /)).toBe(':alice!alice@127.0.0.1 PRIVMSG #lobby :hello from alice');
    carol.send('PRIVMSG #lobby :hi pages, says carol');
    await log(alice).getByText('hi pages, says carol').waitFor(WAIT);
    await log(bob).getByText('hi pages, says carol').waitFor(WAIT);
    // Said once, politely, to a screen reader; the page's title counts what is unread elsewhere.
    expect(await alice.locator('[aria-live="polite"]').textContent()).toBe('carol: hi pages, says carol');
    expect(await alice.title()).toMatch(/^(\(\d+\) )?#lobby – Obrol chat$/);

    // By query: alice opens bob from the nick list; bob gets a new conversation with an unread mark.
    await member(alice, 'bob').click();
    await expect.poll(() => alice.locator('#buffer-title').textContent()).toBe('bob');
    await expect.poll(() => alice.evaluate('document.activeElement?.id')).toBe('message');
    await say(alice, 'psst, bob');
    await conversation(bob, 'alice').getByText('1').waitFor(WAIT);
    await conversation(bob, 'alice').click();
    await log(bob).getByText('psst, bob').waitFor(WAIT);
    await say(bob, 'hi alice, privately');
    await log(alice).getByText('hi alice, privately').waitFor(WAIT);
    // And a TCP client's query reaches a page.
    carol.send('PRIVMSG bob :carol here, privately');
    await conversation(bob, 'carol').waitFor(WAIT);

    // A background channel: bob reads #lobby while carol talks in #side.
    await conversation(bob, '#lobby').click();
    carol.send('JOIN #side');
    await carol.expect(/ 366 /);
    carol.send('PRIVMSG #side :anyone in side?');
    carol.send('PRIVMSG #side :bob, are you there?');
    const side = conversation(bob, '#side');
    await expect.poll(() => side.getAttribute('class'), WAIT).toContain('has-unread');
    await expect.poll(() => side.textContent(), WAIT).toBe('#side2 unread, mentions you');
    await expectScreenshot(bob, 'unread-background-channel');
    // Opening it shows a divider before the first unread line, and clears the mark.
    expect(await bob.title()).toMatch(/^\([3-9]\) #lobby – Obrol chat$/);
    await side.click();
    const divider = log(bob).getByRole('listitem').filter({ hasText: /^New messages$/ });
    await divider.waitFor(WAIT);
    expect(await side.textContent()).toBe('#side');
    const items = await log(bob).locator('li').allTextContents();
    const at = items.findIndex((t) => t.includes('anyone in side?'));
    expect(items.findIndex((t) => t.includes('New messages'))).toBe(at - 1);
    await expectScreenshot(bob, 'new-messages-divider');
    await expectAccessible(bob, 'channel with the new-messages divider');

    // The desktop channel view, then the same page phone-sized, with the member panel behind a toggle.
    await conversation(alice, '#lobby').click();
    await expectScreenshot(alice, 'channel-desktop');
    await expectAccessible(alice, 'channel view (desktop)');
    await alice.setViewportSize(PHONE);
    await expect.poll(() => alice.getByRole('complementary').isVisible()).toBe(false);
    await expect.poll(() => alice.getByRole('navigation').isVisible()).toBe(false);
    await expectScreenshot(alice, 'channel-phone');
    await expectAccessible(alice, 'channel view (phone)');
    const toggle = alice.getByRole('button', { name: /^Members/ });
    expect(await toggle.getAttribute('aria-expanded')).toBe('false');
    await toggle.click();
    expect(await toggle.getAttribute('aria-expanded')).toBe('true');
    await member(alice, 'carol').waitFor(WAIT);
    await expectScreenshot(alice, 'members-phone');
    await expectAccessible(alice, 'member panel open (phone)');
    // Escape closes the panel and puts focus back on its button.
    await member(alice, 'carol').focus();
    await alice.keyboard.press('Escape');
    await expect.poll(() => alice.getByRole('complementary').isVisible()).toBe(false);
    expect(await alice.evaluate('document.activeElement?.getAttribute("aria-controls")')).toBe('members');
    await alice.getByRole('button', { name: /^Chats/ }).click();
    await conversation(alice, 'bob').waitFor(WAIT);
    await expectScreenshot(alice, 'conversations-phone');
    await expectAccessible(alice, 'conversation panel open (phone)');
    await conversation(alice, 'bob').click();
    await expect.poll(() => alice.getByRole('navigation').isVisible()).toBe(false);
    await expect.poll(() => alice.locator('#buffer-title').textContent()).toBe('bob');

    expect(aliceProblems.errors).toEqual([]);
    expect(bobProblems.errors).toEqual([]);
  });

  it('reconnects after the server drops the socket, and rejoins its channels', async () => {
    const watcher = await tcpUser('watcher');
    watcher.send('JOIN #again');
    await watcher.expect(/ 366 /);
    const { page } = await connect('dora', '#again');
    expect(await watcher.expect(/ JOIN /)).toMatch(/^:dora!/);
    const dora = srv.server.registry.findUser('dora');
    if (!dora) throw new Error('dora is not registered');
    srv.server.disconnect(dora, 'Dropped by the test');
    expect(await watcher.expect(/ QUIT /)).toMatch(/^:dora!\S+ QUIT :Dropped by the test/);
    // The status says so, then it is back (backoff: the first retry within a second).
    await page.getByRole('status').filter({ hasText: /reconnecting/ }).waitFor(WAIT);
    await page.getByRole('status').filter({ hasText: 'Connected as dora' }).waitFor(WAIT);
    expect(await watcher.expect(/ JOIN /)).toMatch(/^:dora!\S+ JOIN :?#again$/);
    watcher.send('PRIVMSG #again :welcome back');
    await log(page).getByText('welcome back').waitFor(WAIT);
  });

  it('refuses a WebSocket from a page of another origin, and admits the page its own', async () => {
    const wsUrl = url.replace(/^http/, 'ws');
    const attempt = (page: Page) =>
      page.evaluate(
        (target) =>
          new Promise<string>((resolve) => {
            const socket = new WebSocket(target, 'text.ircv3.net');
            socket.onopen = () => {
              socket.close();
              resolve('open');
            };
            socket.onerror = () => resolve('refused');
          }),
        wsUrl,
      );
    // Another origin: a page the browser believes came from http://elsewhere.example (answered here, not over the network).
    const { context, page: foreign } = await newPage(browser);
    pages.push({ page: foreign, problems: { errors: [] }, close: () => context.close() });
    await foreign.route('http://elsewhere.example/**', (route) => route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>elsewhere</title><p>elsewhere</p>' }));
    await foreign.goto('http://elsewhere.example/');
    expect(await attempt(foreign)).toBe('refused');
    const { page: own } = await open();
    expect(await attempt(own)).toBe('open');
  });
  it('scrolls back through CHATHISTORY when the server offers it', async () => {
    const fake = await historyServer();
    try {
      // Short enough that the 20 latest lines scroll: reaching the top would load older ones by itself.
      const { context, page, problems } = await newPage(browser, { width: 900, height: 400 });
      pages.push({ page, problems, close: () => context.close() });
      await page.goto(fake.url);
      await page.getByLabel('Nick').fill('reader');
      await page.getByLabel('Channels to join').fill('#hist');
      await page.getByRole('button', { name: 'Connect' }).click();
      // The latest 20 on joining, then 10 older on asking: then nothing is left to load.
      await log(page).getByText('history line 30').waitFor(WAIT);
      expect(await log(page).getByText(/^history line \d+$/).count()).toBe(20);
      expect(fake.received).toContain('CHATHISTORY LATEST #hist * 20');
      const older = page.getByRole('button', { name: 'Load older messages' });
      await older.click();
      await log(page).getByText('history line 1', { exact: true }).waitFor(WAIT);
      expect(fake.received).toContain('CHATHISTORY BEFORE #hist msgid=m11 20');
      const texts = await log(page).getByText(/^history line \d+$/).allTextContents();
      expect(texts).toEqual(Array.from({ length: 30 }, (_, k) => `history line ${k + 1}`));
      await expect.poll(() => older.count()).toBe(0);
      // Shown from the oldest; the button went with nothing left to load, so focus went to the list.
      await expect.poll(() => page.evaluate('document.querySelector("ol.log").scrollTop')).toBe(0);
      expect(await page.evaluate('document.activeElement?.tagName')).toBe('OL');
      await expectScreenshot(page, 'history');
      expect(problems.errors).toEqual([]);
    } finally {
      await fake.close();
    }
  });
});
