/**
 * Outgoing: one event, serialized lazily and at most once per rendering key
 * (the recipient's message-tags / server-time / account-tag bits), with the
 * server tags in a fixed order before the client-only tags; bytesWith() adds
 * per-recipient tags (label, batch) first and is never cached.
 */
import { describe, expect, it, vi } from 'vitest';
import { CAP, RENDER_CAPS } from '../../../src/protocol/caps.js';
import type { IrcMessage } from '../../../src/protocol/message.js';
import { msgIdGenerator, Outgoing, type OutgoingMeta } from '../../../src/protocol/outgoing.js';

const AT = Date.UTC(2024, 0, 2, 3, 4, 5, 678);
const TIME = 'time=2024-01-02T03:04:05.678Z';
const TAGS = CAP.MESSAGE_TAGS;
const STIME = CAP.SERVER_TIME;
const ACCT = CAP.ACCOUNT_TAG;

const privmsg: IrcMessage = { tags: null, source: 'alice!a@host', command: 'PRIVMSG', params: ['#c', 'hello there'] };
const BODY = ':alice!a@host PRIVMSG #c :hello there';

function make(meta: OutgoingMeta | null = { msgid: 'id-1' }): Outgoing {
  return new Outgoing(privmsg, meta, AT);
}

const text = (b: Buffer) => b.toString('utf8');

/** Count renders: every serialization asks tagsFor() once. */
function renders(out: Outgoing) {
  return vi.spyOn(out, 'tagsFor');
}

describe('Outgoing.bytes', () => {
  it('returns the identical Buffer for the same key, however often and in whatever order keys are asked', () => {
    const out = make();
    const spy = renders(out);
    const plain = out.bytes(0);
    const tagged = out.bytes(TAGS | STIME);
    const timed = out.bytes(STIME);
    expect(spy).toHaveBeenCalledTimes(3);
    for (let k = 0; k < 5; k++) {
      expect(out.bytes(0)).toBe(plain);
      expect(out.bytes(TAGS | STIME)).toBe(tagged);
      expect(out.bytes(STIME)).toBe(timed);
    }
    // Still three serializations: one per key.
    expect(spy).toHaveBeenCalledTimes(3);
    expect(spy.mock.calls.map((call) => call[0])).toEqual([0, TAGS | STIME, STIME]);
  });

  it('serializes nothing until asked', () => {
    const out = make();
    const spy = renders(out);
    expect(spy).not.toHaveBeenCalled();
    out.bytes(0);
    expect(spy).toHaveBeenCalledTimes(1);
  });

  it('different keys give different tags; each line ends with CRLF', () => {
    const out = make({ msgid: 'id-1' });
    expect(text(out.bytes(0))).toBe(`${BODY}\r\n`);
    expect(text(out.bytes(STIME))).toBe(`@${TIME} ${BODY}\r\n`);
    expect(text(out.bytes(TAGS))).toBe(`@msgid=id-1 ${BODY}\r\n`);
    expect(text(out.bytes(TAGS | STIME))).toBe(`@${TIME};msgid=id-1 ${BODY}\r\n`);
    expect(out.bytes(TAGS)).not.toBe(out.bytes(STIME));
  });

  it('server tags in order (time, msgid, bot, account), then client-only tags, escaped', () => {
    const clientTags = new Map([
      ['+draft/react', 'a;b c'],
      ['+flag', ''],
    ]);
    const out = make({ msgid: 'm1', bot: true, account: 'acc ount', clientTags });
    expect(text(out.bytes(TAGS | STIME | ACCT))).toBe(`@${TIME};msgid=m1;bot;account=acc\\sount;+draft/react=a\\:b\\sc;+flag ${BODY}\r\n`);
    // Without message-tags: no msgid, no bot, no client tags; account-tag alone still gives the account.
    expect(text(out.bytes(ACCT))).toBe(`@account=acc\\sount ${BODY}\r\n`);
    expect(text(out.bytes(STIME))).toBe(`@${TIME} ${BODY}\r\n`);
  });

  it('account-tag without an account (logged out) adds nothing', () => {
    const out = make({ msgid: 'm1', account: null });
    expect(text(out.bytes(ACCT))).toBe(`${BODY}\r\n`);
    expect(text(out.bytes(ACCT | TAGS))).toBe(`@msgid=m1 ${BODY}\r\n`);
  });

  it('a message without meta (a server reply) gets only the time', () => {
    const out = new Outgoing({ tags: null, source: 'obrol.local', command: 'PONG', params: ['obrol.local', 'x'] }, null, AT);
    expect(text(out.bytes(TAGS))).toBe(':obrol.local PONG obrol.local :x\r\n');
    expect(text(out.bytes(TAGS | STIME))).toBe(`@${TIME} :obrol.local PONG obrol.local :x\r\n`);
  });

  it('the time is when the event was made, not when it is rendered', () => {
    const before = Date.now();
    const out = new Outgoing(privmsg, null);
    expect(out.at).toBeGreaterThanOrEqual(before);
    expect(out.at).toBeLessThanOrEqual(Date.now());
    expect(text(out.bytes(STIME))).toBe(`@time=${new Date(out.at).toISOString()} ${BODY}\r\n`);
  });

  it('the message tags of the IrcMessage itself are never rendered (client tags come through meta only)', () => {
    const out = new Outgoing({ ...privmsg, tags: new Map([['secret', '1']]) }, null, AT);
    expect(text(out.bytes(TAGS))).toBe(`${BODY}\r\n`);
  });

  it('tags do not count toward the 512-byte body: the body is cut at 510 bytes plus CRLF', () => {
    const long: IrcMessage = { tags: null, source: 'alice!a@host', command: 'PRIVMSG', params: ['#c', 'x'.repeat(600)] };
    const out = new Outgoing(long, { msgid: 'm' }, AT);
    const plain = text(out.bytes(0));
    expect(Buffer.byteLength(plain)).toBe(512);
    expect(text(out.bytes(TAGS | STIME))).toBe(`@${TIME};msgid=m ${plain}`);
  });
});

