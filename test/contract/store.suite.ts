/**
 * The contract every Store implementation must meet, as a suite function
 * that test/contract/store.test.ts runs for each implementation.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { AccountRecord, ChannelRegistration, HistoryEntry, HistoryRef, Store } from '../../src/store/types.js';

export const account = (name: string, extra: Partial<AccountRecord> = {}): AccountRecord => ({
  name,
  passwordHash: `scrypt$hash-of-${name}`,
  scram: { salt: 'c2FsdA==', iterations: 4096, storedKey: 'c3RvcmVk', serverKey: 'c2VydmVy' },
  email: `${name.toLowerCase()}@example.org`,
  verified: true,
  verifyCode: null,
  registeredAt: 1_700_000_000_000,
  certfps: [],
  alwaysOn: false,
  channels: [],
  ...extra,
});

export const registration = (name: string, founder: string, extra: Partial<ChannelRegistration> = {}): ChannelRegistration => ({
  name,
  founder,
  registeredAt: 1_700_000_000_000,
  topic: 'a topic',
  topicSetBy: 'Alice!a@host',
  topicSetAt: 1_700_000_000,
  modes: 'nt',
  key: null,
  limit: null,
  lists: { b: [{ mask: '*!*@bad', setBy: 'Alice', setAt: 1_700_000_001 }], e: [], I: [] },
  amodes: { bob: 'v', alice: 'o' },
  ...extra,
});

/** An entry of `target` named `msgid` at `time`. */
export const entry = (target: string, msgid: string, time: number, extra: Partial<HistoryEntry> = {}): HistoryEntry => ({
  msgid,
  time,
  target,
  command: 'PRIVMSG',
  source: 'alice!a@host',
  account: 'alice',
  params: [target, `text of ${msgid}`],
  tags: [['+draft/react', '👍']],
  lines: null,
  peers: null,
  ...extra,
});

const ids = (entries: HistoryEntry[]) => entries.map((e) => e.msgid);

