/**
 * Bytes to lines. Accepts CRLF, bare LF (netcat) and bare CR as line ends,
 * skips empty lines, strips telnet IAC negotiation and NUL bytes (so the real
 * `telnet` program works), and enforces the size limits:
 *
 * - the message body (everything after the tags) may be 510 bytes plus CRLF;
 * - the tag section a client sends may be 4096 bytes including '@' and the space
 *   (https://ircv3.net/specs/extensions/message-tags#size-limit).
 *
 * An oversized line is reported as 'too-long' (the caller answers 417) and never
 * split or half-processed. A partial line that grows past the largest legal line
 * is cut off: its bytes are thrown away up to the next line end, so memory stays
 * bounded whatever the peer sends.
 */
import { isUtf8 } from 'node:buffer';

export const MAX_BODY_BYTES = 510;
export const MAX_CLIENT_TAG_BYTES = 4096;
/** The longest legal line without its terminator. */
export const MAX_LINE_BYTES = MAX_CLIENT_TAG_BYTES + MAX_BODY_BYTES;

const LINE_END = Buffer.from('\n');
const CR = 0x0d;
const LF = 0x0a;
const NUL = 0x00;
const SPACE = 0x20;
const AT = 0x40;

// Telnet (RFC 854) bytes.
const IAC = 0xff;
const SB = 0xfa;
const SE = 0xf0;
const WILL = 0xfb;

/** The smallest buffer kept for an incomplete line (it doubles as the line grows). */
const MIN_PARTIAL_BYTES = 256;

/** The first line end (CR or LF) at or after `from`, or -1. */
function lineEnd(data: Buffer, from: number): number {
  const lf = data.indexOf(LF, from);
  const cr = data.indexOf(CR, from);
  return lf < 0 ? cr : cr < 0 ? lf : Math.min(lf, cr);
}

export type LineProblem = 'too-long' | null;
/** Receives a framer's lines (an object, not a callback, so a connection can be its own sink). */
export interface LineSink {
  onLine(line: string, problem: LineProblem, validUtf8: boolean): void;
}

const enum Telnet {
  Data,
  Command,
  Option,
  Sub,
  SubCommand,
}

export class LineFramer {
  /** The held bytes of an incomplete line: the first partialLength bytes of a buffer with room to grow. */
  private partial: Buffer | null = null;
  private partialLength = 0;
  private discarding = false;
  private telnet = Telnet.Data;
  private copied = 0;
  /** The longest legal line without its terminator, for this framer's tag limit. */
  private readonly maxLineBytes: number;

  /** `maxTagBytes`: the client tag section allowed, '@' and space included (at most 4096). */
  constructor(private readonly maxTagBytes = MAX_CLIENT_TAG_BYTES) {
    this.maxLineBytes = maxTagBytes + MAX_BODY_BYTES;
  }

  /** Feed a chunk; `sink.onLine` is called synchronously for each complete line, in order. */
  push(chunk: Buffer, sink: LineSink): void {
    let data = chunk;
    if (this.telnet !== Telnet.Data || data.indexOf(IAC) >= 0 || data.indexOf(NUL) >= 0) data = this.stripTelnet(data);
    const n = data.length;
    let pos = 0;
    if (this.partial !== null) {
      // Only the new bytes are copied onto the held part: a line sent a byte at
      // a time costs about its own length, not its length squared.
      const first = lineEnd(data, 0);
      if (first < 0) {
        if (this.partialLength + n > this.maxLineBytes) {
          this.dropPartial();
          this.discarding = true;
        } else {
          this.append(data, n);
        }
        return;
      }
      this.append(data, first);
      this.emit(this.partial, 0, this.partialLength, sink);
      this.dropPartial();
      pos = first + 1;
    }
    let lf = data.indexOf(LF, pos);
    let cr = data.indexOf(CR, pos);
    while (pos < n) {
      if (lf >= 0 && lf < pos) lf = data.indexOf(LF, pos);
      if (cr >= 0 && cr < pos) cr = data.indexOf(CR, pos);
      const end = lf < 0 ? cr : cr < 0 ? lf : Math.min(lf, cr);
      if (end < 0) break;
      if (this.discarding) {
        this.discarding = false;
        sink.onLine('', 'too-long', true);
      } else if (end > pos) {
        this.emit(data, pos, end, sink);
      }
      pos = end + 1;
    }
    if (pos >= n) return;
    if (this.discarding) return;
    if (n - pos > this.maxLineBytes) {
      this.discarding = true;
      return;
    }
    // Copy the tail so a small partial line does not pin the whole socket chunk.
    this.partial = Buffer.allocUnsafe(Math.min(this.maxLineBytes, Math.max(MIN_PARTIAL_BYTES, 2 * (n - pos))));
    this.partialLength = 0;
    this.append(data, n, pos);
  }

