/**
 * A message on its way to one or more recipients, serialized lazily and at
 * most once per distinct rendering. Recipients that negotiated the same
 * capabilities (those that change how a line looks, such as server-time or
 * message-tags) share one Buffer, so a channel of a thousand members costs a
 * handful of serializations, not a thousand.
 */
import type { IrcMessage } from './message.js';
import { serializeMessage } from './serialize.js';

export class Outgoing {
  // Most messages reach recipients of one rendering only: keep the first
  // variant in fields and allocate a Map only for a second one.
  private firstKey = -1;
  private firstBytes: Buffer | null = null;
  private more: Map<number, Buffer> | null = null;

  constructor(readonly message: IrcMessage) {}

  /**
   * The wire bytes (with CRLF) for a recipient whose rendering-relevant
   * capabilities are `capKey`. No capability changes the rendering yet, so all
   * keys give the same bytes; the cache is keyed already so that later ones slot in.
   */
  bytes(capKey: number): Buffer {
    if (capKey === this.firstKey && this.firstBytes !== null) return this.firstBytes;
    if (this.firstBytes === null) {
      this.firstKey = capKey;
      return (this.firstBytes = this.render(capKey));
    }
    if (this.more === null) this.more = new Map();
    let out = this.more.get(capKey);
    if (out === undefined) {
      out = this.render(capKey);
      this.more.set(capKey, out);
    }
    return out;
  }

  private render(_capKey: number): Buffer {
    return Buffer.from(serializeMessage(this.message) + '\r\n');
  }
}
