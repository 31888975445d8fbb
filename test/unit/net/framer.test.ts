import { describe, expect, it } from 'vitest';
import { LineFramer, MAX_BODY_BYTES, MAX_CLIENT_TAG_BYTES, MAX_LINE_BYTES, type LineProblem } from '../../../src/net/framer.js';

interface Line {
  line: string;
  problem: LineProblem;
  validUtf8: boolean;
}

/** Feed the chunks to a fresh framer and collect what it emits. */
function frame(...chunks: Array<Buffer | string>): Line[] {
  const framer = new LineFramer();
  const out: Line[] = [];
  for (const chunk of chunks) framer.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk, { onLine: (line, problem, validUtf8) => out.push({ line, problem, validUtf8 }) });
  return out;
}

/** Just the text of good lines; fails if anything was flagged. */
function lines(...chunks: Array<Buffer | string>): string[] {
  return frame(...chunks).map((l) => {
    expect(l.problem).toBeNull();
    return l.line;
  });
}

const TOO_LONG: Line = { line: '', problem: 'too-long', validUtf8: true };

const IAC = 0xff;
const DO = 0xfd;
const WILL = 0xfb;
const WONT = 0xfc;
const SB = 0xfa;
const SE = 0xf0;

describe('LineFramer: line ends', () => {
  it.each([
    ['CRLF', 'NICK a\r\nUSER b\r\n'],
    ['bare LF (netcat)', 'NICK a\nUSER b\n'],
    ['lone CR', 'NICK a\rUSER b\r'],
    ['CR NUL (telnet)', 'NICK a\r\0USER b\r\0'],
    ['mixed', 'NICK a\r\nUSER b\n'],
  ])('%s', (_what, input) => {
    expect(lines(input)).toEqual(['NICK a', 'USER b']);
  });

  it('skips empty lines', () => {
    expect(lines('\r\n\r\n\n\rPING x\r\n\n\n')).toEqual(['PING x']);
  });

  it('keeps a line without its end until the end arrives', () => {
    const framer = new LineFramer();
    const got: string[] = [];
    framer.push(Buffer.from('PING x'), { onLine: (line) => got.push(line) });
    expect(got).toEqual([]);
    expect(framer.pendingBytes).toBe(6);
    framer.push(Buffer.from('yz\r\n'), { onLine: (line) => got.push(line) });
    expect(got).toEqual(['PING xyz']);
    expect(framer.pendingBytes).toBe(0);
  });

  it('handles a CR at the end of one chunk and the LF at the start of the next', () => {
    expect(lines('A\r', '\nB\r', '\n')).toEqual(['A', 'B']);
  });

  it('drops NUL bytes inside a line', () => {
    expect(lines('PI\0NG\0 x\n')).toEqual(['PING x']);
  });
});

describe('LineFramer: chunk boundaries', () => {
  const input = Buffer.from('@a=b :src PRIVMSG #c :héllo wörld €😀\r\nNICK x\nUSER u 0 * :Real Name\r\rPING :t\r\n');
  const expected = ['@a=b :src PRIVMSG #c :héllo wörld €😀', 'NICK x', 'USER u 0 * :Real Name', 'PING :t'];

  it('whole buffer', () => {
    expect(lines(input)).toEqual(expected);
  });

  it('split at every byte position', () => {
    for (let k = 0; k <= input.length; k++) {
      const got = frame(input.subarray(0, k), input.subarray(k));
      expect(got.map((l) => l.line), `split at ${k}`).toEqual(expected);
      // Multi-byte characters cut between chunks are rebuilt whole.
      expect(got.every((l) => l.validUtf8 && l.problem === null)).toBe(true);
    }
  });

  it('one byte at a time', () => {
    const chunks = [...input].map((b) => Buffer.from([b]));
    expect(lines(...chunks)).toEqual(expected);
  });

  it('random splits', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    for (let run = 0; run < 200; run++) {
      const chunks: Buffer[] = [];
      let pos = 0;
      while (pos < input.length) {
        const size = 1 + Math.floor(random() * 20);
        chunks.push(input.subarray(pos, pos + size));
        pos += size;
      }
      expect(lines(...chunks), `run ${run}`).toEqual(expected);
    }
  });
});

