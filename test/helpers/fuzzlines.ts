/**
 * Hostile input, and a strict reader of what the server sends back: shared by
 * the property tests in test/hostile/ and the fuzzer in bench/fuzz.ts.
 *
 * Generators (fast-check arbitraries):
 * - `SEED_CORPUS` and `commandLineArb`: plausible lines for every command in
 *   src/commands/index.ts, aimed at a small pool of nicks and channels so
 *   that lines meet each other (collisions, kicks, modes on the same channel);
 * - `mutatedLineArb`: those lines with bytes flipped, cut, duplicated, spaces
 *   and colons inserted, 15-40 parameters, huge parameters (up to 20 KB),
 *   invalid UTF-8, NUL, lone CR, telnet IAC runs and odd tag sections;
 * - `rawBytesArb`: random bytes, biased towards the bytes the framer treats
 *   specially;
 * - `framedArb`: lines joined with CRLF, LF, CR or nothing, then split into
 *   random chunk sizes.
 *
 * Checks: `WireClient` reads raw bytes (no decoding in the socket) and checks
 * every line the server sends: CRLF-terminated, no NUL or bare CR/LF, valid
 * UTF-8, body at most 510 bytes (512 with CRLF), tag section at most 8191
 * bytes, parsable, no ERR_UNKNOWNERROR (a handler threw), nothing after ERROR.
 * `Fleet` keeps a set of such clients in given roles, re-connecting those the
 * server closed, and synchronises them with PING round trips.
 */
import { isUtf8 } from 'node:buffer';
import { connect, type Socket } from 'node:net';
import fc from 'fast-check';
import { CAPABILITIES } from '../../src/protocol/caps.js';
import { parseLine } from '../../src/protocol/parse.js';

// ---------------------------------------------------------------------------
// Pools and small pieces

/** Valid nicks, with rfc1459 case collisions ([x] = {x}, alice = ALICE). */
export const NICK_POOL = ['alice', 'bob', 'carol', 'dave', 'Eve', 'ALICE', '[x]', '{x}', 'a|b', 'a\\b', '^_^', '`q', 'Z-9', 'n'.repeat(32)];
const BAD_NICKS = ['1abc', '-x', 'a,b', 'a!b', 'a@b', '#chan', ':x', 'n'.repeat(33), 'ümlaut', '*', '$', 'a\x01b', '.'];
export const CHANNEL_POOL = ['#a', '#b', '#fuzz', '#A', '#[x]', '#{x}', '##', '#ü', '#😀'];
const BAD_CHANNELS = ['a', '#', '#a\x07b', '&loc', '+x', '!x', '#' + 'c'.repeat(63), '#' + 'c'.repeat(64), '#' + 'é'.repeat(63), '#' + '😀'.repeat(40), '#a:b', '#a*', '#?'];

const WORD_CHARS = [...'abcdefxyzABQZ0129-_[]{}\\|^`'];
/** 1-12 characters: never as long as the nicks the harness registers with. */
const wordArb = fc.string({ unit: fc.constantFrom(...WORD_CHARS), minLength: 1, maxLength: 12 });
const oddTokenArb = fc.constantFrom('*', '0', ':', '::', ',', ',,', '#', '&', '+', '@', '!', '$*', '*!*@*', '%', '\x01', '-', '=', '\\', '\x7f');

/** Text without line ends or NUL (a corpus line stays one line). */
const clean = (text: string) => text.replace(/[\r\n\0]/g, '');

const textArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('hi', 'hello there', '', ' ', ':', '::x', ' :leading space', '\x01ACTION waves\x01', '\x01VERSION\x01', '\x01', '\x01PING 123', '\x02bold\x0f \x0304,05colour\x03', 'a'.repeat(400), 'ü'.repeat(250), '😀'.repeat(130), 'x '.repeat(200), '\t\v\f') },
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme', maxLength: 80 }).map(clean) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 60 }).map(clean) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }).map(clean) },
);

export const nickArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...NICK_POOL) },
  { weight: 1, arbitrary: fc.constantFrom(...BAD_NICKS) },
  { weight: 2, arbitrary: wordArb },
);
export const channelArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...CHANNEL_POOL) },
  { weight: 1, arbitrary: fc.constantFrom(...BAD_CHANNELS) },
  { weight: 1, arbitrary: wordArb.map((w) => `#${w}`) },
);
const list = (arb: fc.Arbitrary<string>, max = 5) => fc.array(arb, { minLength: 1, maxLength: max }).map((xs) => xs.join(','));
const chanListArb = fc.oneof({ weight: 4, arbitrary: list(channelArb) }, { weight: 1, arbitrary: list(channelArb).map((l) => `${l},`) }, { weight: 1, arbitrary: fc.constantFrom(',', ',#a', '#a,,#b') });
const maskArb = fc.oneof(
  fc.constantFrom('*', '*!*@*', '*!*@127.0.0.1', 'alice!*@*', '*@*', '127.0.0.1', 'a*', '*a*', '?', '0', '$a:x', '!@', '!', '@'),
  fc.tuple(nickArb, wordArb).map(([n, u]) => `${n}!${u}@*`),
);
const targetArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: nickArb },
  { weight: 4, arbitrary: channelArb },
  { weight: 1, arbitrary: channelArb.map((c) => `@${c}`) },
  { weight: 1, arbitrary: channelArb.map((c) => `+${c}`) },
  { weight: 1, arbitrary: fc.constantFrom('@+#a', '+@#b', '$*', '$obrol.local', 'alice!alice@127.0.0.1', 'alice@obrol.local', 'obrol.local', '*', '#*') },
);
const targetListArb = list(targetArb, 6);
const keyArb = fc.oneof(fc.constantFrom('key', 'k'.repeat(23), 'k'.repeat(24), 'a,b', 'ü', ':colon', '*', 'x'), wordArb);
const numberArb = fc.oneof(fc.constantFrom('0', '-1', '1', '10', '99999999999999999999', '1e3', '0x10', 'NaN', '+5', ' '), fc.integer({ min: -5, max: 1000 }).map(String));

const CAP_NAMES = CAPABILITIES.map((cap) => cap.name);
const capTokenArb = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...CAP_NAMES) },
  { weight: 2, arbitrary: fc.constantFrom(...CAP_NAMES).map((n) => `-${n}`) },
  { weight: 1, arbitrary: fc.constantFrom('sasl', 'draft/chathistory', '-', '', 'foo=bar', 'sts', 'multi-prefix=1', '~', 'message-tags ') },
);
const capListArb = fc.array(capTokenArb, { minLength: 0, maxLength: 8 }).map((xs) => xs.join(' '));

const CHANNEL_MODE_LETTERS = [...'ovbeIklimnstCBiwaqhxyz'];
const modeStringArb = fc
  .array(fc.tuple(fc.constantFrom('+', '-', '', '++', '+-'), fc.string({ unit: fc.constantFrom(...CHANNEL_MODE_LETTERS), minLength: 0, maxLength: 6 })), { minLength: 1, maxLength: 4 })
  .map((parts) => parts.map(([sign, letters]) => sign + letters).join('') || '+');
