import { beforeEach, describe, expect, it } from 'vitest';
import { START_TIME, World, type FakeClient } from '../../helpers/harness.js';

const T = START_TIME;
let world: World;
let alice: FakeClient;
let bob: FakeClient;
let carol: FakeClient;
let dave: FakeClient;

beforeEach(() => {
  world = new World();
  alice = world.connect('alice', { realname: 'Alice Liddell' });
  bob = world.connect('bob', { realname: 'Bob Builder', host: 'bob.example', ip: '192.0.2.7' });
  carol = world.connect('carol');
  dave = world.connect('dave');
});

describe('NICK', () => {
  beforeEach(() => {
    // alice shares #a and #b with bob, #a with carol, nothing with dave.
    alice.run('JOIN #a,#b');
    bob.run('JOIN #a,#b');
    carol.run('JOIN #a');
    for (const c of [alice, bob, carol, dave]) c.take();
  });

  it('is seen once by the user and once by each peer, however many channels they share', () => {
    const line = ':alice!alice@127.0.0.1 NICK :Alicia';
    expect(alice.run('NICK Alicia')).toEqual([line]);
    expect(bob.take()).toEqual([line]);
    expect(carol.take()).toEqual([line]);
    expect(dave.take()).toEqual([]);
    expect(world.registry.findUser('alicia')).toBe(alice.user);
    expect(world.registry.findUser('alice')).toBeUndefined();
  });

  it('records the old nick for WHOWAS', () => {
    world.now = T + 3;
    alice.run('NICK Alicia');
    expect(world.whowas.lookup('alice', 0)).toEqual([
      { nick: 'alice', username: 'alice', host: '127.0.0.1', realname: 'Alice Liddell', server: 'obrol.local', at: T + 3 },
    ]);
    expect(dave.run('WHOWAS alice')).toEqual([
      ':obrol.local 314 dave alice alice 127.0.0.1 * :Alice Liddell',
      `:obrol.local 312 dave alice obrol.local :${new Date((T + 3) * 1000).toUTCString()}`,
      ':obrol.local 369 dave alice :End of WHOWAS',
    ]);
  });

  it('a change of case only is allowed', () => {
    expect(alice.run('NICK ALICE')).toEqual([':alice!alice@127.0.0.1 NICK :ALICE']);
  });

  it('the same nick again does nothing', () => {
    expect(alice.run('NICK alice')).toEqual([]);
  });

  it.each([
    ['taken, in any case', 'NICK BoB', ':obrol.local 433 alice BoB :Nickname is already in use'],
    ['taken under rfc1459 folding', 'NICK {x}', ':obrol.local 433 alice {x} :Nickname is already in use'],
    ['erroneous', 'NICK 1up', ':obrol.local 432 alice 1up :Erroneous nickname'],
    ['missing', 'NICK', ':obrol.local 431 alice :No nickname given'],
    ['empty', 'NICK :', ':obrol.local 431 alice :No nickname given'],
  ])('refuses a nick that is %s', (_what, line, reply) => {
    world.connect('[X]');
    expect(alice.run(line)).toEqual([reply]);
    expect(alice.nick).toBe('alice');
    expect(bob.take()).toEqual([]);
  });

  it('before registration only claims the nick, silently', () => {
    const early = world.connect(null);
    expect(early.run('NICK newbie')).toEqual([]);
    expect(early.nick).toBe('newbie');
    expect(world.registry.claimNick(dave.user, 'NEWBIE')).toBe(false);
    expect(world.whowas.size).toBe(0);
    expect(bob.take()).toEqual([]);
  });

  it('replies after a change use the new nick', () => {
    alice.run('NICK Alicia');
    expect(alice.run('AWAY')).toEqual([':obrol.local 305 Alicia :You are no longer marked as being away']);
  });
});

