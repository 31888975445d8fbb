/**
 * A message on its way to one or more recipients, serialized lazily and at
 * most once per distinct rendering. Recipients that negotiated the same
 * rendering capabilities (message-tags, server-time, account-tag) share one
 * Buffer, so a channel of a thousand members costs a handful of
 * serializations, not a thousand.
 *
 * Server tags come first (time, msgid, bot, account), then the sender's
 * client-only tags (https://ircv3.net/specs/extensions/message-tags).
 * label and batch tags for one recipient are added by bytesWith(), uncached.
 */
import { CAP } from './caps.js';
import type { IrcMessage, Tags } from './message.js';
import { escapeTagValue, serializeBody } from './serialize.js';

/** The capabilities that add tags to a message. */
const TAG_CAPS = CAP.SERVER_TIME | CAP.MESSAGE_TAGS | CAP.ACCOUNT_TAG;

export interface OutgoingMeta {
  /** Unique id of this event (sent with message-tags). */
  msgid?: string;
  /** The sender's account (sent with account-tag); null when logged out. */
  account?: string | null;
  /** The sender is a bot (user mode +B): the `bot` tag, with message-tags. */
  bot?: boolean;
  /** The sender's client-only (+) tags, relayed with message-tags. */
  clientTags?: Tags | null;
  /**
   * Server tags every recipient gets, whatever it negotiated, e.g.
   * `batch=x;draft/multiline-concat` on a line of a draft/multiline batch
   * (only sent to clients that negotiated that batch).
   */
  fixedTags?: string;
}

export class Outgoing {
  /** When the event happened (the server-time `time` tag). */
  readonly at: number;
  // Most messages reach recipients of one rendering only: keep the first
  // variant in fields and allocate a Map only for a second one.
  private firstKey = -1;
  private firstBytes: Buffer | null = null;
  private more: Map<number, Buffer> | null = null;

  constructor(
    readonly message: IrcMessage,
    readonly meta: OutgoingMeta | null = null,
    at?: number,
  ) {
    this.at = at ?? Date.now();
  }

  /** The wire bytes (with CRLF) for a recipient whose rendering capabilities are `renderKey`. */
  bytes(renderKey: number): Buffer {
    if (renderKey === this.firstKey && this.firstBytes !== null) return this.firstBytes;
    if (this.firstBytes === null) {
      this.firstKey = renderKey;
      return (this.firstBytes = this.render(renderKey, ''));
    }
    if (this.more === null) this.more = new Map();
    let out = this.more.get(renderKey);
    if (out === undefined) {
      out = this.render(renderKey, '');
      this.more.set(renderKey, out);
    }
    return out;
  }

  /** The bytes with extra server tags first (e.g. `label=x` or `batch=y`), for one recipient. */
  bytesWith(renderKey: number, extraTags: string): Buffer {
    return this.render(renderKey, extraTags);
  }

  /** The tag section (without '@') this message carries for `renderKey`. */
  tagsFor(renderKey: number, extraTags = ''): string {
    // A client that negotiated none of the tag capabilities gets no tags (the usual plain client): no closure, no string.
    if ((renderKey & TAG_CAPS) === 0 && !this.meta?.fixedTags) return extraTags;
    let tags = extraTags;
    const add = (tag: string) => {
      tags = tags.length > 0 ? `${tags};${tag}` : tag;
    };
    const meta = this.meta;
    if (meta?.fixedTags) add(meta.fixedTags);
    if (renderKey & CAP.SERVER_TIME) add(`time=${new Date(this.at).toISOString()}`);
    if (meta !== null) {
      if (renderKey & CAP.MESSAGE_TAGS) {
        if (meta.msgid) add(`msgid=${meta.msgid}`);
        if (meta.bot) add('bot');
      }
      if (renderKey & CAP.ACCOUNT_TAG && meta.account) add(`account=${escapeTagValue(meta.account)}`);
      if (renderKey & CAP.MESSAGE_TAGS && meta.clientTags) {
        for (const [key, value] of meta.clientTags) add(value === '' ? key : `${key}=${escapeTagValue(value)}`);
      }
    }
    return tags;
  }

  private render(renderKey: number, extraTags: string): Buffer {
    const { source, command, params } = this.message;
    const body = serializeBody(source, command, params);
    const tags = this.tagsFor(renderKey, extraTags);
    return Buffer.from(tags.length > 0 ? `@${tags} ${body}\r\n` : `${body}\r\n`);
  }
}

/**
 * Message ids unique across the network and across restarts: the node id, the
 * start time, and a counter (https://ircv3.net/specs/extensions/message-ids).
 */
export function msgIdGenerator(nodeId: string): () => string {
  const prefix = `${nodeId}${Date.now().toString(36)}`;
  let counter = 0;
  return () => `${prefix}-${(++counter).toString(36)}`;
}