const modeParamArb = fc.oneof(nickArb, maskArb, keyArb, numberArb, oddTokenArb);
const modeParamsArb = fc.array(modeParamArb, { minLength: 0, maxLength: 8 }).map((xs) => xs.filter((x) => x !== '' && !x.includes(' ')).join(' '));

const WHOX_FIELDS = [...'tcuihsnfdlaorx%,'];
const whoxArb = fc.tuple(fc.constantFrom('', 'o', 'x'), fc.string({ unit: fc.constantFrom(...WHOX_FIELDS), maxLength: 14 }), fc.option(fc.oneof(fc.constantFrom('123', '999', '1234', 'abc', ''), numberArb))).map(
  ([flags, fields, token]) => `${flags}%${fields}${token === null ? '' : `,${token}`}`,
);

const metadataKeyArb = fc.oneof(fc.constantFrom('avatar', 'display-name', 'homepage', 'a/b.c_d-e', 'Bad', 'a b', '*', 'k'.repeat(200), 'ü'), wordArb.map((w) => w.toLowerCase()));
const metadataTargetArb = fc.oneof(fc.constant('*'), nickArb, channelArb);
const timestampArb = fc.oneof(
  fc.constantFrom('timestamp=2024-01-01T00:00:00.000Z', 'timestamp=2019-02-30T00:00:00.000Z', 'timestamp=', 'timestamp=*', '*', 'timestamp=9999-12-31T23:59:59.999Z', 'timestamp=2024-01-01T00:00:00Z'),
  fc.date({ noInvalidDate: true, min: new Date(0), max: new Date(4e12) }).map((d) => `timestamp=${d.toISOString()}`),
);

const batchRefArb = fc.oneof(fc.constantFrom('a', 'b', '1', 'x-y', 'bad_ref', 'ü', 'r'.repeat(70)), wordArb);
const msgidArb = fc.oneof(fc.constantFrom('nonexistent123', '*', 'a b', ':x'), wordArb);

/** A tagged-template helper: `L\`JOIN ${chanListArb}\`` is an arbitrary of strings. */
function L(strings: TemplateStringsArray, ...parts: Array<fc.Arbitrary<string>>): fc.Arbitrary<string> {
  return fc.tuple(...parts).map((values: string[]) => strings.reduce((out, s, k) => out + s + (k < values.length ? values[k] : ''), ''));
}
const opt = (arb: fc.Arbitrary<string>) => fc.option(arb, { nil: '' });
const c = fc.constantFrom;

/**
 * Plausible lines per verb. Every verb of the command table has an entry
 * (a test checks this), so new commands are fuzzed once they are added here.
 */
