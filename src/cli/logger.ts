/**
 * pino, as JSON lines on stdout, or pretty-printed when stdout is a terminal
 * (log.format: auto). Each connection logs through a child carrying its id.
 */
import { createRequire } from 'node:module';
import { pino, type Logger } from 'pino';
import type pretty from 'pino-pretty';

/** pino-pretty is loaded only for pretty output: a server logging JSON (a service, a container) never loads it. */
const require = createRequire(import.meta.url);
import type { Config } from '../config/schema.js';

export function createLogger(options: Config['log']): Logger {
  const usePretty = options.format === 'pretty' || (options.format === 'auto' && process.stdout.isTTY === true);
  const base = { level: options.level, base: { pid: process.pid }, redact: ['password', '*.password'] };
  if (!usePretty) return pino(base);
  const prettyStream = require('pino-pretty') as typeof pretty;
  return pino(base, prettyStream({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }));
}
