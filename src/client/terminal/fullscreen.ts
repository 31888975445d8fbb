/**
 * Run the Ink app full-screen: the terminal's alternate screen while it runs,
 * the normal screen back afterwards. Resolves with the exit status once the
 * session has ended (Ctrl+C or /quit).
 */
import { createElement } from 'react';
import { render } from 'ink';
import type { ChatSession } from '../core/index.js';
import { App } from './app.js';

const ENTER_ALT_SCREEN = '\u001b[?1049h\u001b[H';
const LEAVE_ALT_SCREEN = '\u001b[?1049l';

export async function runFullScreen(session: ChatSession): Promise<number> {
  process.stdout.write(ENTER_ALT_SCREEN);
  const restore = () => process.stdout.write(LEAVE_ALT_SCREEN);
  process.once('exit', restore);
  const app = render(createElement(App, { session }), { exitOnCtrlC: false, patchConsole: true });
  session.connect();
  try {
    await session.closed;
    app.unmount();
    await app.waitUntilExit().catch(() => {});
  } finally {
    process.off('exit', restore);
    restore();
  }
  if (session.endError) process.stderr.write(`obrol chat: ${session.endError}\n`);
  return session.endError === '' ? 0 : 1;
}