  /**
   * Feed one whole message of a message-based transport (WebSocket): it is one
   * line, with or without a trailing line end.
   */
  pushMessage(message: Buffer, sink: LineSink): void {
    this.push(message, sink);
    this.push(LINE_END, sink);
  }

  /** Copy data[from, to) after the held bytes, growing the buffer by doubling. */
  private append(data: Buffer, to: number, from = 0): void {
    const partial = this.partial as Buffer;
    const needed = this.partialLength + (to - from);
    let target = partial;
    if (needed > partial.length) {
      target = Buffer.allocUnsafe(Math.max(needed, Math.min(this.maxLineBytes, 2 * partial.length)));
      partial.copy(target, 0, 0, this.partialLength);
      this.copied += this.partialLength;
      this.partial = target;
    }
    data.copy(target, this.partialLength, from, to);
    this.copied += to - from;
    this.partialLength = needed;
  }

  private dropPartial(): void {
    this.partial = null;
    this.partialLength = 0;
  }

  /** Bytes copied so far to hold and join incomplete lines (a measure of the framer's work). */
  get bytesCopied(): number {
    return this.copied;
  }

  /** Bytes held for an incomplete line. */
  get pendingBytes(): number {
    return this.partialLength;
  }

  private emit(data: Buffer, start: number, end: number, sink: LineSink): void {
    let bodyStart = start;
    if (data[start] === AT) {
      let space = data.indexOf(SPACE, start);
      if (space < 0 || space > end) space = end;
      if (space + 1 - start > this.maxTagBytes) {
        sink.onLine('', 'too-long', true);
        return;
      }
      bodyStart = space;
      while (bodyStart < end && data[bodyStart] === SPACE) bodyStart++;
    }
    if (end - bodyStart > MAX_BODY_BYTES) {
      sink.onLine('', 'too-long', true);
      return;
    }
    const slice = data.subarray(start, end);
    sink.onLine(slice.toString('utf8'), null, isUtf8(slice));
  }

  /** Remove telnet command sequences and NUL bytes, remembering a sequence cut by the chunk end. */
  private stripTelnet(data: Buffer): Buffer {
    const out = Buffer.allocUnsafe(data.length);
    let o = 0;
    for (let k = 0; k < data.length; k++) {
      const b = data[k] as number;
      switch (this.telnet) {
        case Telnet.Data:
          if (b === IAC) this.telnet = Telnet.Command;
          else if (b !== NUL) out[o++] = b;
          break;
        case Telnet.Command:
          // IAC IAC is an escaped 0xFF: not text IRC can use, so it is dropped too.
          if (b === SB) this.telnet = Telnet.Sub;
          else if (b >= WILL && b < IAC) this.telnet = Telnet.Option;
          else this.telnet = Telnet.Data;
          break;
        case Telnet.Option:
          this.telnet = Telnet.Data;
          break;
        case Telnet.Sub:
          if (b === IAC) this.telnet = Telnet.SubCommand;
          break;
        case Telnet.SubCommand:
          this.telnet = b === SE ? Telnet.Data : Telnet.Sub;
          break;
      }
    }
    return out.subarray(0, o);
  }
}
