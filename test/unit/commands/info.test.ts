import { beforeEach, describe, expect, it } from 'vitest';
import { HELP_INDEX, HELP_TOPICS } from '../../../src/commands/helptext.js';
import { COMMANDS } from '../../../src/commands/index.js';
import { World, type FakeClient } from '../../helpers/harness.js';

let world: World;
let alice: FakeClient;

beforeEach(() => {
  world = new World();
  alice = world.connect('alice');
});

describe('HELP', () => {
  it('without a subject shows the index: 704, 705s, 706', () => {
    const lines = alice.run('HELP');
    expect(lines).toHaveLength(HELP_INDEX.length + 1);
    expect(lines[0]).toBe(':obrol.local 704 alice * :Obrol speaks IRC: one command per line, parameters separated by spaces,');
    expect(lines[1]).toBe(':obrol.local 705 alice * :and a last parameter starting with ":" may contain spaces.');
    expect(lines.at(-1)).toBe(':obrol.local 706 alice * :End of /HELP');
    expect(lines.slice(1, -1).every((l) => l.startsWith(':obrol.local 705 alice * :'))).toBe(true);
  });

  it('on a command, in any case', () => {
    expect(alice.run('HELP privmsg')).toEqual([
      ':obrol.local 704 alice PRIVMSG :PRIVMSG <target>[,target...] :<text>',
      ':obrol.local 705 alice PRIVMSG :Sends a message to a nick or a channel; @#channel reaches only its operators.',
      ':obrol.local 706 alice PRIVMSG :End of /HELP',
    ]);
  });

  it('HELPOP is the same', () => {
    expect(alice.run('HELPOP join')).toEqual(alice.run('HELP JOIN'));
  });

  it('an unknown subject answers 524 as given', () => {
    expect(alice.run('HELP Frobnicate')).toEqual([':obrol.local 524 alice Frobnicate :No help available on this topic']);
  });

  it('works before registration, with * as the nick', () => {
    const early = world.connect(null);
    expect(early.run('HELP quit')[0]).toBe(':obrol.local 704 * QUIT :QUIT [:reason]');
  });
});

describe('the help text matches the command table', () => {
  const verbs = [...COMMANDS.keys()];
  const indexed = HELP_INDEX.slice(HELP_INDEX.findIndex((l) => l.startsWith('Commands')) + 1)
    .join(' ')
    .split(' ');

  it('every command has a topic, and every topic is a command', () => {
    expect(verbs.filter((v) => !HELP_TOPICS[v])).toEqual([]);
    expect(Object.keys(HELP_TOPICS).filter((t) => !COMMANDS.has(t))).toEqual([]);
  });

  it('the index lists every command (HELPOP is an alias of HELP) and nothing else', () => {
    expect(verbs.filter((v) => v !== 'HELPOP' && !indexed.includes(v)).sort()).toEqual([]);
    expect(indexed.filter((v) => !COMMANDS.has(v))).toEqual([]);
  });
});