describe('LineFramer: telnet negotiation', () => {
  const negotiation = Buffer.from([
    IAC, DO, 0x01, // DO ECHO
    IAC, WILL, 0x1f, // WILL NAWS
    IAC, WONT, 0x03,
    IAC, SB, 0x1f, 0x00, 0x50, IAC, IAC, 0x18, IAC, SE, // SB NAWS 80x24 (with an escaped 0xFF inside) SE
    IAC, 0xf6, // AYT, a two-byte command
  ]);
  const input = Buffer.concat([
    negotiation,
    Buffer.from('NICK a'),
    Buffer.from([IAC, IAC]), // an escaped 0xFF data byte: dropped, not text
    Buffer.from('\r\0'),
    Buffer.from([IAC, DO, 0x03]),
    Buffer.from('PING x\r\n'),
  ]);

  it('strips DO/WILL/WONT, SB...SE, two-byte commands and IAC IAC', () => {
    expect(lines(input)).toEqual(['NICK a', 'PING x']);
  });

  it('strips them when split at every position', () => {
    for (let k = 0; k <= input.length; k++) {
      expect(lines(input.subarray(0, k), input.subarray(k)), `split at ${k}`).toEqual(['NICK a', 'PING x']);
    }
  });

  it('strips them when fed one byte at a time', () => {
    expect(lines(...[...input].map((b) => Buffer.from([b])))).toEqual(['NICK a', 'PING x']);
  });

  it('a CR or LF inside a subnegotiation does not end a line', () => {
    expect(lines(Buffer.from([IAC, SB, 0x18, 0x0d, 0x0a, IAC, SE]), 'PING x\n')).toEqual(['PING x']);
  });
});

describe('LineFramer: size limits', () => {
  it(`accepts a ${MAX_BODY_BYTES}-byte body and rejects ${MAX_BODY_BYTES + 1}`, () => {
    const ok = 'A'.repeat(MAX_BODY_BYTES);
    expect(frame(ok + '\r\n')).toEqual([{ line: ok, problem: null, validUtf8: true }]);
    expect(frame('A'.repeat(MAX_BODY_BYTES + 1) + '\r\nPING x\r\n')).toEqual([TOO_LONG, { line: 'PING x', problem: null, validUtf8: true }]);
  });

  it('counts bytes, not characters', () => {
    // 255 two-byte characters = 510 bytes; one more ASCII byte is too many.
    const body = 'é'.repeat(255);
    expect(frame(Buffer.from(body + '\n'))).toEqual([{ line: body, problem: null, validUtf8: true }]);
    expect(frame(Buffer.from(body + 'x\n'))).toEqual([TOO_LONG]);
  });

  it(`accepts a tag section of ${MAX_CLIENT_TAG_BYTES} bytes (with '@' and the space) and rejects ${MAX_CLIENT_TAG_BYTES + 1}`, () => {
    const tags = (n: number) => '@' + 'a'.repeat(n - 2) + ' '; // n bytes in all
    const body = 'B'.repeat(MAX_BODY_BYTES);
    const longest = tags(MAX_CLIENT_TAG_BYTES) + body;
    expect(Buffer.byteLength(longest)).toBe(MAX_LINE_BYTES);
    expect(frame(longest + '\r\n')).toEqual([{ line: longest, problem: null, validUtf8: true }]);
    expect(frame(tags(MAX_CLIENT_TAG_BYTES + 1) + 'PING x\r\n')).toEqual([TOO_LONG]);
  });

  it('measures the body of a tagged line on its own', () => {
    const tagged = '@a=1 ' + 'B'.repeat(MAX_BODY_BYTES + 1);
    expect(frame(tagged + '\n')).toEqual([TOO_LONG]);
  });

  it('discards a partial line past the limit until the next line end and reports it once', () => {
    const framer = new LineFramer();
    const got: Line[] = [];
    const push = (data: string) => framer.push(Buffer.from(data), { onLine: (line, problem, validUtf8) => got.push({ line, problem, validUtf8 }) });
    push('X'.repeat(MAX_LINE_BYTES + 1));
    expect(got).toEqual([]);
    expect(framer.pendingBytes).toBe(0);
    for (let k = 0; k < 10; k++) push('Y'.repeat(10_000));
    expect(got).toEqual([]);
    expect(framer.pendingBytes).toBe(0);
    push('tail of the long line\r\nPING x\r\n');
    expect(got).toEqual([TOO_LONG, { line: 'PING x', problem: null, validUtf8: true }]);
  });

  it('keeps a partial line of exactly the longest legal size, then cuts it at one byte more', () => {
    const framer = new LineFramer();
    const got: Line[] = [];
    const push = (data: string) => framer.push(Buffer.from(data), { onLine: (line, problem, validUtf8) => got.push({ line, problem, validUtf8 }) });
    push('@' + 'a'.repeat(MAX_CLIENT_TAG_BYTES - 2) + ' ');
    push('B'.repeat(MAX_BODY_BYTES));
    expect(framer.pendingBytes).toBe(MAX_LINE_BYTES);
    push('B');
    expect(framer.pendingBytes).toBe(0);
    push('\n');
    expect(got).toEqual([TOO_LONG]);
  });

  it('keeps pendingBytes bounded whatever arrives', () => {
    const framer = new LineFramer();
    let max = 0;
    let seed = 3;
    const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    for (let k = 0; k < 500; k++) {
      const size = Math.floor(random() * 3000);
      const chunk = Buffer.alloc(size, 0x41);
      if (random() < 0.05 && size > 0) chunk[Math.floor(random() * size)] = 0x0a;
      framer.push(chunk, { onLine: () => {} });
      max = Math.max(max, framer.pendingBytes);
    }
    expect(max).toBeLessThanOrEqual(MAX_LINE_BYTES);
    expect(max).toBeGreaterThan(MAX_BODY_BYTES);
  });
});

