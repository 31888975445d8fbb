/**
 * draft/message-redaction over real sockets: REDACT by the sender and by a
 * channel operator, refused to others, the FAIL REDACT codes, the message
 * leaving the server's history store, and no REDACT for clients without
 * the capability. The history entry of a message is written here from its
 * echo, as the server's history recording does (src/history/).
 * https://ircv3.net/specs/extensions/message-redaction
 */
import { describe, expect, it } from 'vitest';
import type { TestClient } from '../../helpers/client.js';
import type { TestServer } from '../../helpers/server.js';
import { expectMsgid, mask, S, settle, splitTags, useIrc } from './setup.js';

const irc = useIrc();
const CAPS = 'message-tags echo-message batch labeled-response draft/message-redaction';

const body = (line: string) => splitTags(line).body;

/** alice (op of #c) and bob with the capability, carol without; all on #c. */
async function setup(): Promise<{ srv: TestServer; alice: TestClient; bob: TestClient; carol: TestClient }> {
  const srv = await irc.server();
  const alice = await irc.withCaps(srv, 'alice', CAPS);
  const bob = await irc.withCaps(srv, 'bob', CAPS);
  const carol = await irc.withCaps(srv, 'carol', 'message-tags echo-message');
  for (const c of [alice, bob, carol]) await irc.join(c, '#c');
  await settle(alice, bob, carol);
  return { srv, alice, bob, carol };
}

/** `from` says `text` on #c; its history entry is stored (unless the server recorded it already); returns the msgid everyone saw. */
async function say(srv: TestServer, from: TestClient, text: string, others: TestClient[]): Promise<string> {
  from.send(`PRIVMSG #c :${text}`);
  const [echo] = await from.sync();
  const msgid = expectMsgid(echo as string);
  for (const c of others) expect((await c.sync()).map((l) => splitTags(l).tags.get('msgid'))).toEqual([msgid]);
  const history = srv.server.store.history;
  await history.flush();
  if ((await history.find(msgid)) === null) {
    history.append([{ msgid, time: Date.now(), target: '#c', command: 'PRIVMSG', source: mask(from.nick), account: null, params: ['#c', text], tags: null, lines: null, peers: null }]);
    await history.flush();
  }
  return msgid;
}

describe('REDACT', () => {
  it('by the sender: both members with the capability get it, the one without gets nothing, and history forgets the message', async () => {
    const { srv, alice, bob, carol } = await setup();
    const msgid = await say(srv, bob, 'oops', [alice, carol]);
    bob.send(`@label=r1 REDACT #c ${msgid}`);
    const answer = await bob.sync();
    expect(answer.map(body)).toEqual([`:${mask('bob')} REDACT #c :${msgid}`]);
    expect(splitTags(answer[0] as string).tags.get('label')).toBe('r1');
    expect(splitTags(answer[0] as string).tags.get('msgid')).toBeDefined();
    expect((await alice.sync()).map(body)).toEqual([`:${mask('bob')} REDACT #c :${msgid}`]);
    expect(await carol.sync()).toEqual([]);
    expect(await srv.server.store.history.find(msgid)).toBeNull();
  });

  it("by the channel operator, someone else's message, with a reason", async () => {
    const { srv, alice, bob, carol } = await setup();
    const msgid = await say(srv, bob, 'spam spam', [alice, carol]);
    alice.send(`REDACT #c ${msgid} :spam`);
    expect((await alice.sync()).map(body)).toEqual([`:${mask('alice')} REDACT #c ${msgid} :spam`]);
    expect((await bob.sync()).map(body)).toEqual([`:${mask('alice')} REDACT #c ${msgid} :spam`]);
  });

  it("refused to a member who neither sent it nor is an operator: REDACT_FORBIDDEN, nobody hears, the message stays", async () => {
    const { srv, alice, bob, carol } = await setup();
    const msgid = await say(srv, alice, 'mine', [bob, carol]);
    bob.send(`REDACT #c ${msgid}`);
    expect((await bob.sync()).map(body)).toEqual([`${S} FAIL REDACT REDACT_FORBIDDEN #c ${msgid} :You are not authorised to delete this message`]);
    expect(await alice.sync()).toEqual([]);
    expect(await srv.server.store.history.find(msgid)).not.toBeNull();
  });

  it('UNKNOWN_MSGID for a message not kept; INVALID_TARGET for a channel that does not exist', async () => {
    const { alice } = await setup();
    alice.send('REDACT #c nonexistent123');
    alice.send('REDACT #fake somemsgid');
    expect((await alice.sync()).map(body)).toEqual([
      `${S} FAIL REDACT UNKNOWN_MSGID #c nonexistent123 :This message does not exist or is too old`,
      `${S} FAIL REDACT INVALID_TARGET #fake :You cannot delete messages from #fake`,
    ]);
  });

  it('a message redacted once is unknown the second time', async () => {
    const { srv, alice, bob, carol } = await setup();
    const msgid = await say(srv, bob, 'twice', [alice, carol]);
    bob.send(`REDACT #c ${msgid}`);
    bob.send(`REDACT #c ${msgid}`);
    expect((await bob.sync()).map(body)).toEqual([
      `:${mask('bob')} REDACT #c :${msgid}`,
      `${S} FAIL REDACT UNKNOWN_MSGID #c ${msgid} :This message does not exist or is too old`,
    ]);
  });
});