export const COMMAND_LINES: Record<string, fc.Arbitrary<string>> = {
  PASS: L`PASS ${fc.oneof(wordArb, textArb.map((t) => `:${t}`))}`,
  NICK: fc.oneof(L`NICK ${nickArb}`, L`NICK :${nickArb}`, c('NICK', 'NICK :', 'NICK a b')),
  USER: fc.oneof(L`USER ${wordArb} ${c('0', '8', '4', '12', '*', 'x')} * :${textArb}`, L`USER ${fc.oneof(wordArb, oddTokenArb)} 0 *`, c('USER', 'USER a b c :', 'USER :  ')),
  QUIT: fc.oneof(L`QUIT :${textArb}`, c('QUIT')),
  PING: fc.oneof(L`PING ${wordArb}`, L`PING :${textArb}`, c('PING', 'PING :')),
  PONG: fc.oneof(L`PONG ${wordArb}`, L`PONG obrol.local :${wordArb}`, c('PONG')),
  CAP: fc.oneof(L`CAP REQ :${capListArb}`, L`CAP REQ ${capTokenArb}`, c('CAP LS 302', 'CAP LS', 'CAP LS 301', 'CAP LS 999999', 'CAP LIST', 'CAP END', 'CAP ACK :x', 'CAP NEW', 'CAP'), L`CAP ${wordArb}`),
  JOIN: fc.oneof({ weight: 4, arbitrary: L`JOIN ${chanListArb}` }, L`JOIN ${chanListArb} ${list(keyArb)}`, c('JOIN 0', 'JOIN', 'JOIN :#a', 'JOIN #a :key with spaces')),
  PART: fc.oneof(L`PART ${chanListArb}`, L`PART ${chanListArb} :${textArb}`, c('PART')),
  TOPIC: fc.oneof(L`TOPIC ${channelArb}`, L`TOPIC ${channelArb} :${textArb}`, L`TOPIC ${channelArb} :`),
  NAMES: fc.oneof(c('NAMES'), L`NAMES ${chanListArb}`, L`NAMES ${chanListArb} obrol.local`),
  LIST: fc.oneof(c('LIST', 'LIST >2', 'LIST <3', 'LIST C>1', 'LIST C<99999', 'LIST T<5', 'LIST T>x', 'LIST *a*', 'LIST !*b*', 'LIST >'), L`LIST ${chanListArb}`),
  KICK: fc.oneof(L`KICK ${channelArb} ${list(nickArb, 4)}`, L`KICK ${channelArb} ${list(nickArb, 4)} :${textArb}`, L`KICK ${chanListArb} ${nickArb}`),
  INVITE: fc.oneof(L`INVITE ${nickArb} ${channelArb}`, c('INVITE'), L`INVITE ${nickArb}`),
  PRIVMSG: fc.oneof({ weight: 4, arbitrary: L`PRIVMSG ${targetListArb} :${textArb}` }, L`PRIVMSG ${targetArb}`, L`PRIVMSG ${targetArb} ${wordArb}`, c('PRIVMSG', 'PRIVMSG :', 'PRIVMSG #a :')),
  NOTICE: fc.oneof({ weight: 3, arbitrary: L`NOTICE ${targetListArb} :${textArb}` }, c('NOTICE', 'NOTICE * :x')),
  TAGMSG: fc.oneof(L`@+typing=${c('active', 'paused', 'done', '')};+draft/reply=${wordArb} TAGMSG ${targetListArb}`, L`TAGMSG ${targetArb}`, c('TAGMSG')),
  MODE: fc.oneof(
    { weight: 4, arbitrary: L`MODE ${channelArb} ${modeStringArb} ${modeParamsArb}` },
    // Changes a channel operator can make, to reach bans, keys, limits, +i and +m.
    { weight: 4, arbitrary: L`MODE ${channelArb} ${c('+o', '-o', '+v', '-v', '+ov', '-o+v')} ${nickArb} ${nickArb}` },
    { weight: 2, arbitrary: L`MODE ${channelArb} ${c('+b', '-b', '+e', '-e', '+I', '-I')} ${maskArb}` },
    { weight: 2, arbitrary: L`MODE ${channelArb} ${c('+k', '-k', '+l', '-l', '+kl', '+lk')} ${fc.oneof(keyArb, numberArb)} ${numberArb}` },
    { weight: 2, arbitrary: L`MODE ${channelArb} ${c('+i', '-i', '+m', '-m', '+n', '-n', '+s', '-s', '+t', '-t', '+C', '-C', '+imnst', '-imnst', '+iI', '+imCnst')}` },
    L`MODE ${channelArb}`,
    L`MODE ${channelArb} ${c('b', 'e', 'I', '+b', '-b', 'beI', '+bbbbbbbb')}`,
    L`MODE ${nickArb} ${fc.string({ unit: c(...'+-iwoBrsZxO'), minLength: 1, maxLength: 8 })}`,
    L`MODE ${nickArb}`,
  ),
  MONITOR: fc.oneof(L`MONITOR + ${list(nickArb, 8)}`, L`MONITOR - ${list(nickArb, 8)}`, c('MONITOR C', 'MONITOR L', 'MONITOR S', 'MONITOR X', 'MONITOR +', 'MONITOR', 'MONITOR - :')),
  METADATA: fc.oneof(
    L`METADATA ${metadataTargetArb} ${c('SET', 'set')} ${metadataKeyArb} :${textArb}`,
    L`METADATA ${metadataTargetArb} SET ${metadataKeyArb}`,
    L`METADATA ${metadataTargetArb} SET ${metadataKeyArb} :${fc.integer({ min: 0, max: 1200 }).map((n) => 'v'.repeat(n))}`,
    L`METADATA ${metadataTargetArb} ${c('GET', 'LIST', 'CLEAR', 'SYNC', 'SUBS', 'BOGUS')} ${metadataKeyArb}`,
    L`METADATA * ${c('SUB', 'UNSUB')} ${fc.array(metadataKeyArb, { minLength: 1, maxLength: 12 }).map((keys) => keys.join(' '))}`,
    c('METADATA', 'METADATA *', 'METADATA * LIST', 'METADATA * SUBS'),
  ),
  // draft/multiline: the start and end of a client batch; its lines are PRIVMSGs with a batch tag.
  BATCH: fc.oneof(
    L`BATCH +${batchRefArb} ${c('draft/multiline', 'draft/multiline', 'other', '')} ${targetArb}`,
    L`BATCH -${batchRefArb}`,
    L`@batch=${batchRefArb}${c('', ';draft/multiline-concat')} PRIVMSG ${targetArb} :${fc.oneof(textArb, c(''))}`,
    c('BATCH', 'BATCH +', 'BATCH -', 'BATCH x', 'BATCH +a draft/multiline'),
  ),
  REDACT: fc.oneof(L`REDACT ${targetArb} ${msgidArb}`, L`REDACT ${targetArb} ${msgidArb} :${textArb}`, c('REDACT', 'REDACT #a', 'REDACT * *')),
  MARKREAD: fc.oneof(L`MARKREAD ${targetArb}`, L`MARKREAD ${targetArb} ${timestampArb}`, c('MARKREAD', 'MARKREAD :')),
  WHO: fc.oneof(L`WHO ${fc.oneof(maskArb, channelArb, nickArb)}`, L`WHO ${fc.oneof(maskArb, channelArb, nickArb)} ${whoxArb}`, c('WHO', 'WHO 0 o', 'WHO * %', 'WHO #a %tcuihsnfdlaor,999')),
  WHOIS: fc.oneof(L`WHOIS ${list(nickArb, 6)}`, L`WHOIS ${c('obrol.local', '*', 'x')} ${nickArb}`, c('WHOIS')),
  WHOWAS: fc.oneof(L`WHOWAS ${nickArb}`, L`WHOWAS ${nickArb} ${numberArb}`, L`WHOWAS ${list(nickArb)} ${numberArb} obrol.local`),
  AWAY: fc.oneof(L`AWAY :${textArb}`, c('AWAY', 'AWAY :')),
  SETNAME: fc.oneof(L`SETNAME :${textArb}`, c('SETNAME', 'SETNAME :')),
  ISON: fc.oneof(L`ISON ${fc.array(nickArb, { minLength: 1, maxLength: 20 }).map((xs) => xs.join(' '))}`, L`ISON :${fc.array(nickArb, { minLength: 1, maxLength: 20 }).map((xs) => xs.join(' '))}`),
  USERHOST: L`USERHOST ${fc.array(nickArb, { minLength: 1, maxLength: 8 }).map((xs) => xs.join(' '))}`,
  MOTD: fc.oneof(c('MOTD'), L`MOTD ${wordArb}`),
  LUSERS: fc.oneof(c('LUSERS'), L`LUSERS ${maskArb} ${wordArb}`),
  VERSION: fc.oneof(c('VERSION', 'VERSION obrol.local'), L`VERSION ${wordArb}`),
  TIME: fc.oneof(c('TIME'), L`TIME ${wordArb}`),
  ADMIN: fc.oneof(c('ADMIN', 'ADMIN obrol.local'), L`ADMIN ${nickArb}`),
  INFO: fc.oneof(c('INFO'), L`INFO ${wordArb}`),
  STATS: fc.oneof(c('STATS'), L`STATS ${fc.oneof(c(...'cilmopuyzCILMOPUYZ?*'), wordArb)}`, L`STATS ${c('u', 'm', 'l')} ${wordArb}`),
  LINKS: fc.oneof(c('LINKS', 'LINKS *', 'LINKS * *.local')),
  HELP: fc.oneof(c('HELP'), L`HELP ${fc.oneof(c(...['PRIVMSG', 'join', 'MODE', 'CAP', 'INDEX', 'UNKNOWN', '*', '']), wordArb)}`),
  HELPOP: fc.oneof(c('HELPOP'), L`HELPOP ${wordArb}`),
  OPER: fc.oneof(L`OPER ${wordArb} ${wordArb}`, L`OPER ${wordArb} :${textArb}`, c('OPER', 'OPER x')),
  KILL: fc.oneof(L`KILL ${nickArb} :${textArb}`, L`KILL ${nickArb}`),
  WALLOPS: L`WALLOPS :${textArb}`,
  CHGHOST: fc.oneof(L`CHGHOST ${nickArb} ${wordArb} ${c('new.host', 'bad host', '::1', ':x', 'h'.repeat(80), 'ü.example')}`, L`CHGHOST ${nickArb} ${wordArb}`),
  AUTHENTICATE: fc.oneof(
    c('AUTHENTICATE PLAIN', 'AUTHENTICATE EXTERNAL', 'AUTHENTICATE SCRAM-SHA-256', 'AUTHENTICATE FOO', 'AUTHENTICATE *', 'AUTHENTICATE +', 'AUTHENTICATE !!!'),
    L`AUTHENTICATE ${fc.string({ unit: c(...'AZaz09+/='), minLength: 1, maxLength: 401 })}`,
  ),
  REGISTER: fc.oneof(L`REGISTER ${fc.oneof(c('*'), nickArb)} ${c('*', 'a@example.org', 'bad', '')} ${wordArb}`, c('REGISTER * *', 'REGISTER')),
  VERIFY: fc.oneof(L`VERIFY ${nickArb} ${wordArb}`, c('VERIFY x', 'VERIFY')),
  NS: fc.oneof(
    L`NS ${c('REGISTER', 'IDENTIFY', 'GHOST', 'REGAIN', 'DROP', 'INFO', 'CERT ADD', 'CERT DEL', 'CERT LIST', 'SET PASSWORD', 'HELP', 'BOGUS')} ${nickArb} ${wordArb}`,
    c('NS', 'NS HELP', 'NS INFO', 'NS CERT', 'NS SET'),
  ),
  NICKSERV: fc.oneof(L`NICKSERV ${c('IDENTIFY', 'INFO', 'GHOST', 'HELP')} ${nickArb}`, c('NICKSERV')),
  REHASH: c('REHASH'),
  RESTART: c('RESTART'),
  DIE: c('DIE'),
  // Accounts, services, history, multiline and redaction.
  CHANSERV: fc.oneof(L`CHANSERV ${c('REGISTER', 'OP', 'DEOP', 'VOICE', 'DEVOICE', 'AMODE', 'DROP', 'INFO', 'HELP', 'BOGUS')} ${channelArb}`, c('CHANSERV', 'CHANSERV AMODE #a +o x')),
  CS: fc.oneof(L`CS ${c('INFO', 'OP', 'HELP')} ${channelArb}`, c('CS')),
  CHATHISTORY: fc.oneof(
    L`CHATHISTORY ${c('LATEST', 'BEFORE', 'AFTER', 'AROUND', 'BOGUS')} ${targetArb} ${fc.oneof(c('*', 'msgid=x', 'timestamp=2024-01-01T00:00:00.000Z', 'timestamp=bad'), wordArb)} ${numberArb}`,
    L`CHATHISTORY BETWEEN ${targetArb} ${timestampArb} ${timestampArb} ${numberArb}`,
    L`CHATHISTORY TARGETS ${timestampArb} ${timestampArb} ${numberArb}`,
    c('CHATHISTORY', 'CHATHISTORY LATEST'),
  ),
};

