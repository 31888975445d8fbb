/**
 * The full-screen chat (the Ink app) rendered with ink-testing-library
 * against a real in-process server: the window list, topic, nick list and
 * an incoming message with its time; switching windows with Alt+N, Ctrl+N
 * and /window; unread and highlight marks; input history and Tab completion.
 * Every wait is on a rendered frame (re-checked each turn of the event loop).
 */
import { createElement } from 'react';
import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { clockTime } from '../../src/client/core/index.js';
import { App } from '../../src/client/terminal/app.js';
import { chatSessions, waitModel } from '../helpers/chat.js';
import { fakeHistoryServer } from '../helpers/fakehistory.js';
import { useFixture } from '../helpers/fixture.js';
import { until } from '../helpers/until.js';

const fx = useFixture();
const chats = chatSessions();
const unmounts: Array<() => void> = [];
afterEach(async () => {
  for (const u of unmounts.splice(0)) u();
  await chats.closeAll();
});

const ESC = '\u001b';
const KEY = { up: `${ESC}[A`, down: `${ESC}[B`, tab: '\t', enter: '\r', ctrlN: '\u000e', pageUp: `${ESC}[5~`, pageDown: `${ESC}[6~` };

async function frameWith(lastFrame: () => string | undefined, test: (frame: string) => boolean, what: string): Promise<string> {
  try {
    await until(() => test(lastFrame() ?? ''), what, 5000);
  } catch (err) {
    throw new Error(`${(err as Error).message}\nlast frame:\n${lastFrame() ?? ''}`);
  }
  return lastFrame() ?? '';
}

/** The input line (the last row). */
const inputLine = (frame: string) => frame.trimEnd().split('\n').at(-1) ?? '';