describe('LineFramer: work per byte', () => {
  /** Feed `line` one byte at a time; the framer and what it emitted. */
  function byteByByte(line: string, maxTagBytes?: number): { framer: LineFramer; out: string[] } {
    const framer = new LineFramer(maxTagBytes);
    const out: string[] = [];
    const sink = { onLine: (text: string) => out.push(text) };
    for (const byte of Buffer.from(line)) framer.push(Buffer.from([byte]), sink);
    return { framer, out };
  }

  it('a longest legal line sent a byte at a time is copied a bounded number of times, not once per byte', () => {
    // 4096 bytes of tags and a 510-byte body: about 4.6 KB. Copying the held
    // part on every byte would move about 10 MB; linear work stays near the size.
    const tags = `@${'k'.repeat(MAX_CLIENT_TAG_BYTES - 2)} `;
    const body = `PRIVMSG #c :${'x'.repeat(MAX_BODY_BYTES - 'PRIVMSG #c :'.length)}`;
    const { framer, out } = byteByByte(`${tags}${body}\r\n`);
    expect(out).toEqual([`${tags}${body}`]);
    expect(framer.bytesCopied).toBeLessThanOrEqual(4 * MAX_LINE_BYTES);
  });

  it('a line cut off at the limit costs no more', () => {
    const { framer, out } = byteByByte(`${'y'.repeat(3 * MAX_LINE_BYTES)}\nPING ok\n`);
    expect(out).toEqual(['', 'PING ok']);
    expect(framer.bytesCopied).toBeLessThanOrEqual(4 * MAX_LINE_BYTES);
  });

  it('many short lines in one chunk copy nothing', () => {
    const framer = new LineFramer();
    framer.push(Buffer.from('PING a\r\n'.repeat(1000)), { onLine: () => {} });
    expect(framer.bytesCopied).toBe(0);
  });
});

describe('LineFramer: UTF-8', () => {
  it('flags invalid UTF-8 and decodes it without throwing', () => {
    const latin1 = Buffer.concat([Buffer.from('PRIVMSG #c :caf'), Buffer.from([0xe9]), Buffer.from('\r\n')]);
    expect(frame(latin1)).toEqual([{ line: 'PRIVMSG #c :caf\uFFFD', problem: null, validUtf8: false }]);
  });

  it.each([
    ['a lone continuation byte', [0x80]],
    ['a truncated 3-byte sequence', [0xe2, 0x82]],
    ['an overlong encoding', [0xc0, 0xaf]],
    ['a UTF-16 surrogate', [0xed, 0xa0, 0x80]],
  ])('flags %s', (_what, bytes) => {
    const [got] = frame(Buffer.concat([Buffer.from('PING :'), Buffer.from(bytes), Buffer.from('\n')]));
    expect(got?.validUtf8).toBe(false);
    expect(got?.problem).toBeNull();
    expect(got?.line.startsWith('PING :')).toBe(true);
  });

  it('valid multi-byte text is valid', () => {
    expect(frame(Buffer.from('PRIVMSG #c :héllo €😀\n'))).toEqual([{ line: 'PRIVMSG #c :héllo €😀', problem: null, validUtf8: true }]);
  });

  it('an invalid line does not taint the next one', () => {
    const got = frame(Buffer.concat([Buffer.from([0x80, 0x0a]), Buffer.from('PING ok\n')]));
    expect(got.map((l) => l.validUtf8)).toEqual([false, true]);
  });
});