/** Verbs never fed to an operator's connection: they stop or restart the server, or end the connection (re-opering costs a password hash). */
const NOT_FOR_OPERS = new Set(['DIE', 'RESTART', 'QUIT']);

/** Well-formed commands for an operator's connection (KILL, WALLOPS, CHGHOST, REHASH, overrides). */
export const operLineArb: fc.Arbitrary<string> = fc.oneof(
  ...Object.entries(COMMAND_LINES)
    .filter(([verb]) => !NOT_FOR_OPERS.has(verb))
    .map(([, arb]) => arb),
);

/** Lines that are not commands: unknown verbs, numerics, sources, bare tags. */
const nonCommandArb = fc.oneof(
  c('FOO', 'FOO bar :baz', '001 x :welcome', '999', '12', '1234', 'PRIVMSG2 x', 'ÜBER x', '@', '@ ', ':', ': ', ':src', ':src ', ':alice!a@b PRIVMSG #a :spoofed source', ' ', '   PING x', ':obrol.local 001 x :hi', 'ENCAP * x', 'SERVER x 1 :y', 'BATCH +x', 'CHATHISTORY LATEST #a * 10', 'SQUIT x'),
  wordArb.map((w) => w.toUpperCase()),
  L`${wordArb} ${textArb}`,
);

/** One example of every command, plus the edge cases that most often break parsers. */
export const SEED_CORPUS: readonly string[] = [
  'CAP LS 302',
  'CAP REQ :message-tags batch labeled-response echo-message server-time',
  'CAP REQ :-echo-message',
  'CAP LIST',
  'CAP END',
  'PASS secret',
  'NICK alice',
  'NICK {x}',
  'USER alice 0 * :Alice Liddell',
  'USER bob 8 * :',
  'PING token',
  'PONG :obrol.local',
  'JOIN #a,#b',
  'JOIN #fuzz key',
  'JOIN 0',
  'PART #a :bye',
  'TOPIC #a :a topic',
  'TOPIC #a',
  'NAMES #a,#b',
  'LIST >0',
  'KICK #a bob :out',
  'INVITE bob #a',
  'PRIVMSG #a :hello',
  'PRIVMSG @#a :ops only',
  'PRIVMSG alice,bob,#a,#b,#fuzz :many targets',
  'PRIVMSG #a :\x01ACTION waves\x01',
  'NOTICE #a :notice',
  '@+typing=active TAGMSG #a',
  '@label=abc;+draft/reply=xyz PRIVMSG #a :labelled',
  'MODE #a +ntk-s key',
  'MODE #a +o bob',
  'MODE #a +bbb a!*@* b!*@* c!*@*',
  'MODE #a +l 10',
  'MODE #a b',
  'MODE alice +iw',
  'MONITOR + alice,bob',
  'MONITOR - bob',
  'MONITOR L',
  'MONITOR S',
  'MONITOR C',
  'METADATA * SET avatar :https://example.com/a.png',
  'METADATA * GET avatar',
  'METADATA #a SET topic-url :x',
  'METADATA * SUB avatar display-name',
  'METADATA * LIST',
  'BATCH +m draft/multiline #a',
  '@batch=m PRIVMSG #a :line one',
  '@batch=m;draft/multiline-concat PRIVMSG #a :joined to it',
  'BATCH -m',
  'REDACT #a nonexistent123 :why',
  'MARKREAD #a timestamp=2024-01-01T00:00:00.000Z',
  'MARKREAD #a',
  'WHO #a',
  'WHO * %tcuihsnfdlaor,123',
  'WHOIS alice',
  'WHOWAS alice 1',
  'AWAY :gone',
  'AWAY',
  'SETNAME :New Name',
  'ISON alice bob',
  'USERHOST alice bob',
  'MOTD',
  'LUSERS',
  'VERSION',
  'TIME',
  'ADMIN',
  'INFO',
  'STATS u',
  'LINKS',
  'HELP PRIVMSG',
  'HELPOP JOIN',
  'OPER nobody wrong',
  'KILL bob :reason',
  'WALLOPS :hello opers',
  'CHGHOST bob user new.host',
  'AUTHENTICATE PLAIN',
  'AUTHENTICATE AGFsaWNlAHNlY3JldA==',
  'REGISTER * * longpassword',
  'VERIFY alice code',
  'NS IDENTIFY alice secret',
  'NICKSERV INFO alice',
  'REHASH',
  'RESTART',
  'DIE',
  'AUTHENTICATE PLAIN',
  'AUTHENTICATE *',
  'REGISTER alice * hunter22',
  'VERIFY alice 123456',
  'NICKSERV INFO',
  'NS IDENTIFY alice hunter22',
  'CHANSERV INFO #a',
  'CS REGISTER #a',
  'CHATHISTORY LATEST #a * 10',
  'CHATHISTORY TARGETS timestamp=2024-01-01T00:00:00.000Z timestamp=2030-01-01T00:00:00.000Z 10',
  'QUIT :bye',
  // Edge cases.
  'privmsg #a :lower-case verb',
  ':alice!alice@127.0.0.1 PRIVMSG #a :with a source',
  'PRIVMSG #a ::starts with a colon',
  'PRIVMSG #a :',
  'PRIVMSG    #a    :many spaces',
  'NICK :',
  '@ PING x',
  '@;;; PING x',
  '@=;=x;a==b PING x',
  '@label PING x',
  '@label=a;label=b PING x',
  '@+x=\\:\\s\\\\\\r\\n\\ PING x',
  'FOO bar',
  '001 x',
  'PING ' + 'p '.repeat(40),
];

