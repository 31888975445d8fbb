/**
 * `obrol chat` in line mode, the built CLI through real pipes: each stdin
 * line is a message to the current window or a /command, each stdout line is
 * one message (`TIME TARGET <nick> text`), end of input sends QUIT and exits
 * 0. The other side is a raw TCP client on an in-process server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { childEnv, CLI_PATH, cleanupCli, freePort, REPO_ROOT, runCli, tempDir } from '../helpers/cli.js';
import { useFixture } from '../helpers/fixture.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const fx = useFixture();
const TIMEOUT_MS = 10_000;
const TIME = '\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z';

/** A running `obrol chat` with its stdin and stdout as pipes. */
class ChatProcess {
  readonly lines: string[] = [];
  stderr = '';
  private partial = '';
  private waiters = new Set<() => void>();
  exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;

  constructor(readonly child: ChildProcess) {
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      const parts = (this.partial + chunk).split('\n');
      this.partial = parts.pop() ?? '';
      this.lines.push(...parts);
      this.wake();
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
    });
    child.once('exit', (code, signal) => {
      this.exit = { code, signal };
      this.wake();
    });
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  write(line: string): void {
    this.child.stdin?.write(`${line}\n`);
  }

  /** The first stdout line matching `re`. */
  expectLine(re: RegExp): Promise<string> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const line = this.lines.find((l) => re.test(l));
        if (line !== undefined) {
          done();
          resolve(line);
        } else if (this.exit) {
          done();
          reject(new Error(`exited (${JSON.stringify(this.exit)}) before a line ${String(re)}\n${this.lines.join('\n')}\n${this.stderr}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no line ${String(re)} within ${TIMEOUT_MS} ms\n${this.lines.join('\n')}\n${this.stderr}`));
      }, TIMEOUT_MS);
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  waitExit(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`still running after ${TIMEOUT_MS} ms\n${this.lines.join('\n')}`)), TIMEOUT_MS);
      const check = () => {
        if (!this.exit) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(this.exit);
      };
      this.waiters.add(check);
      check();
    });
  }
}

const running: ChatProcess[] = [];

function startChat(args: string[]): ChatProcess {
  // No config file from the home folder of whoever runs the tests.
  const env = childEnv({ HOME: tempDir() });
  const child = spawn(process.execPath, [CLI_PATH, 'chat', ...args], { cwd: REPO_ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
  const chat = new ChatProcess(child);
  running.push(chat);
  return chat;
}

afterEach(async () => {
  for (const chat of running.splice(0)) {
    if (!chat.exit && chat.child.pid !== undefined) {
      const exited = chat.waitExit().catch(() => {});
      process.kill(chat.child.pid, 'SIGKILL');
      await exited;
    }
  }
  await cleanupCli();
});

describe('e2e: obrol chat in line mode', { timeout: 30_000 }, () => {
  it('chats through pipes with a raw client, in a channel and in private, and quits at end of input', async () => {
    const srv = await fx.server();
    const chat = startChat([`127.0.0.1:${srv.port}`, '--nick', 'piper', '--join', '#e2e']);
    await chat.expectLine(new RegExp(`^${TIME} #e2e \\*\\*\\* you joined #e2e$`));

    const tcp = await fx.register(srv, 'tcp');
    await fx.join(tcp, '#e2e');
    await chat.expectLine(new RegExp(`^${TIME} #e2e \\*\\*\\* tcp joined$`));

    tcp.send('PRIVMSG #e2e :hello piper, from a socket');
    await chat.expectLine(new RegExp(`^${TIME} #e2e <tcp> hello piper, from a socket$`));

    chat.write('hi tcp, from a pipe');
    expect(await tcp.expect(/ PRIVMSG /)).toBe(':piper!piper@127.0.0.1 PRIVMSG #e2e :hi tcp, from a pipe');
    // Shown when the server echoes it.
    await chat.expectLine(new RegExp(`^${TIME} #e2e <piper> hi tcp, from a pipe$`));

    chat.write('/me waves');
    expect(await tcp.expect(/ PRIVMSG /)).toBe(':piper!piper@127.0.0.1 PRIVMSG #e2e :\x01ACTION waves\x01');
    await chat.expectLine(new RegExp(`^${TIME} #e2e \\* piper waves$`));

    tcp.send('PRIVMSG piper :just between us');
    await chat.expectLine(new RegExp(`^${TIME} tcp <tcp> just between us$`));
    chat.write('/msg tcp likewise');
    expect(await tcp.expect(/ PRIVMSG /)).toBe(':piper!piper@127.0.0.1 PRIVMSG tcp :likewise');

    chat.write('/nosuch');
    await chat.expectLine(new RegExp(`^${TIME} \\S+ !!! unknown command /nosuch; /help lists the commands$`));

    chat.child.stdin?.end();
    expect(await tcp.expect(/ QUIT /)).toMatch(/^:piper!piper@127\.0\.0\.1 QUIT :Quit: /);
    expect(await chat.waitExit()).toEqual({ code: 0, signal: null });
  });

  it('exits 1 when it cannot connect', async () => {
    const port = await freePort();
    const chat = startChat([`127.0.0.1:${port}`, '--nick', 'lonely']);
    expect((await chat.waitExit()).code).toBe(1);
    expect(chat.stderr).toBe(`obrol chat: could not connect to 127.0.0.1:${port}\n`);
  });

  it('refuses bad arguments and a bad config file with a message and a non-zero exit', async () => {
    const env = { HOME: tempDir() };
    const badPort = await runCli(['chat', 'localhost:70000'], { env });
    expect(badPort.code).toBe(64);
    expect(badPort.stderr).toBe('obrol chat: server "localhost:70000": port "70000" is not a number from 1 to 65535\n');

    const file = join(tempDir(), 'chat.yaml');
    writeFileSync(file, 'nick: ok\nport: seventy\nchannels: [lobby]\ncolour: blue\n');
    const badConfig = await runCli(['chat', '--config', file], { env });
    expect(badConfig.code).toBe(64);
    expect(badConfig.stderr).toContain(`obrol chat: ${file}: `);
    expect(badConfig.stderr).toContain('port: Invalid input: expected number, received string');
    expect(badConfig.stderr).toContain('channels[0]: a channel name starts with # or &');
    expect(badConfig.stderr).toContain('unknown key colour');

  });

  it('sends what was piped in and exits 0, with server, nick and channels from the config file', async () => {
    const srv = await fx.server();
    const tcp = await fx.register(srv, 'reader');
    await fx.join(tcp, '#conf');
    const home = tempDir();
    const file = join(home, 'chat.yaml');
    writeFileSync(file, `server: 127.0.0.1\nport: ${srv.port}\nnick: fromfile\nchannels: ["#conf"]\n`);
    const result = await runCli(['chat', '--config', file], { input: 'first line\nsecond line\n', env: { HOME: home } });
    expect(await tcp.expect(/ PRIVMSG /)).toBe(':fromfile!fromfile@127.0.0.1 PRIVMSG #conf :first line');
    expect(await tcp.expect(/ PRIVMSG /)).toBe(':fromfile!fromfile@127.0.0.1 PRIVMSG #conf :second line');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^${TIME} #conf <fromfile> second line$`, 'm'));
  });
});
