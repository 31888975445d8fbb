/**
 * Capability negotiation beyond the basics of ../cap.test.ts: CAP LS 302
 * values, LIST after REQ, all-or-nothing REQ with removals, sts (offered only
 * with TLS, never requestable), cap-notify (implicit with 302), and CAP NEW
 * when REHASH adds a TLS listener with an STS policy.
 * https://ircv3.net/specs/extensions/capability-negotiation,
 * https://ircv3.net/specs/extensions/sts
 */
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../../src/config/password.js';
import { CAPABILITIES } from '../../../src/protocol/caps.js';
import { connectTls, makeCerts, type TestCerts } from '../../helpers/certs.js';
import { S, splitTags, tagNames, useIrc } from './setup.js';

const irc = useIrc();
const PASSWORD = 'cap-notify-oper-secret';
let hash = '';
let certs: TestCerts;

beforeAll(async () => {
  [hash, certs] = await Promise.all([hashPassword(PASSWORD), makeCerts()]);
});

afterAll(() => certs?.cleanup());

/** Every capability name in table order, sts left out (it needs TLS). */
const NAMES_WITHOUT_STS = CAPABILITIES.map((cap) => cap.name).filter((name) => name !== 'sts');

/** The capabilities these tests are about: none has a CAP LS value. */
const VALUELESS = [
  'account-notify', 'account-tag', 'away-notify', 'batch', 'cap-notify', 'chghost', 'echo-message', 'extended-join',
  'extended-monitor', 'invite-notify', 'labeled-response', 'message-tags', 'multi-prefix', 'server-time', 'setname',
  'standard-replies', 'userhost-in-names',
];

/** The capability tokens of CAP LS lines (joined over continuation lines). */
function lsTokens(lines: string[], target = '*'): string[] {
  const who = target === '*' ? '\\*' : target;
  const tokens: string[] = [];
  lines.forEach((line, index) => {
    const more = index < lines.length - 1 ? '\\* ' : '';
    const m = new RegExp(`^:obrol\\.local CAP ${who} LS ${more}:(.*)$`).exec(line);
    expect(m, line).not.toBeNull();
    tokens.push(...(m?.[1] as string).split(' '));
  });
  return tokens;
}

function tlsConfig(stsDuration: number | null): string {
  return [
    'tls:',
    '  host: 127.0.0.1',
    '  port: 0',
    `  cert: ${JSON.stringify(certs.cert)}`,
    `  key: ${JSON.stringify(certs.key)}`,
    `  sts_duration: ${stsDuration === null ? 'null' : stsDuration}`,
  ].join('\n');
}

function operConfig(): string {
  return ['opers:', '  - name: boss', `    password: ${JSON.stringify(hash)}`, '    hosts: ["*@127.0.0.1"]'].join('\n');
}

describe('CAP LS 302', () => {
  it('without TLS: every capability, no sts, none of these with a value', async () => {
    const { port } = await irc.server();
    const c = await irc.connect(port);
    c.send('CAP LS 302');
    const tokens = lsTokens(await c.sync());
    expect(tokens.map((t) => t.split('=')[0])).toEqual(NAMES_WITHOUT_STS);
    expect(tokens).toEqual(expect.arrayContaining(VALUELESS));
    expect(tokens.some((t) => t.startsWith('sts'))).toBe(false);
  });

  it('with TLS and an STS policy: sts=port=<tls port>,duration=<n> on a plain connection, a bare name without 302', async () => {
    const srv = await irc.server({ configPath: irc.tempFile('obrol.yaml', `${tlsConfig(86400)}\n`) });
    const tlsPort = srv.server.addressOf('tls').port;
    const c = await irc.connect(srv.port);
    c.send('CAP LS 302');
    const tokens = lsTokens(await c.sync());
    expect(tokens.filter((t) => t.startsWith('sts'))).toEqual([`sts=port=${tlsPort},duration=86400`]);
    expect(tokens.map((t) => t.split('=')[0])).toEqual(CAPABILITIES.map((cap) => cap.name));

    const old = await irc.connect(srv.port);
    old.send('CAP LS');
    const oldTokens = lsTokens(await old.sync());
    expect(oldTokens.filter((t) => t.startsWith('sts'))).toEqual(['sts']);
    expect(oldTokens.every((t) => !t.includes('='))).toBe(true);
  });

  it('over TLS: sts=duration=<n> without a port, with preload when configured', async () => {
    const srv = await irc.server({ configPath: irc.tempFile('obrol.yaml', `${tlsConfig(86400)}\n  sts_preload: true\n`) });
    const secure = await connectTls(srv.server.addressOf('tls').port);
    try {
      await secure.expect(/NOTICE \* :\*\*\* Welcome/);
      secure.send('CAP LS 302');
      expect(lsTokens(await secure.sync()).filter((t) => t.startsWith('sts'))).toEqual(['sts=duration=86400,preload']);
    } finally {
      secure.close();
    }
    // preload is for secure connections only.
    const plain = await irc.connect(srv.port);
    plain.send('CAP LS 302');
    expect(lsTokens(await plain.sync()).filter((t) => t.startsWith('sts'))).toEqual([`sts=port=${srv.server.addressOf('tls').port},duration=86400`]);
  });

  it('with TLS but no STS policy (sts_duration null): no sts', async () => {
    const srv = await irc.server({ configPath: irc.tempFile('obrol.yaml', `${tlsConfig(null)}\n`) });
    const c = await irc.connect(srv.port);
    c.send('CAP LS 302');
    expect(lsTokens(await c.sync()).map((t) => t.split('=')[0])).toEqual(NAMES_WITHOUT_STS);
  });
});

