/**
 * Changes a user broadcasts to everyone who can see them (AWAY with
 * away-notify, SETNAME, NICK, and METADATA on oneself): one command reaches
 * every peer, so its cost grows with the audience. Each user has a budget of
 * limits.broadcast_burst recipients, refilled at limits.broadcast_rate per
 * second (state/ratelimit.ts); a change whose audience the budget cannot
 * cover is refused and nothing is sent. Operators are exempt, as from flood
 * control.
 *
 * This lives beside the dispatcher's flood control rather than in it because
 * the cost is only known once the handler knows the audience.
 */
import { CostLimiter } from '../state/ratelimit.js';
import type { User } from '../state/user.js';
import type { CommandContext } from './context.js';

const budgets = new CostLimiter<User>();

/**
 * Charge the caller for a change reaching `audience` recipients. Returns 0 if
 * it may go ahead, else the seconds to wait; the caller says so in its own
 * terms (438 for NICK, FAIL ... RATE_LIMITED for the others).
 */
export function chargeBroadcast(ctx: CommandContext, audience: number): number {
  if (ctx.user.isOper) return 0;
  const { broadcast_burst: burst, broadcast_rate: ratePerSecond } = ctx.config.limits;
  return budgets.charge(ctx.user, audience, { burst, ratePerSecond }, ctx.nowSeconds());
}

/**
 * 0 if the caller could broadcast anything now, else the seconds to wait:
 * checked before working out the audience, so that a refused change does not
 * cost a walk over every peer either.
 */
export function broadcastWait(ctx: CommandContext): number {
  if (ctx.user.isOper) return 0;
  const { broadcast_burst: burst, broadcast_rate: ratePerSecond } = ctx.config.limits;
  return budgets.waitForAny(ctx.user, { burst, ratePerSecond }, ctx.nowSeconds());
}

/** The standard reply for a refused broadcast (https://ircv3.net/specs/extensions/standard-replies). */
export function refuseBroadcast(ctx: CommandContext, command: string, seconds: number): void {
  ctx.standardReply('FAIL', command, 'RATE_LIMITED', `Too many changes seen by many users; wait ${seconds} seconds`);
}