export const commandLineArb: fc.Arbitrary<string> = fc.oneof(...Object.values(COMMAND_LINES));

/** A command line built from the corpus: a seed line, a generated one, or a non-command. */
export const corpusLineArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(...SEED_CORPUS) },
  { weight: 8, arbitrary: commandLineArb },
  { weight: 1, arbitrary: nonCommandArb },
);

// ---------------------------------------------------------------------------
// Tags

const tagKeyArb = fc.oneof(
  { weight: 4, arbitrary: c('label', '+typing', '+draft/reply', '+draft/react', 'msgid', 'time', 'batch', 'account', 'bot', '+a', '+', '', '=', '\\', 'x/y', '+example.com/key', 'ü', '+ü') },
  { weight: 2, arbitrary: wordArb },
  { weight: 1, arbitrary: wordArb.map((w) => `+${w}`) },
);
const tagValueArb: fc.Arbitrary<string | null> = fc.oneof(
  { weight: 2, arbitrary: fc.constant(null) },
  { weight: 3, arbitrary: c('', 'x', 'a\\sb', '\\:', '\\', '\\\\', '\\r\\n', '\\q', '==', '=', 'ü', '😀', 'a;b', ';', 'x'.repeat(64), 'x'.repeat(65)) },
  { weight: 2, arbitrary: textArb.map((t) => t.replace(/[ ;]/g, '')) },
  { weight: 1, arbitrary: fc.integer({ min: 100, max: 5000 }).map((n) => 'v'.repeat(n)) },
);
const tagArb = fc.tuple(tagKeyArb, tagValueArb).map(([key, value]) => (value === null ? key : `${key}=${value}`));

/** A tag section ('@', the tags, and a space). Empty keys, '=' runs, escapes, huge values, duplicates. */
export const tagSectionArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.array(tagArb, { minLength: 1, maxLength: 6 }).map((tags) => `@${tags.join(';')} `) },
  { weight: 1, arbitrary: fc.tuple(tagArb, fc.integer({ min: 2, max: 30 })).map(([tag, n]) => `@${Array(n).fill(tag).join(';')} `) },
  { weight: 1, arbitrary: fc.array(tagArb, { minLength: 1, maxLength: 6 }).map((tags) => `@${tags.join(';;')};;   `) },
  { weight: 1, arbitrary: c('@ ', '@;', '@=', '@==== ', '@; ', '@label= ', '@label=\\ ', '@+=x ', '@a=b=c=d ', '@' + 'k'.repeat(4100) + ' ', '@' + 'k'.repeat(4093) + ' ', '@' + 'k'.repeat(4094) + ' ', '@' + 'k'.repeat(4095) + ' ') },
);

export const taggedLineArb: fc.Arbitrary<string> = fc.tuple(tagSectionArb, corpusLineArb).map(([tags, line]) => tags + line);

// ---------------------------------------------------------------------------
// Mutations (on bytes)

const TELNET_RUNS = [
  [0xff, 0xff, 0xff, 0xff],
  [0xff, 0xfb, 0x01], // IAC WILL ECHO
  [0xff, 0xfd, 0x03], // IAC DO SGA
  [0xff, 0xfa, 0x18, 0x00, 0x41, 0xff, 0xf0], // IAC SB TTYPE ... IAC SE
  [0xff, 0xf4], // IAC IP
  [0xff],
];
const BAD_UTF8 = [
  [0xc3], // truncated 2-byte sequence
  [0xc0, 0x80], // overlong NUL
  [0xed, 0xa0, 0x80], // UTF-16 surrogate
  [0xf8, 0x88, 0x80, 0x80, 0x80], // 5-byte form
  [0xfe],
  [0xe2, 0x82],
  [0x80, 0x80],
  [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
];
const insertBytesArb: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 3, arbitrary: c(' ', ':', '  ', ' :', ',', ';', '=', '@', '\\', '\0', '\r', '\n', '\r\n', '\n\r', '\x07', '\x01', '\x1b[31m').map((s) => Buffer.from(s, 'latin1')) },
  { weight: 2, arbitrary: c(...TELNET_RUNS).map((bytes) => Buffer.from(bytes)) },
  // IAC SB left open swallows everything up to the next IAC SE (the next sync): rare.
  { weight: 1, arbitrary: fc.constantFrom(0, 1, 2, 3, 4, 5, 6, 7).map((n) => (n === 0 ? Buffer.from([0xff, 0xfa, 0x18]) : Buffer.from([0xff, 0xfa, 0x18, 0xff, 0xf0]))) },
  { weight: 2, arbitrary: c(...BAD_UTF8).map((bytes) => Buffer.from(bytes)) },
  { weight: 1, arbitrary: fc.integer({ min: 2, max: 300 }).map((n) => Buffer.alloc(n, 0xff)) },
  { weight: 1, arbitrary: fc.integer({ min: 2, max: 300 }).map((n) => Buffer.alloc(n, 0)) },
  { weight: 2, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 8 }).map((b) => Buffer.from(b)) },
);