describe('CAP REQ and LIST', () => {
  it('the ACK looks as lines did before the change; the next line follows the new set', async () => {
    const { port } = await irc.server();
    const c = await irc.connect(port);
    c.send('CAP REQ :server-time');
    c.send('PING :after');
    const [ack, pong] = [await c.expect(/ CAP /), await c.expect(/ PONG /)];
    expect(ack).toBe(`${S} CAP * ACK :server-time`);
    expect(tagNames(pong)).toEqual(['time']);
    c.send('CAP REQ :-server-time');
    c.send('PING :after');
    const [unack, plainPong] = [await c.expect(/ CAP /), await c.expect(/ PONG /)];
    expect(tagNames(unack)).toEqual(['time']);
    expect(splitTags(unack).body).toBe(`${S} CAP * ACK :-server-time`);
    expect(plainPong).toBe(`${S} PONG obrol.local :after`);
  });

  it('LIST shows what REQ enabled, without values, plus cap-notify for a 302 client', async () => {
    const { port } = await irc.server();
    const c = await irc.connect(port);
    c.send('CAP LS 302');
    await c.sync();
    c.send('CAP LIST');
    expect(await c.sync()).toEqual([`${S} CAP * LIST :cap-notify`]);
    c.send('CAP REQ :setname echo-message');
    c.send('CAP LIST');
    // LIST is in table order, whatever the order asked for.
    expect(await c.sync()).toEqual([`${S} CAP * ACK :setname echo-message`, `${S} CAP * LIST :cap-notify echo-message setname`]);
  });

  it('a pre-302 client has an empty LIST until it asks for something', async () => {
    const { port } = await irc.server();
    const c = await irc.connect(port);
    c.send('CAP LS');
    await c.sync();
    c.send('CAP LIST');
    expect(await c.sync()).toEqual([`${S} CAP * LIST :`]);
  });

  it('adds and removes in one request; the whole request is refused if one token is bad', async () => {
    const { port } = await irc.server();
    const c = await irc.connect(port);
    c.send('CAP REQ :echo-message chghost');
    expect(await c.sync()).toEqual([`${S} CAP * ACK :echo-message chghost`]);

    // Removal of one and addition of another together.
    c.send('CAP REQ :-echo-message away-notify');
    c.send('CAP LIST');
    expect(await c.sync()).toEqual([`${S} CAP * ACK :-echo-message away-notify`, `${S} CAP * LIST :away-notify chghost`]);

    // One unknown removal: nothing changes, neither the addition nor the valid removal.
    c.send('CAP REQ :-chghost setname -no-such-cap');
    c.send('CAP LIST');
    expect(await c.sync()).toEqual([`${S} CAP * NAK :-chghost setname -no-such-cap`, `${S} CAP * LIST :away-notify chghost`]);

    // Removing what is not enabled, and adding what is, are both fine.
    c.send('CAP REQ :-chghost -extended-join away-notify');
    c.send('CAP LIST');
    expect(await c.sync()).toEqual([`${S} CAP * ACK :-chghost -extended-join away-notify`, `${S} CAP * LIST :away-notify`]);
  });

  it('REQ is case-sensitive: a capability name in capitals is unknown', async () => {
    const { port } = await irc.server();
    const c = await irc.connect(port);
    c.send('CAP REQ :ECHO-MESSAGE');
    c.send('CAP LIST');
    expect(await c.sync()).toEqual([`${S} CAP * NAK :ECHO-MESSAGE`, `${S} CAP * LIST :`]);
  });
});

describe('sts', () => {
  it('is never granted, even when offered; a request including it is refused whole', async () => {
    const srv = await irc.server({ configPath: irc.tempFile('obrol.yaml', `${tlsConfig(3600)}\n`) });
    const c = await irc.connect(srv.port);
    c.send('CAP LS 302');
    await c.sync();
    c.send('CAP REQ sts');
    c.send('CAP REQ :echo-message sts');
    c.send('CAP LIST');
    expect(await c.sync()).toEqual([`${S} CAP * NAK :sts`, `${S} CAP * NAK :echo-message sts`, `${S} CAP * LIST :cap-notify`]);
  });

  it('is NAKed without TLS too (not on offer)', async () => {
    const { port } = await irc.server();
    const c = await irc.connect(port);
    c.send('CAP REQ sts');
    expect(await c.sync()).toEqual([`${S} CAP * NAK :sts`]);
  });
});

