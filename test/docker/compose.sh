#!/usr/bin/env bash
# Compose test (npm run test:compose): compose.yaml for real. Build the two
# images, `up -d` Redis and the three Obrol nodes, wait until all four are
# healthy, then with one IRC client on each node's port:
#   - alice (node 1) says a line in #compose; bob (node 2) and carol (node 3) get it,
#   - the node process of obrol-2 is killed with SIGKILL (a crash, not a stop),
#   - alice and carol see bob QUIT, with "<their server> two.obrol.local" as the
#     reason, within cluster.node_timeout + QUIT_MARGIN seconds,
#   - bob reconnects to node 3 with the same nick and rejoins; alice sees it,
#   - the restart policy brings obrol-2 back, healthy, and dave on it sees the others.
# Then `down -v`, and everything the test made is removed (containers, network,
# volumes, and the images unless KEEP_IMAGE=1), on every exit path.
#
# Environment:
#   COMPOSE=...          compose command (default: `docker compose` if that plugin
#                        works, else podman-compose)
#   IMAGE=obrol-compose-test, REDIS_IMAGE=obrol-compose-test-redis
#                        tags of the two images built (compose.yaml's OBROL_IMAGE
#                        and OBROL_REDIS_IMAGE)
#   KEEP_IMAGE=1         keep the two images afterwards (default 0: remove them;
#                        kept, the next run's build takes seconds)
#   HEALTH_TRIES=60      seconds to wait for health (podman: one check a second)
#   NODE_TIMEOUT=4       cluster.node_timeout given to the nodes
#   QUIT_MARGIN=5        seconds allowed beyond NODE_TIMEOUT for the QUITs
#
# Host ports are picked free on 127.0.0.1; nothing is published elsewhere, and
# Redis is not published at all.
set -euo pipefail

cd "$(dirname "$0")/../.."
REPO_ROOT=$PWD
KEEP_IMAGE=${KEEP_IMAGE:-0}
HEALTH_TRIES=${HEALTH_TRIES:-60}
NODE_TIMEOUT=${NODE_TIMEOUT:-4}
QUIT_MARGIN=${QUIT_MARGIN:-5}
PROJECT="obrol-compose-test-$$"
IMAGE=${IMAGE:-obrol-compose-test}
REDIS_IMAGE=${REDIS_IMAGE:-obrol-compose-test-redis}
export OBROL_IMAGE=$IMAGE OBROL_REDIS_IMAGE=$REDIS_IMAGE
export OBROL_NODE_TIMEOUT=$NODE_TIMEOUT
export OBROL_CLOAK_SECRET="compose-test-secret-$$-$RANDOM$RANDOM"
export OBROL_BIND=127.0.0.1
# podman: keep the HEALTHCHECKs in the images (OCI format drops them).
export BUILDAH_FORMAT=docker
WORK=$(mktemp -d "${TMPDIR:-/tmp}/obrol-compose-test.XXXXXX")
CLIENT_PID=""
STARTED=""
TEST_NAME=compose-test
# shellcheck source=test/docker/lib.sh
source test/docker/lib.sh
# bounded CMD...: run CMD with a time limit (BOUND seconds, default 300).
bounded() { timeout --kill-after=10 "${BOUND:-300}" "$@"; }

SERVICES=(redis obrol-1 obrol-2 obrol-3)
ENGINE=""
COMPOSE_CMD=()

# The container of a service (docker compose and podman-compose name them
# differently; both put these labels on them).
container_of() {
  "$ENGINE" ps -a --filter "label=com.docker.compose.project=$PROJECT" \
    --filter "label=com.docker.compose.service=$1" --format '{{.Names}}' 2>/dev/null | head -1
}

show_logs() {
  local svc name
  for svc in "${SERVICES[@]}"; do
    name=$(container_of "$svc")
    [[ -n $name ]] || continue
    echo "----- last log lines of $svc ($name) -----" >&2
    "$ENGINE" logs --tail 15 "$name" 2>&1 | cut -c1-400 >&2 || true
  done
  if [[ -f $WORK/client.out ]]; then
    echo "----- IRC clients -----" >&2
    cat "$WORK/client.out" "$WORK/client.err" >&2 2>/dev/null || true
  fi
}

