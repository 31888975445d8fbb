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
  /** The id this line opens or closes, for a batch that is a message (startBatch's `from`). */
  messageBatch: string | null;
}

export class ReplyBuffer implements Replies {
  private readonly items: Item[] = [];
  private readonly open: string[] = [];
  /** The open batches that are messages, by id, with the message they stand for. */
  private readonly messageBatches = new Map<string, Outgoing>();

  constructor(
    private readonly serverName: string,
    private readonly session: Session,
    /** The client's label, when it negotiated labeled-response and sent one. */
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

  startBatch(type: string, params: string[], from?: Outgoing): void {
    const id = this.session.nextBatchId();
    if (from === undefined) {
      this.push(this.fromServer('BATCH', [`+${id}`, type, ...params]), true);
    } else {
      this.messageBatches.set(id, from);
      this.push(new Outgoing({ tags: null, source: from.message.source, command: 'BATCH', params: [`+${id}`, type, ...params] }, from.meta, from.at), true, id);
    }
    this.open.push(id);
  }

  endBatch(): void {
    const id = this.open.pop();
    if (id === undefined) return;
    const from = this.messageBatches.get(id);
    if (from === undefined) {
      this.push(this.fromServer('BATCH', [`-${id}`]), true);
      return;
    }
    this.messageBatches.delete(id);
    this.push(new Outgoing({ tags: null, source: from.message.source, command: 'BATCH', params: [`-${id}`] }, null, from.at), true, id);
  }

  private push(out: Outgoing, batchLine: boolean, messageBatch: string | null = null): void {
    this.items.push({ out, renderKey: this.session.renderKey, batch: this.current, batchLine, messageBatch });
  }

  /** The response is one batch that is a message (and nothing else): the label goes on its BATCH line. */
  private isOneMessageBatch(items: Item[]): boolean {
    const first = items[0];
    const last = items.at(-1);
    if (first === undefined || last === undefined || first === last) return false;
    return first.batch === null && first.messageBatch !== null && last.batch === null && last.messageBatch === first.messageBatch;
  }

  flush(): void {
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
  }
}