describe('cap-notify', () => {
  it('is implicit with CAP LS 302 and cannot be removed by a 302 client', async () => {
    const { port } = await irc.server();
    const c = await irc.connect(port);
    c.send('CAP LS 302');
    await c.sync();
    c.send('CAP REQ -cap-notify');
    c.send('CAP REQ :echo-message -cap-notify');
    c.send('CAP LIST');
    expect(await c.sync()).toEqual([`${S} CAP * NAK :-cap-notify`, `${S} CAP * NAK :echo-message -cap-notify`, `${S} CAP * LIST :cap-notify`]);
    // A later CAP LS without a version does not take 302 away.
    c.send('CAP LS');
    await c.sync();
    c.send('CAP REQ -cap-notify');
    expect(await c.sync()).toEqual([`${S} CAP * NAK :-cap-notify`]);
  });

  it('a pre-302 client may turn it on and off', async () => {
    const { port } = await irc.server();
    const c = await irc.connect(port);
    c.send('CAP REQ cap-notify');
    c.send('CAP LIST');
    c.send('CAP REQ -cap-notify');
    c.send('CAP LIST');
    expect(await c.sync()).toEqual([
      `${S} CAP * ACK :cap-notify`,
      `${S} CAP * LIST :cap-notify`,
      `${S} CAP * ACK :-cap-notify`,
      `${S} CAP * LIST :`,
    ]);
  });
});

describe('CAP NEW and DEL on REHASH', () => {
  it('a TLS listener with an STS policy appearing: NEW to 302 and cap-notify clients, nothing to the others', async () => {
    const path = irc.tempFile('obrol.yaml', `${operConfig()}\n`);
    const srv = await irc.server({ configPath: path });
    const oper = await irc.register(srv.port, 'oper');
    oper.send(`OPER boss ${PASSWORD}`);
    await oper.expect(/ 381 /);
    const modern = await irc.withCaps(srv.port, 'modern', '');
    const notify = await irc.withCaps(srv.port, 'notify', 'cap-notify', { ls302: false });
    const plain = await irc.withCaps(srv.port, 'plain', 'echo-message', { ls302: false });
    const unregistered = await irc.connect(srv.port);
    unregistered.send('CAP LS 302');
    await unregistered.sync();

    writeFileSync(path, `${operConfig()}\n${tlsConfig(31536000)}\n`);
    oper.send('REHASH');
    expect(await oper.sync()).toEqual([`${S} 382 oper ${path} :Rehashing`]);
    const tlsPort = srv.server.addressOf('tls').port;
    expect(await modern.sync()).toEqual([`${S} CAP modern NEW :sts=port=${tlsPort},duration=31536000`]);
    // Without 302 the list has no values.
    expect(await notify.sync()).toEqual([`${S} CAP notify NEW :sts`]);
    expect(await plain.sync()).toEqual([]);
    expect(await unregistered.sync()).toEqual([`${S} CAP * NEW :sts=port=${tlsPort},duration=31536000`]);
    // The new value is what CAP LS says now too.
    modern.send('CAP LS 302');
    expect(lsTokens(await modern.sync(), 'modern')).toContain(`sts=port=${tlsPort},duration=31536000`);

    // A changed duration is announced with NEW (a new value)...
    writeFileSync(path, `${operConfig()}\n${tlsConfig(600)}\n`);
    oper.send('REHASH');
    await oper.sync();
    expect(await modern.sync()).toEqual([`${S} CAP modern NEW :sts=port=${tlsPort},duration=600`]);
    // Without values, nothing new to say to a pre-302 client.
    expect(await notify.sync()).toEqual([]);
    expect(await plain.sync()).toEqual([]);

    // ...but sts going away is never a DEL (clients keep the policy they were given).
    writeFileSync(path, `${operConfig()}\n`);
    oper.send('REHASH');
    await oper.sync();
    expect(await modern.sync()).toEqual([]);
    expect(await notify.sync()).toEqual([]);
    modern.send('CAP LS 302');
    expect(lsTokens(await modern.sync(), 'modern').some((t) => t.startsWith('sts'))).toBe(false);
  });

  it('a REHASH that changes no capability sends no CAP line', async () => {
    const path = irc.tempFile('obrol.yaml', `${operConfig()}\n`);
    const srv = await irc.server({ configPath: path });
    const oper = await irc.register(srv.port, 'oper');
    oper.send(`OPER boss ${PASSWORD}`);
    await oper.expect(/ 381 /);
    const modern = await irc.withCaps(srv.port, 'modern', '');
    writeFileSync(path, `${operConfig()}\nlimits:\n  topic_length: 100\n`);
    oper.send('REHASH');
    await oper.sync();
    expect(await modern.sync()).toEqual([]);
  });
});
