/**
 * pino, as JSON lines on stdout, or pretty-printed when stdout is a terminal
 * (log.format: auto). Each connection logs through a child carrying its id.
 */
import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';
import type { Config } from '../config/schema.js';

export function createLogger(options: Config['log']): Logger {
  const usePretty = options.format === 'pretty' || (options.format === 'auto' && process.stdout.isTTY === true);
  const base = { level: options.level, base: { pid: process.pid }, redact: ['password', '*.password'] };
  if (!usePretty) return pino(base);
  return pino(base, pretty({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }));
}
