/**
 * invite-notify: channel members with the capability see INVITEs; on an
 * invite-only (+i) channel only its ops do.
 * https://ircv3.net/specs/extensions/invite-notify
 */
import { describe, expect, it } from 'vitest';
import type { TestClient } from '../../helpers/client.js';
import { mask, S, settle, useIrc } from './setup.js';

const irc = useIrc();

/** op (created #c), member (invite-notify), plain (none) in #c; guest outside. */
async function scene(): Promise<{ op: TestClient; member: TestClient; plain: TestClient; guest: TestClient; port: number }> {
  const { port } = await irc.server();
  const op = await irc.withCaps(port, 'op', 'invite-notify');
  const member = await irc.withCaps(port, 'member', 'invite-notify');
  const plain = await irc.register(port, 'plain');
  const guest = await irc.register(port, 'guest');
  for (const c of [op, member, plain]) await irc.join(c, '#c');
  await settle(op, member, plain);
  return { op, member, plain, guest, port };
}

const INVITE = `:${mask('op')} INVITE guest :#c`;

describe('invite-notify', () => {
  it('on an open channel: members with the capability see the INVITE, the others do not', async () => {
    const { op, member, plain, guest } = await scene();
    op.send('INVITE guest #c');
    // The inviter gets 341, not the notification.
    expect(await op.sync()).toEqual([`${S} 341 op guest :#c`]);
    expect(await guest.sync()).toEqual([INVITE]);
    expect(await member.sync()).toEqual([INVITE]);
    expect(await plain.sync()).toEqual([]);
  });

  it('an INVITE by a non-op on an open channel reaches the members with the capability, the op included', async () => {
    const { op, member, plain, guest } = await scene();
    plain.send('INVITE guest #c');
    expect(await plain.sync()).toEqual([`${S} 341 plain guest :#c`]);
    expect(await guest.sync()).toEqual([`:${mask('plain')} INVITE guest :#c`]);
    expect(await op.sync()).toEqual([`:${mask('plain')} INVITE guest :#c`]);
    expect(await member.sync()).toEqual([`:${mask('plain')} INVITE guest :#c`]);
  });

  it('on a +i channel only ops with the capability see it', async () => {
    const { port, op, member, plain, guest } = await scene();
    const op2 = await irc.withCaps(port, 'op2', 'invite-notify');
    await irc.join(op2, '#c');
    op.send('MODE #c +io op2');
    await op.sync();
    await settle(member, plain, op2);
    op.send('INVITE guest #c');
    expect(await op.sync()).toEqual([`${S} 341 op guest :#c`]);
    expect(await guest.sync()).toEqual([INVITE]);
    expect(await op2.sync()).toEqual([INVITE]);
    expect(await member.sync()).toEqual([]);
    expect(await plain.sync()).toEqual([]);
  });

  it('a refused INVITE notifies nobody', async () => {
    const { op, member, plain } = await scene();
    op.send('INVITE member #c');
    expect(await op.sync()).toEqual([`${S} 443 op member #c :is already on channel`]);
    expect(await member.sync()).toEqual([]);
    expect(await plain.sync()).toEqual([]);
  });
});
