/**
 * The lines a command sends back to its caller, kept in order and written to
 * the connection when the command is done. Numerics get the server name as
 * source and the caller's current nick (or `*`) as first parameter.
 * Holding replies until the end of the command is what will let
 * labeled-response and batches wrap a whole response.
 */
import type { Replies } from '../commands/context.js';
import { Outgoing } from '../protocol/outgoing.js';
import type { Reply } from '../protocol/replies.js';
import type { Session } from './session.js';

export class ReplyBuffer implements Replies {
  private readonly items: Outgoing[] = [];

  constructor(
    private readonly serverName: string,
    private readonly session: Session,
  ) {}

  numeric(reply: Reply): void {
    this.items.push(
      new Outgoing({ tags: null, source: this.serverName, command: reply.code, params: [this.session.user.nick, ...reply.params] }),
    );
  }

  message(out: Outgoing): void {
    this.items.push(out);
  }

  flush(): void {
    for (const out of this.items) this.session.send(out);
    this.items.length = 0;
  }
}
