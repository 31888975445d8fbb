/**
 * The lines a command sends back to its caller, kept in order and written to
 * the connection when the command is done. Numerics get the server name as
 * source and the caller's current nick (or `*`) as first parameter.
 *
 * Holding the response until the end of the command is what makes
 * labeled-response simple (https://ircv3.net/specs/extensions/labeled-response):
 * no line: a labeled ACK; one line: that line with the label; several: a
 * labeled-response batch around them.
 */
import type { Replies } from '../commands/context.js';
import { CAP } from '../protocol/caps.js';
import { Outgoing } from '../protocol/outgoing.js';
import type { Reply } from '../protocol/replies.js';
import { escapeTagValue } from '../protocol/serialize.js';
import type { Session } from './session.js';

export class ReplyBuffer implements Replies {
  private readonly items: Outgoing[] = [];

  constructor(
    private readonly serverName: string,
    private readonly session: Session,
    /** The client's label, when it negotiated labeled-response and sent one. */
    private readonly label: string | null = null,
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
    const { items, session, label } = this;
    if (label === null) {
      for (const out of items) session.send(out);
    } else {
      const labelTag = `label=${escapeTagValue(label)}`;
      if (items.length === 0) {
        session.sendWith(new Outgoing({ tags: null, source: this.serverName, command: 'ACK', params: [] }), labelTag);
      } else if (items.length === 1) {
        session.sendWith(items[0] as Outgoing, labelTag);
      } else if (session.hasCap(CAP.BATCH)) {
        const id = session.nextBatchId();
        session.sendWith(new Outgoing({ tags: null, source: this.serverName, command: 'BATCH', params: [`+${id}`, 'labeled-response'] }), labelTag);
        for (const out of items) session.sendWith(out, `batch=${id}`);
        session.send(new Outgoing({ tags: null, source: this.serverName, command: 'BATCH', params: [`-${id}`] }));
      } else {
        for (const out of items) session.send(out);
      }
    }
    items.length = 0;
  }
}