type Mutation = (line: Buffer) => Buffer;
const at = (pos: number, line: Buffer) => pos % (line.length + 1);

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  // Flip bytes.
  fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }).map((flips) => (line: Buffer) => {
    if (line.length === 0) return line;
    const out = Buffer.from(line);
    for (const [pos, value] of flips) out[pos % out.length] = value;
    return out;
  }),
  // Truncate.
  fc.nat().map((pos) => (line: Buffer) => line.subarray(0, at(pos, line))),
  // Duplicate a slice, or the whole line.
  fc.tuple(fc.nat(), fc.nat(), fc.integer({ min: 1, max: 5 })).map(([a, b, times]) => (line: Buffer) => {
    const from = Math.min(at(a, line), at(b, line));
    const to = Math.max(at(a, line), at(b, line)) || line.length;
    const slice = line.subarray(from, to);
    return Buffer.concat([line.subarray(0, to), ...Array<Buffer>(times).fill(slice), line.subarray(to)]);
  }),
  // Insert special bytes (spaces, colons, NUL, CR, IAC, bad UTF-8).
  fc.tuple(fc.nat(), insertBytesArb).map(([pos, bytes]) => (line: Buffer) => Buffer.concat([line.subarray(0, at(pos, line)), bytes, line.subarray(at(pos, line))])),
  // 15-40 parameters.
  fc.tuple(fc.integer({ min: 15, max: 40 }), fc.oneof(wordArb, nickArb, channelArb), fc.boolean()).map(([n, param, trailing]) => (line: Buffer) =>
    Buffer.concat([line, Buffer.from(` ${Array(n).fill(param).join(' ')}${trailing ? ' :trailing text' : ''}`)]),
  ),
  // A huge parameter (middle or trailing), up to 20 KB.
  fc.tuple(fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 100, max: 1200 }) }, { weight: 1, arbitrary: fc.integer({ min: 1200, max: 20_000 }) }), fc.constantFrom('x', 'ü', '😀', '#', ',', ' '), fc.boolean()).map(([bytes, ch, trailing]) => (line: Buffer) => {
    const unit = Buffer.from(ch);
    const param = Buffer.alloc(Math.max(unit.length, bytes - (bytes % unit.length)), unit);
    return Buffer.concat([line, Buffer.from(trailing ? ' :' : ' '), param]);
  }),
  // Prepend (or replace) a tag section.
  tagSectionArb.map((tags) => (line: Buffer) => Buffer.concat([Buffer.from(tags), line[0] === 0x40 ? line.subarray(Math.max(0, line.indexOf(0x20)) + 1) : line])),
  // Prepend a source.
  c(':alice!alice@127.0.0.1 ', ':', ': ', ':obrol.local ', ':x', '::: ').map((source) => (line: Buffer) => Buffer.concat([Buffer.from(source), line])),
  // Lower-case everything.
  fc.constant((line: Buffer) => Buffer.from(line.toString('latin1').toLowerCase(), 'latin1')),
);

export const mutatedLineArb: fc.Arbitrary<Buffer> = fc
  .tuple(fc.oneof({ weight: 3, arbitrary: corpusLineArb }, { weight: 1, arbitrary: taggedLineArb }), fc.array(mutationArb, { minLength: 1, maxLength: 3 }))
  .map(([line, mutations]) => mutations.reduce<Buffer>((bytes, mutate) => mutate(bytes), Buffer.from(line)));

/** Random bytes, biased towards NUL, CR, LF, space, ':', '@', IAC and telnet commands. */
export const rawBytesArb: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 3, arbitrary: fc.uint8Array({ maxLength: 600 }).map((b) => Buffer.from(b)) },
  // (0xFA is left out: IAC SB would swallow everything up to the next sync.)
  { weight: 3, arbitrary: fc.array(fc.oneof(fc.integer({ min: 0, max: 255 }), c(0x00, 0xff, 0x0d, 0x0a, 0x20, 0x3a, 0x40, 0xf0, 0xfb, 0x3b, 0x3d, 0x5c)), { maxLength: 300 }).map((b) => Buffer.from(b)) },
  { weight: 1, arbitrary: fc.array(insertBytesArb, { minLength: 1, maxLength: 20 }).map((parts) => Buffer.concat(parts)) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 9000 }).map((n) => Buffer.alloc(n, 0xff)) },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 500, max: 20_000 }), fc.integer({ min: 0x20, max: 0x7e })).map(([n, byte]) => Buffer.alloc(n, byte)) },
);

/** A command with a label (labeled-response), as clients send them. */
export const labeledLineArb: fc.Arbitrary<string> = fc.tuple(wordArb, corpusLineArb).map(([label, line]) => `@label=${label} ${line}`);

/** One fuzz line (without its line end): valid, tagged, labelled, mutated or raw. */
export const fuzzLineArb: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 4, arbitrary: corpusLineArb.map((line) => Buffer.from(line)) },
  { weight: 2, arbitrary: taggedLineArb.map((line) => Buffer.from(line)) },
  { weight: 1, arbitrary: labeledLineArb.map((line) => Buffer.from(line)) },
  { weight: 5, arbitrary: mutatedLineArb },
  { weight: 1, arbitrary: rawBytesArb },
);

// ---------------------------------------------------------------------------
// Framing

export const terminatorArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 8, arbitrary: fc.constant('\r\n') },
  { weight: 3, arbitrary: fc.constant('\n') },
  { weight: 1, arbitrary: fc.constant('\r') },
  { weight: 1, arbitrary: c('\n\r', '\r\r\n', '\r\n\r\n', '') },
);

/** Split `data` into chunks of the given sizes (cycled); no sizes: one chunk. */
export function splitChunks(data: Buffer, sizes: readonly number[]): Buffer[] {
  if (sizes.length === 0 || data.length === 0) return [data];
  const chunks: Buffer[] = [];
  let pos = 0;
  for (let k = 0; pos < data.length; k++) {
    const size = Math.max(1, sizes[k % sizes.length] as number);
    chunks.push(data.subarray(pos, pos + size));
    pos += size;
  }
  return chunks;
}

const chunkSizesArb = fc.oneof(
  { weight: 2, arbitrary: fc.constant<number[]>([]) },
  { weight: 1, arbitrary: fc.array(fc.integer({ min: 1, max: 16 }), { minLength: 1, maxLength: 8 }) },
  { weight: 1, arbitrary: fc.array(fc.integer({ min: 1, max: 4096 }), { minLength: 1, maxLength: 8 }) },
);

/** Lines from `lineArb`, each with a random line end, as the chunks to write. */
export function framedArb(lineArb: fc.Arbitrary<Buffer>, maxLines = 12): fc.Arbitrary<Buffer[]> {
  return fc
    .tuple(fc.array(fc.tuple(lineArb, terminatorArb), { minLength: 1, maxLength: maxLines }), chunkSizesArb)
    .map(([lines, sizes]) => splitChunks(Buffer.concat(lines.flatMap(([line, end]) => [line, Buffer.from(end)])), sizes));
}

// ---------------------------------------------------------------------------
// Reading and checking what the server sends

const MAX_BODY = 510;
const MAX_TAG_SECTION = 8191;
const CRLF = Buffer.from('\r\n');
/** Bytes that bring the framer back to plain data from any telnet state, then end any partial line. */
export const RESET_BYTES = Buffer.from([0xff, 0xf0, 0xff, 0xf0, 0x0d, 0x0a]);

