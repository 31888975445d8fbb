/**
 * Line mode, for pipes and scripts (stdin or stdout not a terminal): every
 * line read is a message to the current window or a /command; every line
 * written is one message or event, in the format of formatPlainLine (see
 * core/format.ts):
 *
 *   2026-12-02T21:00:00Z #chan <alice> hello
 *
 * The current window starts as the first --join channel and follows /join,
 * /query and /window. End of input sends QUIT and exits 0; a first
 * connection that fails exits 1 (a lost one is retried, with backoff).
 */
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { formatPlainLine, type ChatSession } from '../core/index.js';

export async function runLineMode(session: ChatSession, io: { input: Readable; output: Writable }): Promise<number> {
  const off = session.model.onLine((buffer, line) => {
    io.output.write(`${formatPlainLine(buffer, line)}\n`);
  });
  // A reader that went away (`| head -1`): leave quietly.
  io.output.on('error', () => {
    void session.quit('');
  });
  const lines = createInterface({ input: io.input, crlfDelay: Infinity, terminal: false });
  lines.on('line', (text) => {
    session.input(text);
  });
  lines.once('close', () => {
    // End of input: QUIT once everything typed before it is sent.
    session.execute({ type: 'quit', reason: '' });
  });
  session.connect();
  await session.closed;
  lines.removeAllListeners('close');
  lines.close();
  off();
  return session.endError === '' ? 0 : 1;
}