describe('full-screen chat (Ink)', () => {
  it('shows windows, topic, nicks and messages; switches windows; marks unread and highlights; history and Tab completion', async () => {
    const srv = await fx.server();
    const carol = await fx.register(srv, 'carol');
    await fx.join(carol, '#lobby');
    carol.send('TOPIC #lobby :Welcome to the lobby');
    await carol.expect(/ TOPIC /);

    const session = await chats.connect(srv.port, 'me', { channels: ['#lobby'] });
    const { lastFrame, stdin, unmount } = render(createElement(App, { session, columns: 100, rows: 16 }));
    unmounts.push(unmount);
    const input = async (text: string) => {
      for (const ch of text) stdin.write(ch);
      await frameWith(lastFrame, (f) => inputLine(f).includes(text), `input "${text}"`);
    };

    // Window list, topic line, nick list.
    let frame = await frameWith(lastFrame, (f) => f.includes('carol') && f.includes('Welcome to the lobby'), 'the channel view');
    expect(frame.split('\n')[0]).toContain('#lobby: Welcome to the lobby');
    expect(frame).toMatch(/1\.127\.0\.0\.1|1\.Obrol/);
    expect(frame).toContain('2.#lobby');
    expect(frame).toMatch(/@carol/);
    expect(frame).toMatch(/ me\b/);

    // An incoming message with its time.
    carol.send('PRIVMSG #lobby :hello everyone');
    frame = await frameWith(lastFrame, (f) => f.includes('<carol> hello everyone'), 'carol\'s message');
    const line = frame.split('\n').find((l) => l.includes('<carol> hello everyone')) ?? '';
    expect(line).toMatch(/\d{2}:\d{2} <carol> hello everyone/);
    expect(line).toContain(clockTime(session.model.find('#lobby')?.lines.at(-1)?.time ?? 0));

    // A private message: a new window, unread and highlighted while not active.
    carol.send('PRIVMSG me :psst');
    frame = await frameWith(lastFrame, (f) => f.includes('3.carol 1!'), 'the query window marked');
    expect(frame).toMatch(/\[Act: [0-9,!]*3!\]/);
    // A mention in a channel we are not looking at: highlighted too.
    await input('/window 3');
    stdin.write(KEY.enter);
    frame = await frameWith(lastFrame, (f) => f.split('\n')[0]?.includes('carol (private)') === true, 'the query window');
    expect(frame).toContain('<carol> psst');
    expect(frame).not.toContain('3.carol 1!');
    carol.send('PRIVMSG #lobby :me, are you there?');
    await frameWith(lastFrame, (f) => f.includes('2.#lobby 1!'), '#lobby marked with a highlight');

    // Alt+2 goes back to #lobby and clears its marks.
    stdin.write(`${ESC}2`);
    frame = await frameWith(lastFrame, (f) => f.split('\n')[0]?.includes('#lobby: Welcome') === true, 'back in #lobby');
    expect(frame).toContain('me, are you there?');
    expect(frame).not.toContain('2.#lobby 1!');
    // Ctrl+N: the next window.
    stdin.write(KEY.ctrlN);
    await frameWith(lastFrame, (f) => f.split('\n')[0]?.includes('carol (private)') === true, 'Ctrl+N to the query');
    stdin.write(`${ESC}2`);
    await frameWith(lastFrame, (f) => f.split('\n')[0]?.includes('#lobby') === true, 'Alt+2 again');

    // Typing sends a message (shown from the server's echo).
    await input('hi carol');
    stdin.write(KEY.enter);
    expect(await carol.expect(/ PRIVMSG #lobby /)).toBe(':me!me@127.0.0.1 PRIVMSG #lobby :hi carol');
    await frameWith(lastFrame, (f) => f.includes('<me> hi carol'), 'my echoed message');

    // Tab completes a nick (with ": " at the start of the line) and a command.
    await input('ca');
    stdin.write(KEY.tab);
    await frameWith(lastFrame, (f) => inputLine(f).includes('> carol:'), 'the nick completed');
    stdin.write('thanks');
    stdin.write(KEY.enter);
    expect(await carol.expect(/ PRIVMSG #lobby /)).toBe(':me!me@127.0.0.1 PRIVMSG #lobby :carol: thanks');
    // Text with Tab or Enter in one chunk (tmux send-keys, a paste) works the same.
    stdin.write('ca\t');
    await frameWith(lastFrame, (f) => inputLine(f).includes('> carol:'), 'the nick completed from one chunk');
    stdin.write('in one chunk\r');
    expect(await carol.expect(/ PRIVMSG #lobby /)).toBe(':me!me@127.0.0.1 PRIVMSG #lobby :carol: in one chunk');
    await input('/top');
    stdin.write(KEY.tab);
    await frameWith(lastFrame, (f) => inputLine(f).includes('> /topic'), 'the command completed');
    stdin.write(KEY.enter);
    await frameWith(lastFrame, (f) => f.includes('topic: Welcome to the lobby'), 'the topic shown');

    // Up brings back earlier lines, Down walks forward again.
    stdin.write(KEY.up);
    await frameWith(lastFrame, (f) => inputLine(f).includes('> /topic'), 'Up: /topic');
    stdin.write(KEY.up);
    await frameWith(lastFrame, (f) => inputLine(f).includes('> carol: in one chunk'), 'Up: the message before');
    stdin.write(KEY.down);
    await frameWith(lastFrame, (f) => inputLine(f).includes('> /topic'), 'Down: /topic again');

    // /help lists the commands in the window.
    for (const ch of '\u0015') stdin.write(ch); // Ctrl+U clears the line
    await frameWith(lastFrame, (f) => inputLine(f).trim() === '>', 'a cleared input line');
    await input('/help');
    stdin.write(KEY.enter);
    await frameWith(lastFrame, (f) => f.includes('/quit [reason]'), 'the help text');

    // /quit ends the session.
    await input('/quit bye');
    stdin.write(KEY.enter);
    await carol.expect(/ QUIT :Quit: bye/);
    await waitModel(session.model, () => session.model.state === 'closed', 'the session to close');
  });

  it('scrolls back with PageUp and asks the server for older lines past the top', async () => {
    const srv = await fx.server();
    const talker = await fx.register(srv, 'talker');
    await fx.join(talker, '#long');
    const session = await chats.connect(srv.port, 'reader', { channels: ['#long'] });
    await waitModel(session.model, () => session.model.find('#long')?.member('talker'), 'talker in the list');
    const { lastFrame, stdin, unmount } = render(createElement(App, { session, columns: 80, rows: 10 }));
    unmounts.push(unmount);
    for (let i = 1; i <= 20; i++) talker.send(`PRIVMSG #long :line ${i}`);
    await frameWith(lastFrame, (f) => f.includes('line 20'), 'the last line');
    expect(lastFrame()).not.toContain('line 10 ');
    stdin.write(KEY.pageUp);
    let frame = await frameWith(lastFrame, (f) => !f.includes('line 20') && f.includes('[scrolled'), 'scrolled up');
    expect(frame).toMatch(/line 1[0-4]\b/);
    stdin.write(KEY.pageUp);
    stdin.write(KEY.pageUp);
    frame = await frameWith(lastFrame, (f) => f.includes('you joined #long'), 'the top');
    // Obrol has no CHATHISTORY yet: the buffer is marked as having nothing older.
    expect(session.model.find('#long')?.historyExhausted).toBe(true);
    stdin.write(KEY.pageDown);
    stdin.write(KEY.pageDown);
    stdin.write(KEY.pageDown);
    await frameWith(lastFrame, (f) => f.includes('line 20') && !f.includes('[scrolled'), 'back at the bottom');
  });
});

describe('full-screen chat and CHATHISTORY (scripted server)', () => {
  it('shows the latest lines on join and fetches older ones when PageUp passes the top', async () => {
    const fake = await fakeHistoryServer();
    try {
      const session = await chats.connect(fake.port, 'hist', { channels: ['#h'], historyBatch: 3 });
      const { lastFrame, stdin, unmount } = render(createElement(App, { session, columns: 80, rows: 10 }));
      unmounts.push(unmount);
      const frame = await frameWith(lastFrame, (f) => f.includes('<old> message 5'), 'the latest lines');
      expect(frame).toContain('<old> message 3');
      expect(frame).not.toContain('message 1');
      stdin.write(KEY.pageUp);
      await frameWith(lastFrame, (f) => f.includes('<old> message 1') && f.includes('<old> message 2'), 'the older lines');
      expect(fake.received).toContain('CHATHISTORY BEFORE #h msgid=m3 3');
    } finally {
      await chats.closeAll();
      await fake.close();
    }
  });
});
