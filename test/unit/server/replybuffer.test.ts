/**
 * ReplyBuffer: the lines a command sends its caller, written when it is done,
 * with labeled-response (https://ircv3.net/specs/extensions/labeled-response)
 * and nested batches (https://ircv3.net/specs/extensions/batch). Runs a real
 * Session over a real Connection whose Link records what is written.
 */
import { loadConfig } from '../../../src/config/load.js';
import type { ConnectClass } from '../../../src/server/admission.js';
import { pino } from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import { Connection } from '../../../src/net/connection.js';
import type { Link } from '../../../src/net/link.js';
import { CAP } from '../../../src/protocol/caps.js';
import { Outgoing } from '../../../src/protocol/outgoing.js';
import { RPL_KEYNOTSET, RPL_KEYVALUE, RPL_WHOISUSER } from '../../../src/protocol/replies.js';
import { ReplyBuffer } from '../../../src/server/replybuffer.js';
import { Session } from '../../../src/server/session.js';
import { User } from '../../../src/state/user.js';

const S = ':obrol.local';

class RecordingLink implements Link {
  readonly remoteAddress = '127.0.0.1';
  readonly remotePort = 50000;
  readonly secure = false;
  readonly certfp = null;
  readonly pendingBytes = 0;
  readonly lines: string[] = [];
  start(): void {}
  write(lines: readonly Buffer[]): void {
    for (const line of lines) {
      const text = line.toString('utf8');
      expect(text.endsWith('\r\n'), `line ends with CRLF: ${JSON.stringify(text)}`).toBe(true);
      this.lines.push(text.slice(0, -2));
    }
  }
  end(): void {}
  destroy(): void {}
}

let link: RecordingLink;
let conn: Connection<Session>;
let session: Session;

beforeEach(() => {
  link = new RecordingLink();
  conn = new Connection<Session>(link, 1024 * 1024);
  const user = new User('u1', '127.0.0.1', '127.0.0.1', 'node', null);
  user.nick = 'alice';
  session = new Session('c1', conn, user, pino({ level: 'silent' }), Date.now(), loadConfig().config.classes[0] as ConnectClass);
  user.endpoint = session;
});

/** Flush the buffer and the connection's send queue; the lines written, without CRLF. */
function flush(buffer: ReplyBuffer): string[] {
  buffer.flush();
  conn.flush();
  return link.lines.splice(0);
}

function privmsg(text: string): Outgoing {
  return new Outgoing({ tags: null, source: 'bob!bob@127.0.0.1', command: 'PRIVMSG', params: ['alice', text] });
}