export function storeContract(name: string, make: () => Promise<Store>): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store | null = null;
    const open = async (): Promise<Store> => (store = await make());
    afterEach(async () => {
      await store?.close();
      store = null;
    });

    describe('accounts', () => {
      it('creates, reads back, refuses a second create, updates and deletes', async () => {
        const s = await open();
        expect(await s.accounts.getAccount('alice')).toBeNull();
        expect(await s.accounts.countAccounts()).toBe(0);
        const alice = account('Alice', { certfps: ['aa11', 'bb22'], channels: ['#One', '#two'], verified: false, verifyCode: '1234', email: null, scram: null });
        expect(await s.accounts.createAccount('alice', alice)).toBe('ok');
        expect(await s.accounts.getAccount('alice')).toEqual(alice);
        expect(await s.accounts.createAccount('alice', account('ALICE'))).toBe('exists');
        expect((await s.accounts.getAccount('alice'))?.name).toBe('Alice');
        expect(await s.accounts.countAccounts()).toBe(1);

        const changed = { ...alice, passwordHash: 'scrypt$new', verified: true, verifyCode: null, certfps: ['cc33'], alwaysOn: true };
        expect(await s.accounts.updateAccount('alice', changed)).toBe(true);
        expect(await s.accounts.getAccount('alice')).toEqual(changed);
        expect(await s.accounts.updateAccount('nobody', changed)).toBe(false);
        expect(await s.accounts.getAccount('nobody')).toBeNull();

        expect(await s.accounts.deleteAccount('alice')).toBe(true);
        expect(await s.accounts.deleteAccount('alice')).toBe(false);
        expect(await s.accounts.getAccount('alice')).toBeNull();
        expect(await s.accounts.countAccounts()).toBe(0);
        // The name is free again.
        expect(await s.accounts.createAccount('alice', account('alice'))).toBe('ok');
      });

      it('copies records in and out', async () => {
        const s = await open();
        const alice = account('Alice', { certfps: ['aa11'], channels: ['#a'] });
        await s.accounts.createAccount('alice', alice);
        alice.certfps.push('bb22');
        alice.channels.push('#b');
        (alice.scram as { iterations: number }).iterations = 1;
        const got = (await s.accounts.getAccount('alice')) as AccountRecord;
        expect(got.certfps).toEqual(['aa11']);
        expect(got.channels).toEqual(['#a']);
        expect(got.scram?.iterations).toBe(4096);
        got.channels.push('#c');
        expect((await s.accounts.getAccount('alice'))?.channels).toEqual(['#a']);
      });

      it('finds an account by certfp, case-insensitively, and follows updates and deletes', async () => {
        const s = await open();
        await s.accounts.createAccount('alice', account('Alice', { certfps: ['aabbcc', 'ddeeff'] }));
        await s.accounts.createAccount('bob', account('Bob', { certfps: ['112233'] }));
        expect(await s.accounts.findByCertfp('ddeeff')).toEqual({ folded: 'alice', record: account('Alice', { certfps: ['aabbcc', 'ddeeff'] }) });
        expect((await s.accounts.findByCertfp('AABBCC'))?.folded).toBe('alice');
        expect((await s.accounts.findByCertfp('112233'))?.folded).toBe('bob');
        expect(await s.accounts.findByCertfp('ffffff')).toBeNull();
        await s.accounts.updateAccount('alice', account('Alice', { certfps: ['ffffff'] }));
        expect(await s.accounts.findByCertfp('aabbcc')).toBeNull();
        expect((await s.accounts.findByCertfp('FFFFFF'))?.folded).toBe('alice');
        await s.accounts.deleteAccount('alice');
        expect(await s.accounts.findByCertfp('ffffff')).toBeNull();
      });

      it('lists always-on accounts by folded name', async () => {
        const s = await open();
        await s.accounts.createAccount('zed', account('Zed', { alwaysOn: true, channels: ['#z'] }));
        await s.accounts.createAccount('bob', account('Bob'));
        await s.accounts.createAccount('amy', account('Amy', { alwaysOn: true }));
        expect((await s.accounts.alwaysOnAccounts()).map((a) => a.folded)).toEqual(['amy', 'zed']);
        expect((await s.accounts.alwaysOnAccounts())[1]?.record.channels).toEqual(['#z']);
        await s.accounts.updateAccount('zed', account('Zed'));
        expect((await s.accounts.alwaysOnAccounts()).map((a) => a.folded)).toEqual(['amy']);
      });

      it('drops read markers and metadata with the account, and a new account starts with none', async () => {
        const s = await open();
        await s.accounts.createAccount('alice', account('Alice'));
        await s.accounts.createAccount('bob', account('Bob'));
        await s.markers.setMarker('alice', '#c', 'timestamp=2024-01-01T00:00:00.000Z');
        await s.markers.setMarker('bob', '#c', 'timestamp=2024-01-02T00:00:00.000Z');
        await s.metadata.setAccountMetadata('alice', 'avatar', 'https://example.org/a.png');
        await s.metadata.setAccountMetadata('bob', 'avatar', 'https://example.org/b.png');
        expect(await s.accounts.deleteAccount('alice')).toBe(true);
        expect(await s.markers.markers('alice')).toEqual(new Map());
        expect(await s.metadata.accountMetadata('alice')).toEqual(new Map());
        expect(await s.markers.markers('bob')).toEqual(new Map([['#c', 'timestamp=2024-01-02T00:00:00.000Z']]));
        expect(await s.metadata.accountMetadata('bob')).toEqual(new Map([['avatar', 'https://example.org/b.png']]));
        // Whatever was set under a name before it was registered (or while it was deleted) does not come with it.
        await s.markers.setMarker('ghost', '#c', 'timestamp=2024-01-01T00:00:00.000Z');
        await s.metadata.setAccountMetadata('ghost', 'k', 'v');
        expect(await s.markers.markers('ghost')).toEqual(new Map([['#c', 'timestamp=2024-01-01T00:00:00.000Z']]));
        expect(await s.metadata.accountMetadata('ghost')).toEqual(new Map([['k', 'v']]));
        expect(await s.accounts.createAccount('ghost', account('Ghost'))).toBe('ok');
        expect(await s.markers.markers('ghost')).toEqual(new Map());
        expect(await s.metadata.accountMetadata('ghost')).toEqual(new Map());
        // A refused create (the name is taken) clears nothing.
        await s.markers.setMarker('bob', '#d', 'timestamp=2024-01-05T00:00:00.000Z');
        expect(await s.accounts.createAccount('bob', account('Bob'))).toBe('exists');
        expect((await s.markers.markers('bob')).get('#d')).toBe('timestamp=2024-01-05T00:00:00.000Z');
      });
    });

    describe('channels', () => {
      it('saves, replaces, lists by folded name, copies and deletes', async () => {
        const s = await open();
        expect(await s.channels.getChannel('#c')).toBeNull();
        expect(await s.channels.listChannels()).toEqual([]);
        const reg = registration('#C', 'alice', { key: 'sekrit', limit: 10, topic: null, topicSetBy: null, topicSetAt: 0 });
        await s.channels.saveChannel('#c', reg);
        await s.channels.saveChannel('#a', registration('#A', 'bob'));
        expect(await s.channels.getChannel('#c')).toEqual(reg);
        expect((await s.channels.listChannels()).map((c) => c.folded)).toEqual(['#a', '#c']);
        expect((await s.channels.listChannels())[1]).toEqual({ folded: '#c', registration: reg });

        reg.lists.b?.push({ mask: 'x!*@*', setBy: 'x', setAt: 1 });
        reg.amodes.carol = 'o';
        const got = (await s.channels.getChannel('#c')) as ChannelRegistration;
        expect(got.lists.b).toHaveLength(1);
        expect(got.amodes).toEqual({ bob: 'v', alice: 'o' });
        got.amodes.dave = 'v';
        expect((await s.channels.getChannel('#c'))?.amodes).toEqual({ bob: 'v', alice: 'o' });

        const replaced = registration('#C', 'bob', { modes: 'ntsi', topic: 'new', amodes: {} });
        await s.channels.saveChannel('#c', replaced);
        expect(await s.channels.getChannel('#c')).toEqual(replaced);
        expect(await s.channels.deleteChannel('#c')).toBe(true);
        expect(await s.channels.deleteChannel('#c')).toBe(false);
        expect(await s.channels.getChannel('#c')).toBeNull();
        expect((await s.channels.listChannels()).map((c) => c.folded)).toEqual(['#a']);
      });
    });

    describe('markers and metadata', () => {
      it('sets, replaces, lists per account and deletes metadata with null', async () => {
        const s = await open();
        await s.accounts.createAccount('alice', account('Alice'));
        expect(await s.markers.markers('alice')).toEqual(new Map());
        await s.markers.setMarker('alice', '#c', 'timestamp=2024-01-01T00:00:00.000Z');
        await s.markers.setMarker('alice', 'bob', 'timestamp=2024-01-01T00:00:01.000Z');
        await s.markers.setMarker('alice', '#c', 'timestamp=2024-01-03T00:00:00.000Z');
        expect(await s.markers.markers('alice')).toEqual(
          new Map([
            ['#c', 'timestamp=2024-01-03T00:00:00.000Z'],
            ['bob', 'timestamp=2024-01-01T00:00:01.000Z'],
          ]),
        );
        const copy = await s.markers.markers('alice');
        copy.set('#x', 'y');
        expect((await s.markers.markers('alice')).has('#x')).toBe(false);

        await s.metadata.setAccountMetadata('alice', 'avatar', 'a');
        await s.metadata.setAccountMetadata('alice', 'color', 'red');
        await s.metadata.setAccountMetadata('alice', 'avatar', 'b');
        await s.metadata.setAccountMetadata('alice', 'color', null);
        await s.metadata.setAccountMetadata('alice', 'never-set', null);
        expect(await s.metadata.accountMetadata('alice')).toEqual(new Map([['avatar', 'b']]));
      });
    });

    describe('history', () => {
      /** #c: c1..c6 at 100, 200, 200, 300, 400, 500 (c2 before c3: same millisecond, appended first). */
      const seed = async (s: Store) => {
        s.history.append([entry('#c', 'c1', 100), entry('#c', 'c2', 200), entry('#c', 'c3', 200)]);
        s.history.append([entry('#c', 'c4', 300), entry('#other', 'o1', 250), entry('#c', 'c5', 400), entry('#c', 'c6', 500)]);
      };
      const m = (msgid: string): HistoryRef => ({ msgid });
      const t = (time: number): HistoryRef => ({ time });

      it('reads its own writes without a flush, and a flush commits', async () => {
        const s = await open();
        s.history.append([entry('#c', 'a', 1)]);
        expect(ids(await s.history.latest('#c', 10))).toEqual(['a']);
        s.history.append([entry('#c', 'b', 2)]);
        await s.history.flush();
        expect(await s.history.find('b')).toEqual(entry('#c', 'b', 2));
        await s.history.flush();
      });

      it('keeps every field, and copies entries in and out', async () => {
        const s = await open();
        const dm = entry('alice\u0000bob', 'd1', 5, {
          command: 'NOTICE',
          account: null,
          tags: null,
          lines: [
            { text: 'first', concat: false },
            { text: 'more', concat: true },
          ],
          peers: ['alice', 'bob'],
        });
        const batch = [dm];
        s.history.append(batch);
        dm.params.push('changed');
        (dm.lines as Array<{ text: string }>)[0]!.text = 'changed';
        batch.push(entry('x', 'x', 1));
        const got = (await s.history.latest('alice\u0000bob', 5))[0] as HistoryEntry;
        expect(got).toEqual(
          entry('alice\u0000bob', 'd1', 5, {
            command: 'NOTICE',
            account: null,
            tags: null,
            lines: [
              { text: 'first', concat: false },
              { text: 'more', concat: true },
            ],
            peers: ['alice', 'bob'],
          }),
        );
        got.params.push('mine');
        expect((await s.history.find('d1'))?.params).toHaveLength(2);
        expect(await s.history.find('x')).toBeNull();
      });

      it('orders by time, then by arrival, whatever order the times came in', async () => {
        const s = await open();
        s.history.append([entry('#c', 'late', 300), entry('#c', 'early', 100), entry('#c', 'same1', 200)]);
        s.history.append([entry('#c', 'same2', 200)]);
        expect(ids(await s.history.latest('#c', 10))).toEqual(['early', 'same1', 'same2', 'late']);
      });

      it('ignores an entry whose msgid is already in the target, but records one event in several targets', async () => {
        const s = await open();
        s.history.append([entry('#a', 'q1', 1, { command: 'QUIT' }), entry('#b', 'q1', 1, { command: 'QUIT' })]);
        s.history.append([entry('#a', 'q1', 2, { command: 'PRIVMSG' })]);
        expect(await s.history.latest('#a', 10)).toEqual([entry('#a', 'q1', 1, { command: 'QUIT' })]);
        expect(ids(await s.history.latest('#b', 10))).toEqual(['q1']);
        expect((await s.history.find('q1'))?.command).toBe('QUIT');
      });

      it('latest: the newest, oldest first; after a msgid or an instant; limits', async () => {
        const s = await open();
        await seed(s);
        expect(ids(await s.history.latest('#c', 3))).toEqual(['c4', 'c5', 'c6']);
        expect(ids(await s.history.latest('#c', 100))).toEqual(['c1', 'c2', 'c3', 'c4', 'c5', 'c6']);
        expect(ids(await s.history.latest('#c', 0))).toEqual([]);
        expect(ids(await s.history.latest('#c', 10, m('c3')))).toEqual(['c4', 'c5', 'c6']);
        expect(ids(await s.history.latest('#c', 2, m('c1')))).toEqual(['c5', 'c6']);
        expect(ids(await s.history.latest('#c', 10, t(200)))).toEqual(['c4', 'c5', 'c6']);
        expect(ids(await s.history.latest('#c', 10, t(199)))).toEqual(['c2', 'c3', 'c4', 'c5', 'c6']);
        expect(ids(await s.history.latest('#c', 10, m('c6')))).toEqual([]);
        expect(ids(await s.history.latest('#c', 10, m('unknown')))).toEqual([]);
        expect(ids(await s.history.latest('#c', 10, m('o1')))).toEqual([]);
        expect(ids(await s.history.latest('#nothing', 10))).toEqual([]);
      });

      it('before: the closest older ones, oldest first; strict for msgids and instants', async () => {
        const s = await open();
        await seed(s);
        expect(ids(await s.history.before('#c', m('c5'), 2))).toEqual(['c3', 'c4']);
        expect(ids(await s.history.before('#c', m('c3'), 10))).toEqual(['c1', 'c2']);
        expect(ids(await s.history.before('#c', m('c1'), 10))).toEqual([]);
        expect(ids(await s.history.before('#c', t(200), 10))).toEqual(['c1']);
        expect(ids(await s.history.before('#c', t(201), 10))).toEqual(['c1', 'c2', 'c3']);
        expect(ids(await s.history.before('#c', t(10_000), 2))).toEqual(['c5', 'c6']);
        expect(ids(await s.history.before('#c', m('c5'), 0))).toEqual([]);
        expect(ids(await s.history.before('#c', m('unknown'), 10))).toEqual([]);
      });

      it('after: the closest newer ones, oldest first; strict for msgids and instants', async () => {
        const s = await open();
        await seed(s);
        expect(ids(await s.history.after('#c', m('c2'), 2))).toEqual(['c3', 'c4']);
        expect(ids(await s.history.after('#c', m('c5'), 10))).toEqual(['c6']);
        expect(ids(await s.history.after('#c', m('c6'), 10))).toEqual([]);
        expect(ids(await s.history.after('#c', t(200), 10))).toEqual(['c4', 'c5', 'c6']);
        expect(ids(await s.history.after('#c', t(0), 2))).toEqual(['c1', 'c2']);
        expect(ids(await s.history.after('#c', m('c1'), 0))).toEqual([]);
        expect(ids(await s.history.after('#c', m('unknown'), 10))).toEqual([]);
      });

      it('around: half older, the rest from the ref on; the other side fills in at the ends', async () => {
        const s = await open();
        await seed(s);
        expect(ids(await s.history.around('#c', m('c4'), 3))).toEqual(['c3', 'c4', 'c5']);
        expect(ids(await s.history.around('#c', m('c4'), 4))).toEqual(['c2', 'c3', 'c4', 'c5']);
        expect(ids(await s.history.around('#c', m('c4'), 1))).toEqual(['c4']);
        expect(ids(await s.history.around('#c', m('c1'), 3))).toEqual(['c1', 'c2', 'c3']);
        expect(ids(await s.history.around('#c', m('c6'), 4))).toEqual(['c3', 'c4', 'c5', 'c6']);
        expect(ids(await s.history.around('#c', m('c3'), 100))).toEqual(['c1', 'c2', 'c3', 'c4', 'c5', 'c6']);
        expect(ids(await s.history.around('#c', t(200), 2))).toEqual(['c1', 'c2']);
        expect(ids(await s.history.around('#c', t(250), 2))).toEqual(['c3', 'c4']);
        expect(ids(await s.history.around('#c', t(10_000), 2))).toEqual(['c5', 'c6']);
        expect(ids(await s.history.around('#c', m('c4'), 0))).toEqual([]);
        expect(ids(await s.history.around('#c', m('unknown'), 3))).toEqual([]);
      });

      it('between: strictly between, closest to `from`, forwards and backwards, by msgid and by instant', async () => {
        const s = await open();
        await seed(s);
        expect(ids(await s.history.between('#c', m('c1'), m('c6'), 10))).toEqual(['c2', 'c3', 'c4', 'c5']);
        expect(ids(await s.history.between('#c', m('c1'), m('c6'), 2))).toEqual(['c2', 'c3']);
        expect(ids(await s.history.between('#c', m('c6'), m('c1'), 10))).toEqual(['c2', 'c3', 'c4', 'c5']);
        expect(ids(await s.history.between('#c', m('c6'), m('c1'), 2))).toEqual(['c4', 'c5']);
        // Same millisecond: arrival order decides.
        expect(ids(await s.history.between('#c', m('c2'), m('c4'), 10))).toEqual(['c3']);
        expect(ids(await s.history.between('#c', m('c3'), m('c2'), 10))).toEqual([]);
        expect(ids(await s.history.between('#c', m('c2'), m('c3'), 10))).toEqual([]);
        expect(ids(await s.history.between('#c', m('c3'), m('c3'), 10))).toEqual([]);
        // Instants exclude their own millisecond.
        expect(ids(await s.history.between('#c', t(100), t(400), 10))).toEqual(['c2', 'c3', 'c4']);
        expect(ids(await s.history.between('#c', t(400), t(100), 2))).toEqual(['c3', 'c4']);
        expect(ids(await s.history.between('#c', t(0), t(10_000), 2))).toEqual(['c1', 'c2']);
        expect(ids(await s.history.between('#c', t(10_000), t(0), 2))).toEqual(['c5', 'c6']);
        expect(ids(await s.history.between('#c', t(200), t(200), 10))).toEqual([]);
        // Mixed refs.
        expect(ids(await s.history.between('#c', m('c1'), t(300), 10))).toEqual(['c2', 'c3']);
        expect(ids(await s.history.between('#c', t(500), m('c2'), 10))).toEqual(['c3', 'c4', 'c5']);
        expect(ids(await s.history.between('#c', m('c2'), t(200), 10))).toEqual([]);
        expect(ids(await s.history.between('#c', m('c1'), m('c6'), 0))).toEqual([]);
        expect(ids(await s.history.between('#c', m('c1'), m('unknown'), 10))).toEqual([]);
        expect(ids(await s.history.between('#c', m('unknown'), m('c6'), 10))).toEqual([]);
      });

      it('targets: latest time of channels and direct conversations within the window, oldest first', async () => {
        const s = await open();
        const dm = (target: string, msgid: string, time: number, peers: [string, string]) => entry(target, msgid, time, { peers });
        s.history.append([
          entry('#a', 'a1', 100),
          entry('#a', 'a2', 300),
          entry('#b', 'b1', 200),
          entry('#z', 'z1', 250),
          dm('alice|bob', 'd1', 150, ['alice', 'bob']),
          dm('alice|bob', 'd2', 260, ['alice', 'bob']),
          dm('carol|alice', 'd3', 400, ['carol', 'alice']),
          dm('bob|carol', 'd4', 210, ['bob', 'carol']),
          dm('alice|alice', 'd5', 220, ['alice', 'alice']),
        ]);
        expect(await s.history.targets(['#a', '#b', '#none'], 'alice', 0, 1000, 10)).toEqual([
          { target: '#b', peerName: null, time: 200 },
          { target: 'alice|alice', peerName: 'alice', time: 220 },
          { target: 'alice|bob', peerName: 'bob', time: 260 },
          { target: '#a', peerName: null, time: 300 },
          { target: 'carol|alice', peerName: 'carol', time: 400 },
        ]);
        // The window is exclusive and may be given backwards; the latest entry inside it counts.
        expect(await s.history.targets(['#a', '#b'], null, 250, 99, 10)).toEqual([
          { target: '#a', peerName: null, time: 100 },
          { target: '#b', peerName: null, time: 200 },
        ]);
        expect(await s.history.targets(['#a', '#b'], 'bob', 0, 1000, 2)).toEqual([
          { target: '#b', peerName: null, time: 200 },
          { target: 'bob|carol', peerName: 'carol', time: 210 },
        ]);
        expect(await s.history.targets([], 'nobody', 0, 1000, 10)).toEqual([]);
        expect(await s.history.targets(['#a'], null, 0, 1000, 0)).toEqual([]);
        // Equal times: by target.
        expect(await s.history.targets(['#z', '#a'], null, 240, 260, 10)).toEqual([{ target: '#z', peerName: null, time: 250 }]);
      });

      it('find and remove', async () => {
        const s = await open();
        await seed(s);
        expect(await s.history.find('c4')).toEqual(entry('#c', 'c4', 300));
        expect(await s.history.find('unknown')).toBeNull();
        expect(await s.history.remove('#other', 'c4')).toBe(false);
        expect(await s.history.remove('#c', 'c4')).toBe(true);
        expect(await s.history.remove('#c', 'c4')).toBe(false);
        expect(await s.history.find('c4')).toBeNull();
        expect(ids(await s.history.latest('#c', 10))).toEqual(['c1', 'c2', 'c3', 'c5', 'c6']);
        expect(ids(await s.history.before('#c', m('c4'), 10))).toEqual([]);
        // A removed msgid can be recorded again.
        s.history.append([entry('#c', 'c4', 300)]);
        expect(ids(await s.history.latest('#c', 10))).toEqual(['c1', 'c2', 'c3', 'c4', 'c5', 'c6']);
      });

      it('remove commits queued appends first', async () => {
        const s = await open();
        s.history.append([entry('#c', 'new', 1)]);
        expect(await s.history.remove('#c', 'new')).toBe(true);
        await s.history.flush();
        expect(await s.history.latest('#c', 10)).toEqual([]);
      });

      it('prune by age, by count per target, both, and neither', async () => {
        const s = await open();
        await seed(s);
        expect(await s.history.prune(0, 0)).toBe(0);
        expect(await s.history.prune(200, 0)).toBe(1);
        expect(ids(await s.history.latest('#c', 10))).toEqual(['c2', 'c3', 'c4', 'c5', 'c6']);
        expect(await s.history.prune(0, 3)).toBe(2);
        expect(ids(await s.history.latest('#c', 10))).toEqual(['c4', 'c5', 'c6']);
        expect(ids(await s.history.latest('#other', 10))).toEqual(['o1']);
        // Age and count together: each entry counted once.
        s.history.append([entry('#d', 'd1', 10), entry('#d', 'd2', 20), entry('#d', 'd3', 30)]);
        expect(await s.history.prune(300, 1)).toBe(3 + 1 + 2);
        expect(ids(await s.history.latest('#c', 10))).toEqual(['c6']);
        expect(ids(await s.history.latest('#d', 10))).toEqual([]);
        expect(ids(await s.history.latest('#other', 10))).toEqual([]);
        expect(await s.history.prune(1, 1)).toBe(0);
        // Pruned msgids are gone for find too.
        expect(await s.history.find('c1')).toBeNull();
      });

      it('prune by count keeps the newest by time then arrival', async () => {
        const s = await open();
        s.history.append([entry('#c', 'x', 300), entry('#c', 'y', 100), entry('#c', 'z', 100)]);
        expect(await s.history.prune(0, 2)).toBe(1);
        expect(ids(await s.history.latest('#c', 10))).toEqual(['z', 'x']);
      });
    });

    it('close commits what is queued, and a second close does no harm', async () => {
      const s = await open();
      s.history.append([entry('#c', 'a', 1)]);
      await s.close();
      await s.close();
      store = null;
    });
  });
}
