/**
 * One row of the command table. The dispatcher runs the generic checks a row
 * declares (registration, parameter count, operator) once, so handlers only
 * do their own work.
 */
import type { IrcMessage } from '../protocol/message.js';
import type { CommandContext } from './context.js';

export interface CommandSpec {
  verb: string;
  /** Fewer parameters than this: 461 ERR_NEEDMOREPARAMS, handler not called. */
  minParams: number;
  /** May be used before registration completes (otherwise 451). */
  beforeRegistration?: boolean;
  /** Only IRC operators (otherwise 481). */
  operOnly?: boolean;
  /** Flood cost in milliseconds of budget (used by the flood control). */
  penalty: number;
  /**
   * Synchronous for nearly everything; a handler that must wait (password
   * hashing) returns a promise, and the connection's next lines wait for it.
   */
  handle(ctx: CommandContext, msg: IrcMessage): void | Promise<void>;
}