/** `[+][vendor/]name` (https://ircv3.net/specs/extensions/message-tags#format); values are checked by the framing rules. */
const TAG_KEY = /^\+?([A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\/)?[A-Za-z0-9-]+$/;

/** What is wrong with one line the server sent (without its CRLF), or null. */
export function checkServerLine(line: Buffer): string | null {
  if (line.length === 0) return 'empty line';
  if (line.includes(0x0a) || line.includes(0x0d)) return 'bare CR or LF inside a line';
  if (line.includes(0)) return 'NUL byte';
  if (!isUtf8(line)) return 'invalid UTF-8';
  let body = line;
  if (line[0] === 0x40) {
    const space = line.indexOf(0x20);
    if (space < 0) return 'tag section without a message';
    if (space + 1 > MAX_TAG_SECTION) return `tag section of ${space + 1} bytes`;
    for (const tag of line.subarray(1, space).toString('utf8').split(';')) {
      const eq = tag.indexOf('=');
      const key = eq < 0 ? tag : tag.slice(0, eq);
      if (!TAG_KEY.test(key)) return `invalid tag key ${JSON.stringify(key)}`;
    }
    body = line.subarray(space + 1);
  }
  if (body.length > MAX_BODY) return `message body of ${body.length} bytes (+CRLF > 512)`;
  const parsed = parseLine(line.toString('utf8'));
  if (!parsed.ok) return `unparsable (${parsed.code})`;
  if (parsed.message.command === '400') return 'ERR_UNKNOWNERROR: a handler threw';
  return null;
}

type Waiter = { match: (command: string, params: string[], source: string | null) => boolean; resolve: (line: string) => void };

let clientCounter = 0;

/** A client that keeps raw bytes, checks every line the server sends, and records problems instead of throwing. */
export class WireClient {
  readonly label: string;
  readonly problems: string[] = [];
  linesReceived = 0;
  bytesSent = 0;
  /** Lines received per command (or numeric). */
  readonly commands = new Map<string, number>();
  closed = false;
  /** The reason in the server's `ERROR :Closing link: (...) [reason]`, once received. */
  errorReason: string | null = null;
  private partial: Buffer = Buffer.alloc(0);
  private readonly recent: string[] = [];
  private waiters: Waiter[] = [];
  private closeWaiters: Array<() => void> = [];
  private tokenCounter = 0;
  private readonly openBatches = new Set<string>();
  /** Called with every parsable line received. */
  onMessage: ((command: string, params: string[], source: string | null) => void) | null = null;

  private constructor(readonly socket: Socket, label: string) {
    this.label = label;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
      if (this.partial.length > 0) this.problem(`connection closed after ${this.partial.length} bytes without CRLF`, this.partial);
      for (const w of this.closeWaiters) w();
      this.closeWaiters = [];
    });
  }

  static connect(port: number, label = `c${++clientCounter}`): Promise<WireClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host: '127.0.0.1' }, () => resolve(new WireClient(socket, label)));
      socket.once('error', reject);
    });
  }

  /** The last lines received, for failure messages. */
  get lastLines(): readonly string[] {
    return this.recent;
  }

  private problem(what: string, bytes: Buffer): void {
    if (this.problems.length < 50) this.problems.push(`${this.label}: ${what}: ${JSON.stringify(bytes.subarray(0, 300).toString('latin1'))}`);
  }

  private onData(chunk: Buffer): void {
    let data = this.partial.length > 0 ? Buffer.concat([this.partial, chunk]) : chunk;
    let pos = 0;
    for (;;) {
      const end = data.indexOf(CRLF, pos);
      if (end < 0) break;
      this.onLine(data.subarray(pos, end));
      pos = end + 2;
    }
    data = data.subarray(pos);
    if (data.length > 20_000) {
      this.problem('more than 20000 bytes without CRLF', data);
      data = Buffer.alloc(0);
    }
    this.partial = Buffer.from(data);
  }

  private onLine(line: Buffer): void {
    this.linesReceived++;
    const text = line.toString('utf8');
    if (this.recent.length >= 12) this.recent.shift();
    this.recent.push(text.length > 300 ? `${text.slice(0, 300)}...` : text);
    if (this.errorReason !== null) this.problem('line after ERROR', line);
    const problem = checkServerLine(line);
    if (problem !== null) this.problem(problem, line);
    const parsed = parseLine(text);
    if (!parsed.ok) return;
    const { command, params, source, tags } = parsed.message;
    this.commands.set(command, (this.commands.get(command) ?? 0) + 1);
    // Batches: opened once, closed once, lines only inside open ones.
    const inBatch = tags?.get('batch');
    if (inBatch !== undefined && !this.openBatches.has(inBatch)) this.problem(`line in batch ${inBatch}, which is not open`, line);
    if (command === 'BATCH') {
      const ref = params[0] ?? '';
      const id = ref.slice(1);
      if (ref.startsWith('+')) {
        if (this.openBatches.has(id)) this.problem(`batch ${id} opened twice`, line);
        this.openBatches.add(id);
      } else if (ref.startsWith('-')) {
        if (!this.openBatches.delete(id)) this.problem(`batch ${id} closed but not open`, line);
      } else {
        this.problem('BATCH without + or -', line);
      }
    }
    if (command === 'PONG' && this.openBatches.size > 0) this.problem(`PONG while batches ${[...this.openBatches].join(',')} are open`, line);
    this.onMessage?.(command, params, source);
    if (command === 'ERROR') {
      const m = /^Closing link: \([^)]*\) \[(.*)\]$/s.exec(params[0] ?? '');
      this.errorReason = m ? (m[1] as string) : (params[0] ?? '');
    }
    if (this.waiters.length === 0) return;
    const still: Waiter[] = [];
    for (const w of this.waiters) {
      if (w.match(command, params, source)) w.resolve(text);
      else still.push(w);
    }
    this.waiters = still;
  }

  write(data: Buffer | string): void {
    if (this.closed) return;
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    this.bytesSent += bytes.length;
    this.socket.write(bytes);
  }

  send(line: string): void {
    this.write(`${line}\r\n`);
  }

  /** Resolves with the first line (arriving from now on) that matches, or null if the connection closes first; rejects on timeout. */
  waitFor(match: Waiter['match'], what: string, timeoutMs: number): Promise<string | null> {
    if (this.closed) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      let done = false;
      const finish = (value: string | null) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== waiter);
        this.closeWaiters = this.closeWaiters.filter((w) => w !== onClose);
        resolve(value);
      };
      const waiter: Waiter = { match, resolve: finish };
      const onClose = () => finish(null);
      const timer = setTimeout(() => {
        if (done) return;
        done = true;
        this.waiters = this.waiters.filter((w) => w !== waiter);
        this.closeWaiters = this.closeWaiters.filter((w) => w !== onClose);
        reject(new Error(`${this.label}: timed out after ${timeoutMs} ms waiting for ${what}; last lines:\n${this.recent.join('\n')}`));
      }, timeoutMs);
      this.waiters.push(waiter);
      this.closeWaiters.push(onClose);
    });
  }

  /**
   * Bring the framer back to a known state (telnet, partial line), then round-trip
   * a PING with a fresh token. 'closed' if the server closed the connection instead.
   */
  async sync(timeoutMs = 5000, serverName = 'obrol.local'): Promise<'pong' | 'closed'> {
    if (this.closed) return 'closed';
    const token = `z${++this.tokenCounter}${Math.random().toString(36).slice(2, 10)}`;
    const pong = this.waitFor((command, params, source) => command === 'PONG' && source === serverName && params.at(-1) === token, `PONG ${token}`, timeoutMs);
    this.write(RESET_BYTES);
    this.send(`PING ${token}`);
    return (await pong) === null ? 'closed' : 'pong';
  }

  /** Resolves once the socket is closed. */
  waitClosed(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => this.closeWaiters.push(resolve));
  }

  close(): void {
    this.socket.destroy();
  }
}

