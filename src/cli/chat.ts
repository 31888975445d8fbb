/**
 * `obrol chat [HOST[:PORT] | ws://HOST:PORT/ | wss://...]`: the terminal chat
 * client. Full-screen (Ink) on a terminal, line mode when stdin or stdout is
 * not one (or with --line). Only argument handling lives here; the client is
 * under src/client/ and is loaded when this command runs, so the server's
 * start-up does not pay for Ink and React.
 */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import type { ChatArgs } from '../client/terminal/options.js';

/** Exit status for bad arguments or a bad config file (sysexits EX_USAGE). */
const EXIT_USAGE = 64;

/**
 * The first of `signals` sends QUIT and lets the client end normally; a
 * second one exits at once. (`on`, not `once`: Ink's signal-exit re-raises a
 * signal when it sees no other listener left.)
 */
function quitOnSignals(session: { quit(reason: string): Promise<void> }, signals: NodeJS.Signals[]): void {
  let received = 0;
  for (const signal of signals) {
    process.on(signal, () => {
      if (++received > 1) process.exit(1);
      void session.quit('');
    });
  }
}

async function runChat(args: ChatArgs): Promise<void> {
  const { resolveChatOptions, ChatOptionsError } = await import('../client/terminal/options.js');
  let options;
  try {
    options = resolveChatOptions(args);
  } catch (err) {
    if (!(err instanceof ChatOptionsError)) throw err;
    process.stderr.write(`obrol chat: ${err.message}\n`);
    process.exit(EXIT_USAGE);
  }
  const { createSession } = await import('../client/terminal/connect.js');
  const lineMode = args.line === true || !process.stdin.isTTY || !process.stdout.isTTY;
  let code: number;
  if (lineMode) {
    const { runLineMode } = await import('../client/terminal/linemode.js');
    const session = createSession(options, { retryFirstConnect: false });
    // Interrupted: say QUIT rather than drop the connection.
    quitOnSignals(session, ['SIGINT', 'SIGTERM']);
    code = await runLineMode(session, { input: process.stdin, output: process.stdout });
    if (session.endError) process.stderr.write(`obrol chat: ${session.endError}\n`);
  } else {
    const { runFullScreen } = await import('../client/terminal/fullscreen.js');
    const session = createSession(options);
    // Ctrl+C arrives as a key; a kill or a closed terminal as a signal.
    quitOnSignals(session, ['SIGTERM', 'SIGHUP']);
    code = await runFullScreen(session);
  }
  process.exit(code);
}

export const chatCommand: CommandModule<object, ChatArgs> = {
  command: 'chat [server]',
  describe: 'chat: a terminal IRC client (full-screen; line mode in pipes)',
  builder: (y: Argv) =>
    y
      .positional('server', { type: 'string', description: 'HOST[:PORT], or ws://HOST:PORT/ or wss:// (default 127.0.0.1:6667)' })
      .options({
        nick: { alias: 'n', type: 'string', description: 'nick (default: $USER, else guest; a digit is added when taken)' },
        user: { type: 'string', description: 'user name (ident)' },
        realname: { type: 'string', description: 'real name' },
        password: { type: 'string', description: 'server password (PASS); also $OBROL_CHAT_PASSWORD' },
        account: { type: 'string', description: 'SASL PLAIN account, used when the server offers SASL' },
        'account-password': { type: 'string', description: 'SASL password; also $OBROL_CHAT_ACCOUNT_PASSWORD' },
        join: { alias: 'j', type: 'string', description: 'channels to join, comma-separated (#a,#b)' },
        tls: { type: 'boolean', description: 'connect with TLS (default port 6697)' },
        insecure: { type: 'boolean', description: 'accept a TLS certificate that does not verify (self-signed)' },
        config: { alias: 'c', type: 'string', description: 'YAML config file (default ~/.config/obrol/chat.yaml)' },
        line: { type: 'boolean', description: 'line mode even on a terminal' },
      })
      .example('$0 chat 127.0.0.1:6667 --nick ana --join "#lobby"', 'full-screen chat')
      .example('echo hello | $0 chat --nick bot --join "#lobby"', 'line mode: say hello in #lobby and quit') as unknown as Argv<ChatArgs>,
  handler: (args: ArgumentsCamelCase<ChatArgs>) => runChat(args),
};
