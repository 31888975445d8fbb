/**
 * The lines a command sends back to its caller, kept in order and written to
 * the connection when the command is done. Numerics get the server name as
 * source and the caller's current nick (or `*`) as first parameter.
 *
 * Holding the response until the end of the command is what makes
 * labeled-response simple (https://ircv3.net/specs/extensions/labeled-response):
 * no line: a labeled ACK; one line: that line with the label; several: a
 * labeled-response batch around them. Handlers may open batches of their own
 * (a metadata batch, say); they nest inside, and disappear for clients
 * without the batch capability.
 */
import type { Replies } from '../commands/context.js';
import { CAP } from '../protocol/caps.js';
import { Outgoing } from '../protocol/outgoing.js';
import type { Reply } from '../protocol/replies.js';
import { escapeTagValue } from '../protocol/serialize.js';
import type { Session } from './session.js';

interface Item {
  out: Outgoing;
  /**
   * The client's rendering capabilities when the line was queued: a CAP REQ
   * changes them during the command, and its ACK must still look as before.
   */
  renderKey: number;
  /** The batch the line belongs to, or null at top level. */
  batch: string | null;
  /** A BATCH +id / -id line (dropped for clients without batch). */
  batchLine: boolean;
}

export class ReplyBuffer implements Replies {
  private readonly items: Item[] = [];
  private readonly open: string[] = [];
  /** Ids of the batches that stand for a message (started with an opener: draft/multiline); made on first use. */
  private messageBatches: Set<string> | null = null;

  constructor(
    private readonly serverName: string,
    private readonly session: Session,
    /** The client's label, when it negotiated labeled-response and sent one; a handler may move it (Replies.label). */
    public label: string | null = null,
  ) {}

  private get current(): string | null {
    return this.open.at(-1) ?? null;
  }

  private fromServer(command: string, params: string[]): Outgoing {
    return new Outgoing({ tags: null, source: this.serverName, command, params });
  }

  numeric(reply: Reply): void {
    this.message(this.fromServer(reply.code, [this.session.user.nick, ...reply.params]));
  }

  message(out: Outgoing): void {
    this.push(out, false);
  }

  startBatch(type: string, params: string[], opener?: Outgoing): void {
    const id = this.session.nextBatchId();
    const line = [`+${id}`, type, ...params];
    this.push(opener === undefined ? this.fromServer('BATCH', line) : new Outgoing({ tags: null, source: opener.message.source, command: 'BATCH', params: line }, opener.meta, opener.at), true);
    this.open.push(id);
    if (opener !== undefined) (this.messageBatches ??= new Set()).add(id);
  }

  endBatch(): void {
    const id = this.open.pop();
    if (id !== undefined) this.push(this.fromServer('BATCH', [`-${id}`]), true);
  }

  private push(out: Outgoing, batchLine: boolean): void {
    this.items.push({ out, renderKey: this.session.renderKey, batch: this.current, batchLine });
  }

  /**
   * The response is one batch that stands for a message, and nothing else
   * (the draft/multiline echo): the label goes on its BATCH line, as
   * labeled-response allows for a batch of a type that fits the whole response.
   */
  private isOneMessageBatch(items: Item[]): boolean {
    const first = items[0];
    const last = items.at(-1);
    if (first === undefined || last === undefined || first === last || !first.batchLine || !last.batchLine) return false;
    if (first.batch !== null || last.batch !== null) return false;
    const id = first.out.message.params[0]?.slice(1) ?? '';
    return this.messageBatches !== null && this.messageBatches.has(id) && last.out.message.params[0] === `-${id}`;
  }

  flush(): void {
    // Most commands that are not queries answer nothing (a PRIVMSG without echo-message).
    if (this.items.length === 0 && this.label === null && this.open.length === 0) return;
    while (this.open.length > 0) this.endBatch();
    const { session, label } = this;
    const batching = session.hasCap(CAP.BATCH);
    const items = batching ? this.items : this.items.filter((item) => !item.batchLine);
    const tagOf = (item: Item, outer: string | null) => {
      const batch = batching ? (item.batch ?? outer) : null;
      return batch === null ? '' : `batch=${batch}`;
    };
    const send = (item: Item, outer: string | null) => session.sendRendered(item.out, item.renderKey, tagOf(item, outer));
    if (label === null) {
      for (const item of items) send(item, null);
    } else {
      const labelTag = `label=${escapeTagValue(label)}`;
      if (items.length === 0) {
        session.sendWith(this.fromServer('ACK', []), labelTag);
      } else if (items.length === 1) {
        const item = items[0] as Item;
        session.sendRendered(item.out, item.renderKey, labelTag);
      } else if (batching && this.isOneMessageBatch(items)) {
        const [first, ...rest] = items as [Item, ...Item[]];
        session.sendRendered(first.out, first.renderKey, labelTag);
        for (const item of rest) send(item, null);
      } else if (batching) {
        const outer = session.nextBatchId();
        session.sendWith(this.fromServer('BATCH', [`+${outer}`, 'labeled-response']), labelTag);
        for (const item of items) send(item, outer);
        session.send(this.fromServer('BATCH', [`-${outer}`]));
      } else {
        for (const item of items) send(item, null);
      }
    }
    this.items.length = 0;
    this.messageBatches = null;
  }
}