remove_all() {
  local ids
  if [[ ${#COMPOSE_CMD[@]} -gt 0 ]]; then
    BOUND=120 bounded "${COMPOSE_CMD[@]}" -p "$PROJECT" down -v >"$WORK/down.log" 2>&1 || true
  fi
  [[ -n $ENGINE ]] || return 0
  # Whatever `down` left (podman-compose 1.0.3 leaves the network).
  ids=$("$ENGINE" ps -aq --filter "label=com.docker.compose.project=$PROJECT" 2>/dev/null || true)
  [[ -z $ids ]] || "$ENGINE" rm -f $ids >/dev/null 2>&1 || true
  ids=$("$ENGINE" network ls -q --filter "label=com.docker.compose.project=$PROJECT" 2>/dev/null || true)
  [[ -z $ids ]] || "$ENGINE" network rm $ids >/dev/null 2>&1 || true
  "$ENGINE" network rm "${PROJECT}_default" >/dev/null 2>&1 || true
  ids=$("$ENGINE" volume ls -q --filter "label=com.docker.compose.project=$PROJECT" 2>/dev/null || true)
  [[ -z $ids ]] || "$ENGINE" volume rm -f $ids >/dev/null 2>&1 || true
  if [[ $KEEP_IMAGE != 1 ]]; then
    "$ENGINE" rmi "$OBROL_IMAGE" "$OBROL_REDIS_IMAGE" >/dev/null 2>&1 || true
  fi
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n $CLIENT_PID ]] && kill -0 "$CLIENT_PID" 2>/dev/null; then kill "$CLIENT_PID" 2>/dev/null || true; fi
  if [[ -n $STARTED ]]; then
    [[ $rc -eq 0 ]] || show_logs
    remove_all
    left=$("$ENGINE" ps -aq --filter "label=com.docker.compose.project=$PROJECT" 2>/dev/null | wc -l)
    [[ $left == 0 ]] || echo "[compose-test] warning: $left container(s) of $PROJECT are left" >&2
  fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- a container engine and a compose command ------------------------------------------------
if [[ -n ${COMPOSE:-} ]]; then
  read -r -a COMPOSE_CMD <<<"$COMPOSE"
elif command -v docker >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; then
  COMPOSE_CMD=(docker compose)
elif command -v podman-compose >/dev/null 2>&1; then
  COMPOSE_CMD=(podman-compose)
else
  die "no compose command: neither \`docker compose\` nor podman-compose works (apt-get install podman-compose)"
fi
if [[ ${COMPOSE_CMD[0]} == podman-compose ]]; then ENGINE=podman; else ENGINE=docker; fi
if ! "$ENGINE" info >/dev/null 2>&1; then
  script=""
  for candidate in "$REPO_ROOT/../shared/container/make-base-image.sh" /work/shared/container/make-base-image.sh; do
    if [[ -f $candidate ]]; then script=$candidate; break; fi
  done
  [[ -n $script ]] || die "\`$ENGINE info\` fails and make-base-image.sh was not found"
  say "$ENGINE info fails; running $script"
  (cd / && bash "$script") >"$WORK/base-image.log" 2>&1 || { tail -20 "$WORK/base-image.log" >&2; die "$script failed"; }
fi
# The base image must be there (podman cannot pull it here).
if [[ $ENGINE == podman ]] && ! podman image exists node:20-bookworm-slim; then
  for candidate in "$REPO_ROOT/../shared/container/make-base-image.sh" /work/shared/container/make-base-image.sh; do
    if [[ -f $candidate ]]; then
      say "no node:20-bookworm-slim image; running $candidate"
      (cd / && bash "$candidate") >"$WORK/base-image.log" 2>&1 || { tail -20 "$WORK/base-image.log" >&2; die "$candidate failed"; }
      break
    fi
  done
fi
version=$("${COMPOSE_CMD[@]}" version 2>/dev/null || true)
say "compose: ${COMPOSE_CMD[*]} ($(grep -i -m1 'compose[a-z]* version' <<<"$version" || echo 'version unknown')); engine: $ENGINE"

compose() { BOUND=${BOUND:-300} bounded "${COMPOSE_CMD[@]}" -p "$PROJECT" "$@"; }

# ---- ports: three free ones on loopback -------------------------------------------------------
free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{process.stdout.write(String(s.address().port));s.close()})"; }
export OBROL_PORT_1=${OBROL_PORT_1:-$(free_port)}
export OBROL_PORT_2=${OBROL_PORT_2:-$(free_port)}
export OBROL_PORT_3=${OBROL_PORT_3:-$(free_port)}
while [[ $OBROL_PORT_2 == "$OBROL_PORT_1" ]]; do OBROL_PORT_2=$(free_port); done
while [[ $OBROL_PORT_3 == "$OBROL_PORT_1" || $OBROL_PORT_3 == "$OBROL_PORT_2" ]]; do OBROL_PORT_3=$(free_port); done

# ---- build and up ----------------------------------------------------------------------------
STARTED=1
build() { BOUND=600 compose build >"$WORK/build.log" 2>&1 || { tail -40 "$WORK/build.log" >&2; die "compose build failed"; }; }
timed "compose build (obrol + redis images)" build
up() { BOUND=180 compose up -d >"$WORK/up.log" 2>&1 || { tail -40 "$WORK/up.log" >&2; die "compose up -d failed"; }; }
timed "compose up -d" up

declare -A NAME
for svc in "${SERVICES[@]}"; do
  NAME[$svc]=$(container_of "$svc")
  [[ -n ${NAME[$svc]} ]] || die "compose up made no container for $svc"
done
say "containers: ${NAME[*]}"

# wait_healthy SERVICE...: every one healthy within HEALTH_TRIES seconds.
wait_healthy() {
  local svc status i pending
  for ((i = 1; i <= HEALTH_TRIES; i++)); do
    pending=()
    for svc in "$@"; do
      # podman has no health timer without systemd: run the check each time.
      [[ $ENGINE != podman ]] || podman healthcheck run "${NAME[$svc]}" >/dev/null 2>&1 || true
      status=$("$ENGINE" inspect -f '{{.State.Health.Status}}' "${NAME[$svc]}" 2>/dev/null || echo gone)
      [[ $status == healthy ]] || pending+=("$svc:$status")
    done
    if [[ ${#pending[@]} == 0 ]]; then
      say "healthy: $* (after $i round(s))"
      return 0
    fi
    sleep 1
  done
  die "not healthy after $HEALTH_TRIES s: ${pending[*]}"
}
timed "waiting for health" wait_healthy "${SERVICES[@]}"

# ---- what is published -----------------------------------------------------------------------
ports=$("$ENGINE" port "${NAME[redis]}" 2>/dev/null || true)
[[ -z $ports ]] || die "Redis is published to the host: $ports"
for n in 1 2 3; do
  var="OBROL_PORT_$n"
  ports=$("$ENGINE" port "${NAME[obrol-$n]}" 2>/dev/null || true)
  grep -q "^6667/tcp -> 127.0.0.1:${!var}\$" <<<"$ports" || die "obrol-$n is not published on 127.0.0.1:${!var} only: $ports"
done
say "published: 127.0.0.1:$OBROL_PORT_1, :$OBROL_PORT_2, :$OBROL_PORT_3 (IRC of obrol-1..3); Redis not published"
for n in 1 2 3; do
  logs=$("$ENGINE" logs "${NAME[obrol-$n]}" 2>&1)
  grep -q '"event":"joined-network"' <<<"$logs" || die "obrol-$n logged no joined-network line"
done

# ---- the IRC clients ---------------------------------------------------------------------------
cat >"$WORK/client.mjs" <<'EOF'
// alice on node 1, bob on node 2, carol on node 3. Prints "chat: ..." lines;
// exit 0 when every check passed, 1 with the reason on stderr otherwise.
import { connect } from 'node:net';
import { execSync } from 'node:child_process';

const [p1, p2, p3] = process.argv.slice(2, 5).map(Number);
const nodeTimeout = Number(process.env.NODE_TIMEOUT);
const margin = Number(process.env.QUIT_MARGIN);
const t0 = Date.now();
const clients = [];
const overall = setTimeout(() => fail('gave up after 90 s'), 90000);
const log = (s) => process.stdout.write(`chat: [${((Date.now() - t0) / 1000).toFixed(1)}s] ${s}\n`);
function fail(reason) {
  process.stderr.write(`chat: FAILED: ${reason}\n`);
  for (const c of clients) process.stderr.write(`--- last lines seen by ${c.nick} (port ${c.port}):\n${c.lines.slice(-10).join('\n')}\n`);
  process.exit(1);
}

function client(nick, port) {
  const socket = connect({ host: '127.0.0.1', port });
  const c = { nick, port, socket, lines: [], pending: [], waiters: [], closed: false, partial: '' };
  clients.push(c);
  socket.setEncoding('utf8');
  socket.on('data', (chunk) => {
    const parts = (c.partial + chunk).split('\r\n');
    c.partial = parts.pop() ?? '';
    for (const line of parts) {
      if (line.startsWith('PING ')) socket.write(`PONG ${line.slice(5)}\r\n`);
    }
    c.lines.push(...parts);
    c.pending.push(...parts);
    for (const w of c.waiters.splice(0)) w();
  });
  socket.on('error', (err) => { c.error = err.message; });
  socket.on('close', () => {
    c.closed = true;
    for (const w of c.waiters.splice(0)) w();
  });
  c.send = (line) => socket.write(`${line}\r\n`);
  // The first unconsumed line matching re, within ms (consumed with everything before it).
  c.expect = (re, what, ms = 10000) =>
    new Promise((resolve) => {
      const timer = setTimeout(() => fail(`${nick}: no ${what} within ${ms} ms`), ms);
      const look = () => {
        const i = c.pending.findIndex((l) => re.test(l));
        if (i >= 0) {
          const line = c.pending[i];
          c.pending.splice(0, i + 1);
          clearTimeout(timer);
          resolve(line);
        } else if (c.closed) fail(`${nick}: connection closed while waiting for ${what}`);
        else c.waiters.push(look);
      };
      look();
    });
  c.waitClosed = (ms) =>
    new Promise((resolve) => {
      const timer = setTimeout(() => fail(`${nick}: still connected ${ms} ms after its node was killed`), ms);
      const look = () => (c.closed ? (clearTimeout(timer), resolve()) : c.waiters.push(look));
      look();
    });
  return c;
}

async function register(nick, port, tries = 1) {
  for (let attempt = 1; ; attempt++) {
    const c = client(nick, port);
    c.send(`NICK ${nick}`);
    c.send(`USER ${nick} 0 * :${nick} in compose`);
    const welcome = await c.expect(new RegExp(`^:(\\S+) (001|433|437) `), '001');
    if (!/ 001 /.test(welcome)) {
      if (attempt >= tries) fail(`${nick} on port ${port} was refused: ${welcome}`);
      log(`${nick} on port ${port}: ${welcome} (try ${attempt}); again in 0.5 s`);
      c.socket.destroy();
      clients.splice(clients.indexOf(c), 1);
      await new Promise((resolve) => setTimeout(resolve, 500));
      continue;
    }
    c.server = welcome.slice(1).split(' ')[0];
    c.host = welcome.split(' ').pop().split('@')[1];
    await c.expect(new RegExp(`^:\\S+ (376|422) ${nick} `), 'end of MOTD');
    return c;
  }
}
const esc = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const alice = await register('alice', p1);
const bob = await register('bob', p2);
const carol = await register('carol', p3);
log(`registered: alice on ${alice.server}, bob on ${bob.server}, carol on ${carol.server}`);
const servers = ['one.obrol.local', 'two.obrol.local', 'three.obrol.local'];
if ([alice, bob, carol].some((c, k) => c.server !== servers[k])) fail('the clients are not on one, two and three.obrol.local');

for (const c of [alice, bob, carol]) {
  c.send('JOIN #compose');
  await c.expect(/^:\S+ 366 \S+ #compose /, 'end of NAMES of #compose');
}
// Each sees the others join (or has them in NAMES): wait for carol's JOIN on alice and bob.
for (const c of [alice, bob]) await c.expect(/^:carol!\S+ JOIN :?#compose/, "carol's JOIN");

// Cloaks: everyone comes from the same address (the host, through the port
// mapping), so each node must have cloaked it the same way (cloak.secret shared).
if (new Set([alice.host, bob.host, carol.host]).size !== 1) fail(`one address, three cloaks (cloak.secret not shared?): ${alice.host}, ${bob.host}, ${carol.host}`);
carol.send('WHOIS alice');
await carol.expect(/^:\S+ 311 carol alice /, 'WHOIS 311 for alice');
const whoisServer = await carol.expect(/^:\S+ 312 carol alice /, 'WHOIS 312 for alice');
if (!/ one\.obrol\.local /.test(whoisServer)) fail(`WHOIS alice from node 3 does not name one.obrol.local: ${whoisServer}`);
log(`same cloak on the three nodes (${alice.host}); WHOIS alice from node 3 names one.obrol.local`);

const text = `hello from node one ${process.pid}`;
alice.send(`PRIVMSG #compose :${text}`);
for (const c of [bob, carol]) await c.expect(new RegExp(`^:alice!\\S+ PRIVMSG #compose :${esc(text)}$`), "alice's message");
log(`alice's message on node 1 reached bob (node 2) and carol (node 3)`);

// ---- kill -9 the node process of obrol-2 --------------------------------------------------------
const killedAt = Date.now();
execSync(process.env.KILL_CMD, { stdio: 'inherit', timeout: 20000 });
log(`killed obrol-2's node process (${process.env.KILL_CMD})`);
const limit = (nodeTimeout + margin) * 1000;
const quits = await Promise.all(
  [alice, carol].map((c) => c.expect(/^:bob!\S+ QUIT /, "bob's QUIT", limit - (Date.now() - killedAt)).then((line) => ({ c, line, ms: Date.now() - killedAt }))),
);
for (const { c, line, ms } of quits) {
  const reason = line.replace(/^:\S+ QUIT :?/, '');
  if (reason !== `${c.server} two.obrol.local`) fail(`${c.nick} saw bob quit with "${reason}", expected "${c.server} two.obrol.local"`);
  log(`${c.nick} (${c.server}) saw bob QUIT "${reason}" ${(ms / 1000).toFixed(1)} s after the kill (node_timeout ${nodeTimeout} s)`);
}
await bob.waitClosed(10000);
log(`bob's own connection was closed (${bob.error ?? 'EOF'})`);

// ---- bob comes back on node 3 with the same nick -------------------------------------------------
// (a 433 right after the QUIT would be the claim not yet released: a few tries, 0.5 s apart)
const bob2 = await register('bob', p3, 6);
bob2.send('JOIN #compose');
await bob2.expect(/^:\S+ 366 bob #compose /, 'end of NAMES of #compose');
await alice.expect(/^:bob!\S+ JOIN :?#compose/, "bob's JOIN after reconnecting");
const again = `bob is back ${process.pid}`;
bob2.send(`PRIVMSG #compose :${again}`);
for (const c of [alice, carol]) await c.expect(new RegExp(`^:bob!\\S+ PRIVMSG #compose :${esc(again)}$`), "bob's message after reconnecting");
log(`bob reconnected to ${bob2.server} as bob, rejoined #compose; alice and carol got his message`);

process.stdout.write('PHASE2\n');
// run the rest when told (stdin: the restarted obrol-2 is healthy)
await new Promise((resolve) => process.stdin.once('data', resolve));
const dave = await register('dave', p2);
dave.send('JOIN #compose');
const names = await dave.expect(/^:\S+ 353 dave \S+ #compose :/, 'NAMES of #compose');
for (const nick of ['alice', 'bob', 'carol']) if (!new RegExp(`[ :@+]${nick}( |$)`).test(names)) fail(`the restarted node does not list ${nick} in #compose: ${names}`);
await alice.expect(/^:dave!\S+ JOIN :?#compose/, "dave's JOIN");
log(`dave on the restarted ${dave.server} sees alice, bob and carol in #compose; alice sees dave join`);

for (const c of [alice, carol, bob2, dave]) c.send('QUIT :done');
clearTimeout(overall);
log('all checks passed');
process.exit(0);
EOF

# The kill: SIGKILL to obrol-2's node process, as a crash would (the restart
# policy then starts it again). `<engine> kill -s KILL` where the process is not on this host.
pid=$("$ENGINE" inspect -f '{{.State.Pid}}' "${NAME[obrol-2]}")
if [[ $pid =~ ^[0-9]+$ && $pid -gt 0 ]] && [[ $(ps -o comm= -p "$pid" 2>/dev/null) == node ]]; then
  KILL_CMD="kill -9 $pid"
else
  KILL_CMD="$ENGINE kill -s KILL ${NAME[obrol-2]}"
fi
restarts_before=$("$ENGINE" inspect -f '{{.RestartCount}}' "${NAME[obrol-2]}" 2>/dev/null || echo 0)

chat() {
  local i rc=0
  mkfifo "$WORK/client.in"
  KILL_CMD=$KILL_CMD NODE_TIMEOUT=$NODE_TIMEOUT QUIT_MARGIN=$QUIT_MARGIN \
    node "$WORK/client.mjs" "$OBROL_PORT_1" "$OBROL_PORT_2" "$OBROL_PORT_3" <"$WORK/client.in" >"$WORK/client.out" 2>"$WORK/client.err" &
  CLIENT_PID=$!
  exec 3>"$WORK/client.in"
  for ((i = 0; i < 600; i++)); do # up to 60 s
    grep -q '^PHASE2$' "$WORK/client.out" && break
    kill -0 "$CLIENT_PID" 2>/dev/null || break
    sleep 0.1
  done
  sed -n 's/^chat: /  /p' "$WORK/client.out"
  if ! grep -q '^PHASE2$' "$WORK/client.out"; then
    wait "$CLIENT_PID" || rc=$?
    CLIENT_PID=""
    exec 3>&-
    die "the IRC check failed (exit $rc): $(cat "$WORK/client.err")"
  fi
  # The restart policy: obrol-2 runs again, and is healthy.
  for ((i = 0; i < 30; i++)); do
    [[ $("$ENGINE" inspect -f '{{.State.Running}}' "${NAME[obrol-2]}" 2>/dev/null) == true ]] &&
      [[ $("$ENGINE" inspect -f '{{.RestartCount}}' "${NAME[obrol-2]}" 2>/dev/null || echo 0) -gt $restarts_before ]] && break
    sleep 1
  done
  [[ $("$ENGINE" inspect -f '{{.State.Running}}' "${NAME[obrol-2]}") == true ]] || die "the restart policy did not start obrol-2 again within 30 s"
  wait_healthy obrol-2
  say "obrol-2 restarted (restart count $("$ENGINE" inspect -f '{{.RestartCount}}' "${NAME[obrol-2]}" 2>/dev/null || echo '?'))"
  echo go >&3
  exec 3>&-
  rc=0
  for ((i = 0; i < 300 && rc == 0; i++)); do # up to 30 s
    kill -0 "$CLIENT_PID" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$CLIENT_PID" 2>/dev/null && die "the IRC clients did not finish within 30 s after obrol-2 came back"
  wait "$CLIENT_PID" || rc=$?
  CLIENT_PID=""
  sed -n '/^PHASE2$/,$ s/^chat: /  /p' "$WORK/client.out"
  [[ $rc == 0 ]] || die "the IRC check failed (exit $rc): $(cat "$WORK/client.err")"
}
timed "IRC across the three nodes, kill -9 of obrol-2" chat

logs=$("$ENGINE" logs "${NAME[obrol-1]}" 2>&1)
grep -q '"event":"node-down".*"server":"two.obrol.local"' <<<"$logs" || die "obrol-1 logged no node-down for two.obrol.local"

# ---- down ------------------------------------------------------------------------------------
down() { BOUND=120 compose down -v >"$WORK/down.log" 2>&1 || { tail -20 "$WORK/down.log" >&2; die "compose down failed"; }; }
timed "compose down -v" down
remove_all
left=$("$ENGINE" ps -aq --filter "label=com.docker.compose.project=$PROJECT" | wc -l)
[[ $left == 0 ]] || die "$left container(s) left after down"
nets=$("$ENGINE" network ls --format '{{.Name}}')
! grep -q "^${PROJECT}" <<<"$nets" || die "a network of $PROJECT is left after down: $(grep "^${PROJECT}" <<<"$nets")"
STARTED=""
say "removed containers, network and volumes$([[ $KEEP_IMAGE == 1 ]] && echo " (kept $OBROL_IMAGE and $OBROL_REDIS_IMAGE)" || echo ' and both images')"
say "PASSED in $(secs $(($(now_ms) - T0))) s"
