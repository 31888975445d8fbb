/**
 * NickServ in the World, each command through `/msg NickServ` (PRIVMSG) and
 * through the NS command: REGISTER, IDENTIFY, GHOST, REGAIN, DROP,
 * SET PASSWORD, INFO, CERT.
 */
import { describe, expect, it } from 'vitest';
import { OperGuard } from '../../../src/commands/operguard.js';
import { World } from '../../helpers/harness.js';

const NS = ':NickServ!NickServ@obrol.local NOTICE';

function newWorld(): World {
  const world = new World();
  world.operGuard = new OperGuard({ sleep: () => Promise.resolve() });
  return world;
}

describe('NickServ', () => {
  it('REGISTER through /msg registers the current nick and logs in; twice is refused', async () => {
    const world = newWorld();
    const alice = world.connect('alice');
    expect(await alice.runAsync('PRIVMSG NickServ :REGISTER hunter22')).toEqual([
      ':obrol.local 900 alice alice!alice@127.0.0.1 alice :You are now logged in as alice',
      `${NS} alice :Account alice registered; you are now logged in. Next time, log in with /msg NickServ IDENTIFY <password>, or set up SASL in your client.`,
    ]);
    expect(alice.user.account).toBe('alice');
    const other = world.connect('ALICE2');
    other.run('NICK x');
    expect(await alice.runAsync('NS REGISTER hunter22')).toEqual([`${NS} alice :You are already logged in as alice.`]);
    expect(await alice.runAsync('NS REGISTER')).toEqual([`${NS} alice :Syntax: REGISTER <password> [email]`]);
    expect(await alice.runAsync('NS REGISTER abc')).toEqual([`${NS} alice :You are already logged in as alice.`]);
    const bob = world.connect('bob');
    expect(await bob.runAsync('NS REGISTER abc')).toEqual([`${NS} bob :The password must be at least 5 characters long.`]);
  });

  it('IDENTIFY with and without an account name; a wrong password says so', async () => {
    const world = newWorld();
    await world.connect('alice').runAsync('NS REGISTER hunter22');
    const b = world.connect('bob');
    expect(await b.runAsync('NS IDENTIFY alice wrongpass')).toEqual([`${NS} bob :Wrong password for alice, or no such account.`]);
    expect(await b.runAsync('PRIVMSG NickServ :IDENTIFY alice hunter22')).toEqual([
      ':obrol.local 900 bob bob!bob@127.0.0.1 alice :You are now logged in as alice',
      `${NS} bob :You are now logged in as alice.`,
    ]);
    expect(b.user.account).toBe('alice');
    const c = world.connect('carol');
    await c.runAsync('NS REGISTER carolpass');
    const c2 = world.connect('c2');
    c2.run('NICK Carol_');
    expect(await c2.runAsync('NS IDENTIFY carolpass')).toEqual([`${NS} Carol_ :Wrong password for Carol_, or no such account.`]);
  });

  it('GHOST and REGAIN: with the password or logged into the account; not for strangers', async () => {
    const world = newWorld();
    const old = world.connect('alice');
    await old.runAsync('NS REGISTER hunter22');
    const stranger = world.connect('eve');
    expect(await stranger.runAsync('NS GHOST alice')).toEqual([`${NS} eve :You may not ghost alice: log into its account first, or give its password.`]);
    expect(await stranger.runAsync('NS GHOST alice badpassword')).toEqual([`${NS} eve :You may not ghost alice: log into its account first, or give its password.`]);
    const fresh = world.connect('alice_');
    expect(await fresh.runAsync('PRIVMSG NickServ :GHOST alice hunter22')).toEqual([`${NS} alice_ :alice has been disconnected.`]);
    expect(world.disconnects).toEqual([{ nick: 'alice', quitReason: 'GHOST command used by alice_', errorReason: undefined }]);

    const again = world.connect('alice');
    await fresh.runAsync('NS IDENTIFY alice hunter22');
    expect(await fresh.runAsync('NS REGAIN alice')).toEqual([`${NS} alice_ :alice is yours again.`, ':alice_!alice_@127.0.0.1 NICK :alice']);
    expect(fresh.nick).toBe('alice');
    expect(world.disconnects.at(-1)?.nick).toBe('alice');
    expect(again.user.endpoint).toBeNull();
  });

  it('SET PASSWORD, INFO, DROP', async () => {
    const world = newWorld();
    const alice = world.connect('alice');
    expect(await alice.runAsync('NS SET PASSWORD newpassword')).toEqual([`${NS} alice :You are not logged in. Log in first with /msg NickServ IDENTIFY <account> <password>`]);
    await alice.runAsync('NS REGISTER hunter22 alice@example.org');
    expect(await alice.runAsync('NS SET PASSWORD newpassword')).toEqual([`${NS} alice :Your password has been changed.`]);
    const bob = world.connect('bob');
    expect(await bob.runAsync('NS IDENTIFY alice hunter22')).toEqual([`${NS} bob :Wrong password for alice, or no such account.`]);
    const info = await bob.runAsync('NS INFO alice');
    expect(info[0]).toMatch(/^:NickServ!NickServ@obrol\.local NOTICE bob :Account alice, registered .* GMT\.$/);
    expect(info.slice(1)).toEqual([`${NS} bob :Logged in now: alice`]);
    expect((await alice.runAsync('NS INFO')).slice(2)).toEqual([`${NS} alice :E-mail: alice@example.org`, `${NS} alice :Certificates: 0`]);
    expect(await bob.runAsync('NS INFO nobody')).toEqual([`${NS} bob :nobody is not registered.`]);

    expect(await bob.runAsync('NS DROP alice wrongpass')).toEqual([`${NS} bob :Wrong password for alice, or no such account.`]);
    expect(await bob.runAsync('NS DROP alice')).toEqual([`${NS} bob :To drop alice, log in to it first or give its password: DROP alice <password>`.replace('log in to it', 'log into it')]);
    expect(await alice.runAsync('NS DROP')).toEqual([':obrol.local 901 alice alice!alice@127.0.0.1 :You are now logged out', `${NS} alice :The account alice has been dropped.`]);
    expect(alice.user.account).toBeNull();
    expect(await world.store.accounts.getAccount('alice')).toBeNull();
  });

  it('CERT ADD (the connection certificate by default), LIST, DEL', async () => {
    const world = newWorld();
    const alice = world.connect('alice');
    await alice.runAsync('NS REGISTER hunter22');
    expect(await alice.runAsync('NS CERT ADD')).toEqual([`${NS} alice :You are not connected with a client certificate: give its SHA-256 fingerprint.`]);
    const fp = 'AB'.repeat(32);
    Object.assign(alice.session, { certfp: fp.toLowerCase() });
    expect(await alice.runAsync('NS CERT ADD')).toEqual([`${NS} alice :Added ${fp.toLowerCase()}: connecting with it logs you in with SASL EXTERNAL.`]);
    expect(await alice.runAsync('NS CERT ADD nothex')).toEqual([`${NS} alice :nothex is not a SHA-256 fingerprint (64 hexadecimal digits).`]);
    expect(await alice.runAsync('NS CERT LIST')).toEqual([`${NS} alice :${fp.toLowerCase()}`]);
    expect((await world.store.accounts.findByCertfp(fp.toLowerCase()))?.folded).toBe('alice');
    expect(await alice.runAsync(`NS CERT DEL ${fp}`)).toEqual([`${NS} alice :Removed ${fp.toLowerCase()}.`]);
    expect(await alice.runAsync('NS CERT LIST')).toEqual([`${NS} alice :No certificates are set for your account.`]);
  });

  it('HELP lists the commands', () => {
    const world = newWorld();
    const help = world.connect('alice').run('NS HELP');
    expect(help[0]).toBe(`${NS} alice :NickServ: registers and identifies accounts. Commands:`);
    expect(help.some((line) => line.includes('IDENTIFY [account] <password>'))).toBe(true);
  });
});