describe('AWAY', () => {
  it('sets and clears the away message', () => {
    expect(alice.run('AWAY :out for lunch')).toEqual([':obrol.local 306 alice :You have been marked as being away']);
    expect(alice.user.away).toBe('out for lunch');
    expect(alice.run('AWAY')).toEqual([':obrol.local 305 alice :You are no longer marked as being away']);
    expect(alice.user.away).toBeNull();
    alice.run('AWAY :again');
    expect(alice.run('AWAY :')).toEqual([':obrol.local 305 alice :You are no longer marked as being away']);
    expect(alice.user.away).toBeNull();
  });

  it('is cut to away_length', () => {
    const small = new World({ config: { limits: { away_length: 4 } } });
    const x = small.connect('x');
    x.run('AWAY :abcdefgh');
    expect(x.user.away).toBe('abcd');
  });

  it('is not told to anyone else', () => {
    alice.run('JOIN #a');
    bob.run('JOIN #a');
    alice.run('AWAY :brb');
    expect(bob.take().filter((l) => !l.includes(' JOIN ') && !l.includes(' 353 ') && !l.includes(' 366 '))).toEqual([]);
  });
});

describe('ISON', () => {
  it('lists the online nicks in their own spelling', () => {
    expect(alice.run('ISON BOB nobody Carol')).toEqual([':obrol.local 303 alice :bob carol']);
  });

  it('accepts nicks space-separated in one parameter', () => {
    expect(alice.run('ISON :bob  dave nobody')).toEqual([':obrol.local 303 alice :bob dave']);
  });

  it('nobody online gives an empty list', () => {
    expect(alice.run('ISON x y')).toEqual([':obrol.local 303 alice :']);
  });

  it('a user still registering is not online', () => {
    world.connect('eve', { register: false });
    expect(alice.run('ISON eve')).toEqual([':obrol.local 303 alice :']);
  });
});

describe('USERHOST', () => {
  it('shows user@host, - for away, * for opers', () => {
    carol.run('AWAY :gone');
    world.registry.setUserMode(dave.user, 'o', true);
    expect(alice.run('USERHOST bob carol dave nobody')).toEqual([':obrol.local 302 alice :bob=+bob@bob.example carol=-carol@127.0.0.1 dave*=+dave@127.0.0.1']);
  });

  it('shows the real address to the user themself', () => {
    expect(bob.run('USERHOST bob')).toEqual([':obrol.local 302 bob :bob=+bob@192.0.2.7']);
  });

  it('answers at most five nicks', () => {
    const line = alice.run('USERHOST alice alice alice alice alice alice')[0] as string;
    expect(line.split(':')[2]?.split(' ')).toHaveLength(5);
  });
});

describe('WHOIS', () => {
  beforeEach(() => {
    bob.run('JOIN #pub');
    bob.run('JOIN #secret');
    bob.run('MODE #secret +s');
    world.now = T + 42;
  });

  it('tells who someone is', () => {
    expect(alice.run('WHOIS bob')).toEqual([
      ':obrol.local 311 alice bob bob bob.example * :Bob Builder',
      ':obrol.local 319 alice bob :@#pub',
      ':obrol.local 312 alice bob obrol.local :Obrol IRC server',
      `:obrol.local 317 alice bob 42 ${T} :seconds idle, signon time`,
      ':obrol.local 318 alice bob :End of /WHOIS list',
    ]);
  });

  it('adds away, oper, and for themself the real host and modes', () => {
    bob.run('AWAY :busy');
    bob.run('MODE bob +i');
    world.registry.setUserMode(bob.user, 'o', true);
    expect(bob.run('WHOIS BOB')).toEqual([
      ':obrol.local 311 bob bob bob bob.example * :Bob Builder',
      ':obrol.local 319 bob bob :@#pub @#secret',
      ':obrol.local 312 bob bob obrol.local :Obrol IRC server',
      ':obrol.local 301 bob bob :busy',
      ':obrol.local 313 bob bob :is an IRC operator',
      ':obrol.local 378 bob bob :is connecting from bob@bob.example 192.0.2.7',
      ':obrol.local 379 bob bob :is using modes +io',
      `:obrol.local 317 bob bob 42 ${T} :seconds idle, signon time`,
      ':obrol.local 318 bob bob :End of /WHOIS list',
    ]);
  });

  it('+i does not hide public channels from WHOIS; secret ones show to members and opers only', () => {
    bob.run('MODE bob +i');
    expect(alice.run('WHOIS bob')).toContain(':obrol.local 319 alice bob :@#pub');
    world.registry.setUserMode(alice.user, 'o', true);
    expect(alice.run('WHOIS bob')).toContain(':obrol.local 319 alice bob :@#pub @#secret');
    expect(carol.run('WHOIS bob')).toContain(':obrol.local 319 carol bob :@#pub');
  });

  it('an unknown nick answers 401 then 318', () => {
    expect(alice.run('WHOIS nobody')).toEqual([':obrol.local 401 alice nobody :No such nick/channel', ':obrol.local 318 alice nobody :End of /WHOIS list']);
  });

  it('accepts this server as first parameter, and refuses another server', () => {
    expect(alice.run('WHOIS obrol.local carol')[0]).toBe(':obrol.local 311 alice carol carol 127.0.0.1 * :carol real');
    expect(alice.run('WHOIS other.server carol')).toEqual([':obrol.local 402 alice other.server :No such server']);
  });

  it('"WHOIS nick nick" asks the nick\'s server: the same answer', () => {
    expect(alice.run('WHOIS carol carol')[0]).toBe(':obrol.local 311 alice carol carol 127.0.0.1 * :carol real');
  });

  it('several nicks, at most `targets`', () => {
    const ends = alice.run('WHOIS a,b,c,d,e,f').filter((l) => l.includes(' 318 '));
    expect(ends).toHaveLength(4);
  });

  it('an empty nick answers 431', () => {
    expect(alice.run('WHOIS :')).toEqual([':obrol.local 431 alice :No nickname given']);
  });
});

