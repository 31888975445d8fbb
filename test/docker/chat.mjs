// Two IRC clients through the container: both register, join #docker, alice
// says one line and bob must receive exactly that line. Then both stay
// connected; `READY` on stdout tells run.sh to stop the container, and both must
// get `ERROR :Closing link: ... [Server shutting down]` and be disconnected.
//
//   node test/docker/chat.mjs PORT [TIMEOUT_MS]
//
// Exit 0 when all of that happened, 1 (with the reason on stderr) otherwise.
// Plain Node, no dependencies: it runs on the host against the mapped port.
import { connect } from 'node:net';

const port = Number(process.argv[2]);
const timeoutMs = Number(process.argv[3] ?? 30000);
if (!Number.isInteger(port) || port <= 0) {
  process.stderr.write('usage: node chat.mjs PORT [TIMEOUT_MS]\n');
  process.exit(2);
}

const overall = setTimeout(() => fail(`gave up after ${timeoutMs} ms`), timeoutMs);

function fail(reason) {
  process.stderr.write(`chat: FAILED: ${reason}\n`);
  for (const c of clients) process.stderr.write(`--- last lines seen by ${c.nick}:\n${c.lines.slice(-8).join('\n')}\n`);
  process.exit(1);
}

const clients = [];

function client(nick) {
  const socket = connect({ host: '127.0.0.1', port });
  const c = { nick, socket, lines: [], pending: [], waiters: [], closed: false, partial: '' };
  clients.push(c);
  socket.setEncoding('utf8');
  socket.on('data', (chunk) => {
    const parts = (c.partial + chunk).split('\r\n');
    c.partial = parts.pop() ?? '';
    c.lines.push(...parts);
    c.pending.push(...parts);
    for (const w of c.waiters.splice(0)) w();
  });
  socket.on('error', (err) => fail(`${nick}: socket error: ${err.message}`));
  socket.on('close', () => {
    c.closed = true;
    for (const w of c.waiters.splice(0)) w();
  });
  c.send = (line) => socket.write(`${line}\r\n`);
  // The first unconsumed line matching re (consumed with everything before it).
  c.expect = async (re, what = String(re)) => {
    for (;;) {
      const i = c.pending.findIndex((l) => re.test(l));
      if (i >= 0) {
        const line = c.pending[i];
        c.pending.splice(0, i + 1);
        return line;
      }
      if (c.closed) fail(`${nick}: connection closed while waiting for ${what}`);
      await new Promise((resolve) => c.waiters.push(resolve));
    }
  };
  c.waitClosed = async () => {
    while (!c.closed) await new Promise((resolve) => c.waiters.push(resolve));
  };
  return c;
}

async function register(nick) {
  const c = client(nick);
  c.send(`NICK ${nick}`);
  c.send(`USER ${nick} 0 * :${nick} in docker`);
  const welcome = await c.expect(new RegExp(`^:\\S+ 001 ${nick} `), '001');
  await c.expect(new RegExp(`^:\\S+ (376|422) ${nick} `), 'end of MOTD');
  // "... Welcome to the Obrol IRC Network alice!alice@HOST": the host the server sees.
  c.mask = welcome.split(' ').pop();
  return c;
}

const alice = await register('alice');
const bob = await register('bob');
if (!/^alice!alice@\S+$/.test(alice.mask)) fail(`unexpected mask in 001: ${alice.mask}`);

alice.send('JOIN #docker');
await alice.expect(/ 366 alice #docker /, 'alice: 366');
bob.send('JOIN #docker');
await bob.expect(/ 366 bob #docker /, 'bob: 366');
await alice.expect(/ JOIN /, 'bob JOIN seen by alice');

const text = 'hello from inside the container test';
alice.send(`PRIVMSG #docker :${text}`);
const expected = `:${alice.mask} PRIVMSG #docker :${text}`;
const got = await bob.expect(/ PRIVMSG /, 'the PRIVMSG');
if (got !== expected) fail(`bob received ${JSON.stringify(got)}, expected ${JSON.stringify(expected)}`);
process.stdout.write(`chat: bob received: ${got}\n`);

// Stay connected while the container is stopped.
process.stdout.write('READY\n');
for (const c of [alice, bob]) {
  const line = await c.expect(/^ERROR /, `${c.nick}: ERROR on shutdown`);
  const want = new RegExp(`^ERROR :Closing link: \\(${c.nick}@\\S+\\) \\[Server shutting down\\]$`);
  if (!want.test(line)) fail(`${c.nick} got ${JSON.stringify(line)} on shutdown, expected ${want}`);
  process.stdout.write(`chat: ${c.nick} received: ${line}\n`);
}
await Promise.all([alice.waitClosed(), bob.waitClosed()]);
clearTimeout(overall);
process.stdout.write('chat: both clients were told and disconnected\n');
process.exit(0);