describe('Outgoing.bytesWith', () => {
  it('puts the extra tags first, before the rendering key tags', () => {
    const out = make({ msgid: 'id-9' });
    expect(text(out.bytesWith(TAGS | STIME, 'label=abc'))).toBe(`@label=abc;${TIME};msgid=id-9 ${BODY}\r\n`);
    expect(text(out.bytesWith(0, 'batch=1'))).toBe(`@batch=1 ${BODY}\r\n`);
  });

  it('is not cached, and does not touch the cache of bytes()', () => {
    const out = make();
    const spy = renders(out);
    const a = out.bytesWith(STIME, 'label=x');
    const b = out.bytesWith(STIME, 'label=x');
    expect(a).not.toBe(b);
    expect(a.equals(b)).toBe(true);
    expect(spy).toHaveBeenCalledTimes(2);
    const cached = out.bytes(STIME);
    expect(text(cached)).toBe(`@${TIME} ${BODY}\r\n`);
    expect(out.bytes(STIME)).toBe(cached);
    out.bytesWith(STIME, 'label=y');
    expect(out.bytes(STIME)).toBe(cached);
    expect(spy).toHaveBeenCalledTimes(4);
  });

  it('with an empty extra it renders like bytes() but as a new Buffer', () => {
    const out = make();
    expect(out.bytesWith(TAGS, '').equals(out.bytes(TAGS))).toBe(true);
    expect(out.bytesWith(TAGS, '')).not.toBe(out.bytes(TAGS));
  });
});

describe('rendering keys', () => {
  it('only message-tags, server-time and account-tag change the rendering', () => {
    expect(RENDER_CAPS).toBe(CAP.MESSAGE_TAGS | CAP.SERVER_TIME | CAP.ACCOUNT_TAG);
    const out = make({ msgid: 'm', bot: true });
    // A key with other bits renders the same text (sessions mask them off, so they share one Buffer).
    expect(text(out.bytes(CAP.ECHO_MESSAGE | CAP.AWAY_NOTIFY))).toBe(text(out.bytes(0)));
  });
});

describe('msgIdGenerator', () => {
  it('gives unique ids with the node id as prefix', () => {
    const next = msgIdGenerator('node1');
    const ids = Array.from({ length: 1000 }, () => next());
    expect(new Set(ids).size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^node1[0-9a-z]+-[0-9a-z]+$/);
    // Two generators (two nodes, or a restart) never collide.
    const other = msgIdGenerator('node2');
    expect(ids).not.toContain(other());
  });
});

describe('Outgoing fixedTags', () => {
  it('are sent to every recipient before the server tags, and cached with the rest', () => {
    const out = make({ msgid: 'id-1', fixedTags: 'batch=ml-1;draft/multiline-concat' });
    expect(text(out.bytes(0))).toBe(`@batch=ml-1;draft/multiline-concat ${BODY}\r\n`);
    expect(text(out.bytes(TAGS | STIME))).toBe(`@batch=ml-1;draft/multiline-concat;${TIME};msgid=id-1 ${BODY}\r\n`);
    expect(out.bytes(0)).toBe(out.bytes(0));
  });
});
