/**
 * draft/multiline against the World: a batch becomes ONE message event with
 * every line (what the other nodes and the history see), the channel's rules
 * are checked once for the whole, and a multiline event from another node is
 * delivered here as a batch or as plain lines by each client's capabilities.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { EventOf } from '../../../src/bus/events.js';
import { receive } from '../../../src/network/effects.js';
import { START_TIME, World, type FakeClient } from '../../helpers/harness.js';

let world: World;
let alice: FakeClient; // op of #c, draft/multiline
let bob: FakeClient; // member, draft/multiline and batch
let carol: FakeClient; // member, nothing negotiated

beforeEach(() => {
  world = new World();
  alice = world.connect('alice', { caps: ['draft/multiline', 'batch'] });
  bob = world.connect('bob', { caps: ['draft/multiline', 'batch'] });
  carol = world.connect('carol');
  for (const c of [alice, bob, carol]) c.run('JOIN #c');
  for (const c of [alice, bob, carol]) c.take();
});

function send(client: FakeClient, ref: string, target: string, lines: string[]): string[] {
  const out = [...client.run(`BATCH +${ref} draft/multiline ${target}`)];
  for (const line of lines) out.push(...client.run(`@batch=${ref} ${line}`));
  out.push(...client.run(`BATCH -${ref}`));
  return out;
}

describe('a multiline batch', () => {
  it('is one message event carrying every line; no line is dispatched on its own', async () => {
    await world.busEvents();
    expect(send(bob, 'x', '#c', ['PRIVMSG #c :one', 'PRIVMSG #c :two '])).toEqual([]);
    const messages = (await world.busEvents()).filter((e) => e.type === 'message');
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ command: 'PRIVMSG', target: '#c', channel: '#c', text: 'one', lines: [{ text: 'one', concat: false }, { text: 'two ', concat: false }] });
  });

  it('keeps concat flags, and carol (no capability) gets the lines as plain PRIVMSGs', async () => {
    bob.run('BATCH +y draft/multiline #c');
    bob.run('@batch=y PRIVMSG #c :two ');
    bob.run('@batch=y;draft/multiline-concat PRIVMSG #c :halves');
    bob.run('BATCH -y');
    const [event] = (await world.busEvents()).filter((e) => e.type === 'message') as Array<EventOf<'message'>>;
    expect(event?.lines).toEqual([{ text: 'two ', concat: false }, { text: 'halves', concat: true }]);
    expect(carol.take()).toEqual([':bob!bob@127.0.0.1 PRIVMSG #c :two ', ':bob!bob@127.0.0.1 PRIVMSG #c :halves']);
    const batch = alice.take();
    expect(batch).toHaveLength(4);
    expect(batch[0]).toMatch(/^:bob!bob@127\.0\.0\.1 BATCH \+(ml-\S+) draft\/multiline :#c$/);
    const ref = (batch[0] as string).split(' ')[2]?.slice(1) as string;
    expect(batch.slice(1)).toEqual([
      `@batch=${ref} :bob!bob@127.0.0.1 PRIVMSG #c :two `,
      `@batch=${ref};draft/multiline-concat :bob!bob@127.0.0.1 PRIVMSG #c :halves`,
      `:bob!bob@127.0.0.1 BATCH :-${ref}`,
    ]);
  });

  it('is checked once against the channel: +m refuses the whole of it, with one 404', async () => {
    alice.run('MODE #c +m');
    for (const c of [alice, bob, carol]) c.take();
    const erin = world.connect('erin', { caps: ['draft/multiline', 'batch'] });
    erin.run('JOIN #c');
    for (const c of [alice, bob, carol, erin]) c.take();
    expect(send(erin, 'z', '#c', ['PRIVMSG #c :one', 'PRIVMSG #c :two'])).toEqual([':obrol.local 404 erin #c :Cannot send to channel (moderated, +m)']);
    expect(alice.take()).toEqual([]);
    expect((await world.busEvents()).filter((e) => e.type === 'message')).toEqual([]);
  });

  it('from a client that did not negotiate draft/multiline: one FAIL, and its lines are dropped', () => {
    expect(send(carol, 'n', '#c', ['PRIVMSG #c :one', 'PRIVMSG #c :two'])).toEqual([':obrol.local FAIL BATCH MULTILINE_INVALID :Negotiate draft/multiline before sending one']);
    expect(alice.take()).toEqual([]);
  });

  it('after a FAIL, an end naming another batch is refused, and the broken batch still swallows its own end', () => {
    bob.run('BATCH +a draft/multiline #c');
    expect(bob.run('@batch=a PRIVMSG #elsewhere :x')).toEqual([':obrol.local FAIL BATCH MULTILINE_INVALID_TARGET #c #elsewhere :Every line of a multiline batch must go to its target']);
    expect(bob.run('@batch=a PRIVMSG #c :more')).toEqual([]);
    expect(bob.run('BATCH -b')).toEqual([':obrol.local FAIL BATCH MULTILINE_INVALID :No batch b is open']);
    expect(bob.run('BATCH -a')).toEqual([]);
    expect(bob.run('BATCH -a')).toEqual([':obrol.local FAIL BATCH MULTILINE_INVALID :No batch a is open']);
    expect(alice.take()).toEqual([]);
  });

  it('to a service is refused: services take one line at a time', () => {
    expect(send(bob, 's', 'NickServ', ['PRIVMSG NickServ :help'])).toEqual([':obrol.local FAIL BATCH MULTILINE_INVALID :NickServ takes one line at a time']);
  });
});

describe('a multiline message from another node', () => {
  it('reaches local members as a batch or as lines, blank lines left out of the lines', () => {
    const event: EventOf<'message'> = {
      type: 'message',
      origin: 'node-b',
      userId: alice.user.id,
      command: 'NOTICE',
      target: '#c',
      channel: '#c',
      statusMask: 0,
      recipientId: null,
      text: 'first',
      tags: null,
      lines: [
        { text: 'first', concat: false },
        { text: '', concat: false },
        { text: 'last', concat: false },
      ],
      msgid: 'nodeb-1',
      time: START_TIME * 1000,
    };
    receive(world, event);
    expect(carol.take()).toEqual([':alice!alice@127.0.0.1 NOTICE #c :first', ':alice!alice@127.0.0.1 NOTICE #c :last']);
    expect(bob.take()).toEqual([
      ':alice!alice@127.0.0.1 BATCH +ml-nodeb-1 draft/multiline :#c',
      '@batch=ml-nodeb-1 :alice!alice@127.0.0.1 NOTICE #c :first',
      '@batch=ml-nodeb-1 :alice!alice@127.0.0.1 NOTICE #c :',
      '@batch=ml-nodeb-1 :alice!alice@127.0.0.1 NOTICE #c :last',
      ':alice!alice@127.0.0.1 BATCH :-ml-nodeb-1',
    ]);
    // The sender is not a member here to deliver to itself: alice's node echoes.
    expect(alice.take()).toEqual([]);
  });
});