/** The batch reference of a `BATCH +id ...` line (checked to be one). */
function openedId(line: string | undefined, rest: string, prefix = ''): string {
  // The serializer puts ':' before the last parameter: `BATCH +id metadata :alice`.
  const words = rest.split(' ');
  const params = [...words.slice(0, -1), `:${words.at(-1) as string}`].join(' ');
  const m = new RegExp(`^${escape(prefix)}${escape(S)} BATCH \\+(\\S+) ${escape(params)}$`).exec(line ?? '');
  expect(m, `BATCH + line: ${line}`).not.toBeNull();
  return (m as RegExpExecArray)[1] as string;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A metadata batch around two replies, as METADATA GET builds it. */
function fillMetadataBatch(buffer: ReplyBuffer): void {
  buffer.startBatch('metadata', ['alice']);
  buffer.numeric(RPL_KEYVALUE('alice', 'display-name', '*', 'Alice L'));
  buffer.numeric(RPL_KEYNOTSET('alice', 'avatar'));
  buffer.endBatch();
}

describe('ReplyBuffer without a label', () => {
  it('writes nothing before flush, then the lines in order, numerics with server name and nick', () => {
    const buffer = new ReplyBuffer('obrol.local', session);
    buffer.numeric(RPL_WHOISUSER('bob', 'bob', '127.0.0.1', 'Bob Test'));
    buffer.message(privmsg('hello there'));
    conn.flush();
    expect(link.lines).toEqual([]);
    expect(flush(buffer)).toEqual([
      `${S} 311 alice bob bob 127.0.0.1 * :Bob Test`,
      ':bob!bob@127.0.0.1 PRIVMSG alice :hello there',
    ]);
  });

  it('writes nothing when there is nothing to say', () => {
    expect(flush(new ReplyBuffer('obrol.local', session))).toEqual([]);
  });

  it('uses * for the target before registration', () => {
    session.user.nick = '*';
    const buffer = new ReplyBuffer('obrol.local', session);
    buffer.numeric(RPL_KEYNOTSET('*', 'avatar'));
    expect(flush(buffer)).toEqual([`${S} 766 * * avatar :Key not set`]);
  });

  it('keeps a batch with its BATCH lines and batch tags for a client with batch', () => {
    session.setCaps(CAP.BATCH);
    const buffer = new ReplyBuffer('obrol.local', session);
    buffer.numeric(RPL_WHOISUSER('bob', 'bob', '127.0.0.1', 'Bob Test'));
    fillMetadataBatch(buffer);
    buffer.message(privmsg('after'));
    const lines = flush(buffer);
    expect(lines).toHaveLength(6);
    expect(lines[0]).toBe(`${S} 311 alice bob bob 127.0.0.1 * :Bob Test`);
    const id = openedId(lines[1], 'metadata alice');
    expect(lines.slice(2)).toEqual([
      `@batch=${id} ${S} 761 alice alice display-name * :Alice L`,
      `@batch=${id} ${S} 766 alice alice avatar :Key not set`,
      `${S} BATCH :-${id}`,
      ':bob!bob@127.0.0.1 PRIVMSG alice :after',
    ]);
  });

  it('drops the BATCH lines and the batch tags for a client without batch', () => {
    const buffer = new ReplyBuffer('obrol.local', session);
    fillMetadataBatch(buffer);
    expect(flush(buffer)).toEqual([
      `${S} 761 alice alice display-name * :Alice L`,
      `${S} 766 alice alice avatar :Key not set`,
    ]);
  });

  it('nests a batch opened inside another', () => {
    session.setCaps(CAP.BATCH);
    const buffer = new ReplyBuffer('obrol.local', session);
    buffer.startBatch('netjoin', ['a', 'b']);
    buffer.message(privmsg('one'));
    fillMetadataBatch(buffer);
    buffer.endBatch();
    const lines = flush(buffer);
    expect(lines).toHaveLength(7);
    const outer = openedId(lines[0], 'netjoin a b');
    expect(lines[1]).toBe(`@batch=${outer} :bob!bob@127.0.0.1 PRIVMSG alice :one`);
    const inner = openedId(lines[2], 'metadata alice', `@batch=${outer} `);
    expect(inner).not.toBe(outer);
    expect(lines.slice(3)).toEqual([
      `@batch=${inner} ${S} 761 alice alice display-name * :Alice L`,
      `@batch=${inner} ${S} 766 alice alice avatar :Key not set`,
      `@batch=${outer} ${S} BATCH :-${inner}`,
      `${S} BATCH :-${outer}`,
    ]);
  });

  it('closes batches still open at flush, innermost first', () => {
    session.setCaps(CAP.BATCH);
    const buffer = new ReplyBuffer('obrol.local', session);
    buffer.startBatch('metadata', ['alice']);
    buffer.numeric(RPL_KEYNOTSET('alice', 'avatar'));
    buffer.startBatch('metadata', ['#c']);
    buffer.numeric(RPL_KEYNOTSET('#c', 'topic'));
    const lines = flush(buffer);
    expect(lines).toHaveLength(6);
    const outer = openedId(lines[0], 'metadata alice');
    expect(lines[1]).toBe(`@batch=${outer} ${S} 766 alice alice avatar :Key not set`);
    const inner = openedId(lines[2], 'metadata #c', `@batch=${outer} `);
    expect(lines.slice(3)).toEqual([
      `@batch=${inner} ${S} 766 alice #c topic :Key not set`,
      `@batch=${outer} ${S} BATCH :-${inner}`,
      `${S} BATCH :-${outer}`,
    ]);
  });

  it('ignores an endBatch without an open batch', () => {
    session.setCaps(CAP.BATCH);
    const buffer = new ReplyBuffer('obrol.local', session);
    buffer.endBatch();
    buffer.message(privmsg('only'));
    expect(flush(buffer)).toEqual([':bob!bob@127.0.0.1 PRIVMSG alice :only']);
  });

  it('gives each batch of a connection a new reference', () => {
    session.setCaps(CAP.BATCH);
    const ids: string[] = [];
    for (let k = 0; k < 3; k++) {
      const buffer = new ReplyBuffer('obrol.local', session);
      fillMetadataBatch(buffer);
      ids.push(openedId(flush(buffer)[0], 'metadata alice'));
    }
    expect(new Set(ids).size).toBe(3);
  });

  it('starts empty again after a flush', () => {
    const buffer = new ReplyBuffer('obrol.local', session);
    buffer.message(privmsg('first'));
    expect(flush(buffer)).toEqual([':bob!bob@127.0.0.1 PRIVMSG alice :first']);
    expect(flush(buffer)).toEqual([]);
  });
});

describe('ReplyBuffer with a label', () => {
  beforeEach(() => {
    session.setCaps(CAP.BATCH | CAP.LABELED_RESPONSE);
  });

  it('answers no line with a labeled ACK', () => {
    expect(flush(new ReplyBuffer('obrol.local', session, 'abc'))).toEqual([`@label=abc ${S} ACK`]);
  });

  it('puts the label on a single line', () => {
    const buffer = new ReplyBuffer('obrol.local', session, 'abc');
    buffer.numeric(RPL_KEYVALUE('alice', 'display-name', '*', 'Alice L'));
    expect(flush(buffer)).toEqual([`@label=abc ${S} 761 alice alice display-name * :Alice L`]);
  });

  it('escapes the label value', () => {
    const buffer = new ReplyBuffer('obrol.local', session, 'a;b c\\d');
    expect(flush(buffer)).toEqual([`@label=a\\:b\\sc\\\\d ${S} ACK`]);
  });

  it('wraps several lines in a labeled-response batch', () => {
    const buffer = new ReplyBuffer('obrol.local', session, 'L1');
    buffer.numeric(RPL_WHOISUSER('bob', 'bob', '127.0.0.1', 'Bob Test'));
    buffer.message(privmsg('two'));
    const lines = flush(buffer);
    expect(lines).toHaveLength(4);
    const outer = openedId(lines[0], 'labeled-response', '@label=L1 ');
    expect(lines.slice(1)).toEqual([
      `@batch=${outer} ${S} 311 alice bob bob 127.0.0.1 * :Bob Test`,
      `@batch=${outer} :bob!bob@127.0.0.1 PRIVMSG alice :two`,
      `${S} BATCH :-${outer}`,
    ]);
  });

  it('nests a handler batch inside the labeled-response batch', () => {
    const buffer = new ReplyBuffer('obrol.local', session, 'L2');
    fillMetadataBatch(buffer);
    const lines = flush(buffer);
    expect(lines).toHaveLength(6);
    const outer = openedId(lines[0], 'labeled-response', '@label=L2 ');
    const inner = openedId(lines[1], 'metadata alice', `@batch=${outer} `);
    expect(inner).not.toBe(outer);
    expect(lines.slice(2)).toEqual([
      `@batch=${inner} ${S} 761 alice alice display-name * :Alice L`,
      `@batch=${inner} ${S} 766 alice alice avatar :Key not set`,
      `@batch=${outer} ${S} BATCH :-${inner}`,
      `${S} BATCH :-${outer}`,
    ]);
  });

  it('wraps an empty handler batch too (its two BATCH lines are two lines)', () => {
    const buffer = new ReplyBuffer('obrol.local', session, 'L3');
    buffer.startBatch('metadata', ['alice']);
    buffer.endBatch();
    const lines = flush(buffer);
    expect(lines).toHaveLength(4);
    const outer = openedId(lines[0], 'labeled-response', '@label=L3 ');
    const inner = openedId(lines[1], 'metadata alice', `@batch=${outer} `);
    expect(lines.slice(2)).toEqual([`@batch=${outer} ${S} BATCH :-${inner}`, `${S} BATCH :-${outer}`]);
  });

  it('tags top-level lines around a handler batch with the outer batch, and closes an unclosed one last', () => {
    const buffer = new ReplyBuffer('obrol.local', session, 'L4');
    buffer.message(privmsg('before'));
    buffer.startBatch('metadata', ['alice']);
    buffer.numeric(RPL_KEYNOTSET('alice', 'avatar'));
    const lines = flush(buffer);
    expect(lines).toHaveLength(6);
    const outer = openedId(lines[0], 'labeled-response', '@label=L4 ');
    expect(lines[1]).toBe(`@batch=${outer} :bob!bob@127.0.0.1 PRIVMSG alice :before`);
    const inner = openedId(lines[2], 'metadata alice', `@batch=${outer} `);
    expect(lines.slice(3)).toEqual([
      `@batch=${inner} ${S} 766 alice alice avatar :Key not set`,
      `@batch=${outer} ${S} BATCH :-${inner}`,
      `${S} BATCH :-${outer}`,
    ]);
  });

  it('without batch: drops the BATCH lines and sends the content untagged', () => {
    session.setCaps(CAP.LABELED_RESPONSE);
    const buffer = new ReplyBuffer('obrol.local', session, 'L5');
    fillMetadataBatch(buffer);
    expect(flush(buffer)).toEqual([
      `${S} 761 alice alice display-name * :Alice L`,
      `${S} 766 alice alice avatar :Key not set`,
    ]);
  });

  it('without batch: a handler batch with one line becomes that line with the label', () => {
    session.setCaps(CAP.LABELED_RESPONSE);
    const buffer = new ReplyBuffer('obrol.local', session, 'L6');
    buffer.startBatch('metadata', ['alice']);
    buffer.numeric(RPL_KEYNOTSET('alice', 'avatar'));
    buffer.endBatch();
    expect(flush(buffer)).toEqual([`@label=L6 ${S} 766 alice alice avatar :Key not set`]);
  });

  it('without batch: an empty handler batch becomes an ACK', () => {
    session.setCaps(CAP.LABELED_RESPONSE);
    const buffer = new ReplyBuffer('obrol.local', session, 'L7');
    buffer.startBatch('metadata', ['alice']);
    expect(flush(buffer)).toEqual([`@label=L7 ${S} ACK`]);
  });

  it('puts the label before the server-time tag', () => {
    session.setCaps(CAP.BATCH | CAP.LABELED_RESPONSE | CAP.SERVER_TIME);
    const buffer = new ReplyBuffer('obrol.local', session, 'L8');
    buffer.numeric(RPL_KEYNOTSET('alice', 'avatar'));
    const [line, ...rest] = flush(buffer);
    expect(rest).toEqual([]);
    expect(line).toMatch(/^@label=L8;time=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z :obrol\.local 766 alice alice avatar :Key not set$/);
  });
});

describe('ReplyBuffer with a label and a batch that stands for a message (draft/multiline echo)', () => {
  beforeEach(() => {
    session.setCaps(CAP.BATCH | CAP.LABELED_RESPONSE);
  });

  const opener = () => new Outgoing({ tags: null, source: 'alice!alice@127.0.0.1', command: 'PRIVMSG', params: ['#c', 'one'] }, { msgid: 'm1' });

  it('when it is the whole response, carries the label on its BATCH line instead of a labeled-response batch', () => {
    const buffer = new ReplyBuffer('obrol.local', session, 'ML');
    buffer.startBatch('draft/multiline', ['#c'], opener());
    buffer.message(privmsg('one'));
    buffer.message(privmsg('two'));
    buffer.endBatch();
    const lines = flush(buffer);
    expect(lines).toHaveLength(4);
    const m = /^@label=ML :alice!alice@127\.0\.0\.1 BATCH \+(\S+) draft\/multiline :#c$/.exec(lines[0] as string);
    expect(m, lines[0]).not.toBeNull();
    const id = (m as RegExpExecArray)[1] as string;
    expect(lines.slice(1)).toEqual([
      `@batch=${id} :bob!bob@127.0.0.1 PRIVMSG alice :one`,
      `@batch=${id} :bob!bob@127.0.0.1 PRIVMSG alice :two`,
      `${S} BATCH :-${id}`,
    ]);
  });

  it('with anything else in the response, nests inside the labeled-response batch as any batch does', () => {
    const buffer = new ReplyBuffer('obrol.local', session, 'ML2');
    buffer.startBatch('draft/multiline', ['#c'], opener());
    buffer.message(privmsg('one'));
    buffer.endBatch();
    buffer.numeric(RPL_KEYNOTSET('alice', 'avatar'));
    const lines = flush(buffer);
    expect(lines).toHaveLength(6);
    const outer = openedId(lines[0], 'labeled-response', '@label=ML2 ');
    expect(lines[1]).toMatch(new RegExp(`^@batch=${outer} :alice!alice@127\\.0\\.0\\.1 BATCH \\+\\S+ draft/multiline :#c$`));
  });
});