// ---------------------------------------------------------------------------
// A fleet of clients in roles

export interface Role {
  /** Letters only: the nick is this plus a number (at least 13 characters, longer than any random word). */
  name: string;
  register: boolean;
  /** Capabilities requested before registering (CAP LS 302 / REQ / END). */
  caps?: string[];
  channels?: string[];
  oper?: { name: string; password: string };
  /** Register with a nick of NICK_POOL when one is free, so that generated lines name this client. */
  poolNick?: boolean;
}

export const FUZZ_CAPS = ['message-tags', 'batch', 'labeled-response', 'echo-message', 'server-time'];

let nickCounter = 0;

/** A disconnect reason without the client's own words (QUIT and KILL messages). */
function normalizeReason(reason: string | null): string {
  if (reason === null) return '(closed without ERROR)';
  if (reason.startsWith('Quit:') || reason === 'Client Quit') return 'Quit';
  if (reason.startsWith('Killed by ')) return 'Killed';
  return reason;
}

export class Fleet {
  readonly clients: WireClient[] = [];
  /** Problems of every client, including those already replaced. */
  readonly problems: string[] = [];
  readonly disconnects = new Map<string, number>();
  readonly disconnectsByRole = new Map<string, number>();
  reconnects = 0;
  private retiredLines = 0;
  private readonly retiredCommands = new Map<string, number>();
  private retiredBytes = 0;

  constructor(
    readonly port: number,
    readonly roles: readonly Role[],
    readonly timeoutMs = 5000,
  ) {}

  async open(): Promise<void> {
    for (let k = 0; k < this.roles.length; k++) this.clients[k] = await this.start(this.roles[k] as Role);
  }

  get linesReceived(): number {
    return this.clients.reduce((n, client) => n + client.linesReceived, this.retiredLines);
  }

  /** Lines received per command or numeric, most frequent first. */
  receivedByCommand(): Array<[string, number]> {
    const counts = new Map(this.retiredCommands);
    for (const client of this.clients) for (const [command, n] of client.commands) counts.set(command, (counts.get(command) ?? 0) + n);
    return [...counts].sort((a, b) => b[1] - a[1]);
  }

  get bytesSent(): number {
    return this.clients.reduce((n, client) => n + client.bytesSent, this.retiredBytes);
  }

  get openCount(): number {
    return this.clients.filter((client) => !client.closed).length;
  }

  private async start(role: Role): Promise<WireClient> {
    for (let attempt = 0; ; attempt++) {
      const client = await WireClient.connect(this.port, role.name);
      if (!role.register) {
        // Unregistered, possibly in the middle of capability negotiation.
        if (role.caps) client.send('CAP LS 302');
        if (role.caps && role.caps.length > 0) client.send(`CAP REQ :${role.caps.join(' ')}`);
        return client;
      }
      const generated = `${role.name}${String(++nickCounter).padStart(13 - role.name.length, '0')}`;
      const nick = role.poolNick && attempt < 3 ? (NICK_POOL[nickCounter % NICK_POOL.length] as string) : generated;
      const outcome = client.waitFor((command) => command === '001' || command === '433' || command === '432', 'registration', this.timeoutMs);
      if (role.caps) client.send('CAP LS 302');
      if (role.caps && role.caps.length > 0) client.send(`CAP REQ :${role.caps.join(' ')}`);
      client.send(`NICK ${nick}`);
      client.send(`USER ${role.name} 0 * :${role.name} fuzz`);
      if (role.caps) client.send('CAP END');
      const line = await outcome;
      if (line === null || / 43[23] /.test(line)) {
        this.retire(client);
        client.close();
        if (attempt >= 6) throw new Error(`${role.name}: cannot register: ${line ?? 'closed'}`);
        continue;
      }
      if (role.oper) {
        const up = client.waitFor((command) => command === '381' || command === '464' || command === '491', 'OPER', this.timeoutMs);
        client.send(`OPER ${role.oper.name} ${role.oper.password}`);
        const reply = await up;
        if (reply === null || !/ 381 /.test(reply)) throw new Error(`${role.name}: OPER refused: ${reply ?? 'closed'}`);
      }
      if (role.channels && role.channels.length > 0) client.send(`JOIN ${role.channels.join(',')}`);
      if ((await client.sync(this.timeoutMs)) === 'closed') throw new Error(`${role.name}: closed while setting up`);
      return client;
    }
  }

  private retire(client: WireClient): void {
    this.problems.push(...client.problems);
    client.problems.length = 0;
    for (const [command, n] of client.commands) this.retiredCommands.set(command, (this.retiredCommands.get(command) ?? 0) + n);
    client.commands.clear();
    this.retiredLines += client.linesReceived;
    this.retiredBytes += client.bytesSent;
    client.linesReceived = 0;
    client.bytesSent = 0;
  }

  /**
   * PING every open client. Returns the indices of those that answered; the
   * others were closed by the server (their reasons are counted).
   */
  async syncAll(): Promise<number[]> {
    const results = await Promise.all(this.clients.map((client) => client.sync(this.timeoutMs)));
    return results.flatMap((result, k) => (result === 'pong' ? [k] : []));
  }

  /** Replace every closed client by a fresh one in the same role. */
  async reconnectClosed(): Promise<void> {
    for (let k = 0; k < this.clients.length; k++) {
      const client = this.clients[k] as WireClient;
      if (!client.closed) continue;
      const reason = normalizeReason(client.errorReason);
      this.disconnects.set(reason, (this.disconnects.get(reason) ?? 0) + 1);
      const byRole = `${client.label}: ${reason}`;
      this.disconnectsByRole.set(byRole, (this.disconnectsByRole.get(byRole) ?? 0) + 1);
      this.retire(client);
      this.reconnects++;
      this.clients[k] = await this.start(this.roles[k] as Role);
    }
  }

  /** Every problem seen so far, on current and replaced clients. */
  allProblems(): string[] {
    return [...this.problems, ...this.clients.flatMap((client) => client.problems)];
  }

  close(): void {
    for (const client of this.clients) client.close();
  }
}