describe('WHO', () => {
  beforeEach(() => {
    alice.run('JOIN #c');
    bob.run('JOIN #c');
    carol.run('JOIN #c');
    alice.run('MODE #c +v carol');
    carol.run('AWAY :gone');
  });

  it('lists a channel with H/G and prefixes', () => {
    expect(dave.run('WHO #c')).toEqual([
      ':obrol.local 352 dave #c alice 127.0.0.1 obrol.local alice H@ :0 Alice Liddell',
      ':obrol.local 352 dave #c bob bob.example obrol.local bob H :0 Bob Builder',
      ':obrol.local 352 dave #c carol 127.0.0.1 obrol.local carol G+ :0 carol real',
      ':obrol.local 315 dave #c :End of WHO list',
    ]);
  });

  it('marks opers with *', () => {
    world.registry.setUserMode(bob.user, 'o', true);
    expect(dave.run('WHO bob')[0]).toBe(':obrol.local 352 dave #c bob bob.example obrol.local bob H* :0 Bob Builder');
  });

  it('"o" lists operators only', () => {
    world.registry.setUserMode(bob.user, 'o', true);
    expect(dave.run('WHO #c o')).toEqual([':obrol.local 352 dave #c bob bob.example obrol.local bob H* :0 Bob Builder', ':obrol.local 315 dave #c :End of WHO list']);
  });

  it('hides invisible members from outsiders, not from members', () => {
    bob.run('MODE bob +i');
    const listed = (client: FakeClient) => client.run('WHO #c').map((l) => (l.includes(' 352 ') ? l.split(' ')[7] : l));
    expect(listed(dave)).toEqual(['alice', 'carol', ':obrol.local 315 dave #c :End of WHO list']);
    expect(listed(alice)).toEqual(['alice', 'bob', 'carol', ':obrol.local 315 alice #c :End of WHO list']);
  });

  it('matches a mask against nick, user, host, real name and server', () => {
    const nicks = (mask: string) =>
      dave
        .run(`WHO ${mask}`)
        .filter((l) => l.includes(' 352 '))
        .map((l) => l.split(' ')[7]);
    expect(nicks('b*')).toEqual(['bob']);
    expect(nicks('*.example')).toEqual(['bob']);
    expect(nicks('*Builder')).toEqual(['bob']);
    expect(nicks('*')).toEqual(['alice', 'bob', 'carol', 'dave']);
    expect(nicks('obrol.*')).toEqual(['alice', 'bob', 'carol', 'dave']);
    expect(nicks('nomatch*')).toEqual([]);
  });

  it('a user outside any channel shows * as channel', () => {
    expect(alice.run('WHO dave')).toEqual([':obrol.local 352 alice * dave 127.0.0.1 obrol.local dave H :0 dave real', ':obrol.local 315 alice dave :End of WHO list']);
  });

  it('an unknown channel gives just the end', () => {
    expect(alice.run('WHO #nope')).toEqual([':obrol.local 315 alice #nope :End of WHO list']);
  });
});
