#!/usr/bin/env bash
# Container test (npm run test:docker): build the image, run it, wait for the
# HEALTHCHECK to report healthy, check the data file and `obrol backup` on the
# /data volume, fetch the chat page from its WebSocket port,
# chat through it with two clients, stop it
# with `docker stop -t 10` and check it shut down gracefully with exit code 0.
#
# Environment:
#   IMAGE=obrol-test     image tag to build and run
#   KEEP_IMAGE=1         keep the image afterwards (0: remove it)
#   HEALTH_TRIES=30      health checks to try, one a second
#
# Works with a real Docker engine or with podman behind /var/run/docker.sock
# (see /work/shared/container/README.md); `podman healthcheck run` is used when
# podman is the engine, because podman has no health timer without systemd.
set -euo pipefail

cd "$(dirname "$0")/../.."
REPO_ROOT=$PWD
IMAGE=${IMAGE:-obrol-test}
KEEP_IMAGE=${KEEP_IMAGE:-1}
HEALTH_TRIES=${HEALTH_TRIES:-30}
NAME="obrol-test-$$-${RANDOM}"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/obrol-docker-test.XXXXXX")
CHAT_PID=""
STARTED=""
TEST_NAME=docker-test
# shellcheck source=test/docker/lib.sh
source test/docker/lib.sh

cleanup() {
  local rc=$?
  if [[ -n $CHAT_PID ]] && kill -0 "$CHAT_PID" 2>/dev/null; then kill "$CHAT_PID" 2>/dev/null || true; fi
  if [[ -n $STARTED ]]; then
    if [[ $rc -ne 0 ]]; then
      echo "----- last container logs ($NAME) -----" >&2
      docker logs --tail 40 "$NAME" >&2 2>&1 || true
      echo "----- chat output -----" >&2
      cat "$WORK/chat.out" "$WORK/chat.err" >&2 2>/dev/null || true
    fi
    # -v: the anonymous /data volume (the data file) goes with the container.
    docker rm -f -v "$NAME" >/dev/null 2>&1 || true
  fi
  if [[ $KEEP_IMAGE == 0 ]]; then docker rmi "$IMAGE" >/dev/null 2>&1 || true; fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- a container engine --------------------------------------------------------------
engine_version() { command -v docker >/dev/null 2>&1 && docker info --format '{{.ServerVersion}}' 2>/dev/null; }
if ! SERVER_VERSION=$(engine_version); then
  script=""
  for candidate in "$REPO_ROOT/../shared/container/make-base-image.sh" /work/shared/container/make-base-image.sh; do
    if [[ -f $candidate ]]; then script=$candidate; break; fi
  done
  if [[ -z $script ]]; then
    die "no container engine answers (\`docker info\` fails) and make-base-image.sh was not found; install Docker or podman to run this test"
  fi
  say "docker info fails; running $script to start the engine and make the base image"
  (cd / && bash "$script") >"$WORK/base-image.log" 2>&1 || { tail -20 "$WORK/base-image.log" >&2; die "$script failed"; }
  SERVER_VERSION=$(engine_version) || die "still no container engine after $script"
fi
say "engine: server version $SERVER_VERSION"

# run_once ARGS...: `docker run` a short-lived container, print its output, return its exit
# code. Not --rm: with podman's Docker API, `docker run --rm` reports 0 whatever the exit code.
run_once() {
  local name="$NAME-once-$RANDOM" rc=0
  docker run --name "$name" "$@" 2>&1 || rc=$?
  docker rm -f -v "$name" >/dev/null 2>&1 || true
  return "$rc"
}

# ---- build ---------------------------------------------------------------------------------
build() { docker build -t "$IMAGE" . >"$WORK/build.log" 2>&1 || { tail -40 "$WORK/build.log" >&2; die "docker build failed"; }; }
timed "docker build" build
# Podman behind the Docker API (no systemd health timers): health checks run with
# `podman healthcheck run`, and the image's HEALTHCHECK is read with podman.
USE_PODMAN=0
if command -v podman >/dev/null && podman image exists "$IMAGE" 2>/dev/null; then USE_PODMAN=1; fi
if [[ $USE_PODMAN == 1 ]]; then
  hc=$(podman image inspect -f '{{json .HealthCheck}}' "$IMAGE")
  [[ $hc == *'"Test":'* ]] || die "the image has no HEALTHCHECK (built in OCI format?): $hc"
fi
say "image size: $(docker image inspect -f '{{.Size}}' "$IMAGE" | awk '{printf "%.0f MB", $1/1000/1000}')"
user=$(docker image inspect -f '{{.Config.User}}' "$IMAGE")
[[ $user == node ]] || die "the image runs as '$user', expected node"

# ---- config checks with a mounted file (short-lived containers) --------------------------
chmod 755 "$WORK"
printf 'server:\n  name: mounted.obrol.test\n' >"$WORK/good.yaml"
printf 'listen:\n  port: 6667\n  no_such_key: 1\n' >"$WORK/bad.yaml"
chmod 644 "$WORK/good.yaml" "$WORK/bad.yaml"
check_mounts() {
  local out rc
  out=$(run_once -v "$WORK/good.yaml:/etc/obrol/obrol.yaml:ro" "$IMAGE" node dist/cli/main.js print-config) ||
    die "print-config with a mounted config failed: $out"
  grep -q '^  name: mounted.obrol.test$' <<<"$out" || die "a mounted /etc/obrol/obrol.yaml was not read: $out"
  grep -q '^  host: 0.0.0.0$' <<<"$out" || die "OBROL_LISTEN__HOST=0.0.0.0 is not applied: $out"
  rc=0
  out=$(run_once -v "$WORK/bad.yaml:/etc/obrol/obrol.yaml:ro" "$IMAGE" node dist/cli/main.js check-config) || rc=$?
  [[ $rc == 78 ]] || die "check-config on an invalid mounted config exited $rc, expected 78: $out"
  grep -q 'no_such_key' <<<"$out" || die "check-config did not name the bad key: $out"
}
timed "mounted-config checks" check_mounts

# ---- run with nothing mounted: the shipped default config -----------------------------------
free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{process.stdout.write(String(s.address().port));s.close()})"; }
PORT=$(free_port)
WEB_PORT=$(free_port)
say "starting $NAME on 127.0.0.1:$PORT (IRC) and 127.0.0.1:$WEB_PORT (WebSocket and the chat page)"
STARTED=1
# A Docker engine runs the HEALTHCHECK on its own timer: make it tick every second here.
# (Podman has no timer without systemd; wait_healthy runs each check itself.)
health_args=()
[[ $USE_PODMAN == 1 ]] || health_args=(--health-interval 1s)
docker run -d --name "$NAME" -p "127.0.0.1:$PORT:6667" -p "127.0.0.1:$WEB_PORT:8097" "${health_args[@]}" "$IMAGE" >/dev/null 2>"$WORK/run.err" ||
  die "docker run failed: $(cat "$WORK/run.err")"

wait_healthy() {
  local status i
  for ((i = 1; i <= HEALTH_TRIES; i++)); do
    if [[ $USE_PODMAN == 1 ]]; then
      podman healthcheck run "$NAME" >/dev/null 2>&1 || true
    fi
    status=$(docker inspect -f '{{.State.Health.Status}}' "$NAME" 2>/dev/null || echo gone)
    [[ $status == healthy ]] && { say "healthy after $i check(s)"; return 0; }
    [[ $(docker inspect -f '{{.State.Running}}' "$NAME" 2>/dev/null) == true ]] || die "the container stopped before it was healthy"
    sleep 1
  done
  die "not healthy after $HEALTH_TRIES s (status: $status)"
}
timed "waiting for healthy" wait_healthy

uid=$(docker exec "$NAME" id -u) || die "docker exec failed"
[[ $uid == 1000 ]] || die "the server runs as uid $uid, expected 1000 (node)"
# (Read the logs into a variable first: `docker logs | grep -q` fails under pipefail when
# grep exits early and docker logs gets SIGPIPE.)
logs=$(docker logs "$NAME" 2>&1)
grep -q '"event":"config","file":"/etc/obrol/obrol.yaml"' <<<"$logs" ||
  die "the server did not read the shipped /etc/obrol/obrol.yaml"
grep -q '"event":"listening","kind":"plain","host":"0.0.0.0","port":6667,"transport":"native"' <<<"$logs" ||
  die "no listening log line for 0.0.0.0:6667 on the native transport (was the addon built into the image?)"
grep -q '"event":"listening","kind":"websocket","host":"0.0.0.0","port":8097' <<<"$logs" ||
  die "no listening log line for the WebSocket listener on 0.0.0.0:8097"

# ---- the data file on the /data volume, and an online copy of it -------------------------------
check_data() {
  local out
  docker exec "$NAME" test -s /data/obrol.db || die "the server made no /data/obrol.db"
  out=$(docker exec "$NAME" node dist/cli/main.js backup /data/backup.db 2>&1) || die "obrol backup in the container failed: $out"
  grep -q '^wrote /data/backup.db ([0-9]* bytes)$' <<<"$out" || die "obrol backup printed: $out"
  say "$out"
}
timed "data file and backup" check_data

# ---- the chat page, from the WebSocket port ----------------------------------------------------
fetch_page() {
  local out
  out=$(node -e '
    const url = process.argv[1];
    fetch(url).then(async (res) => {
      const body = await res.text();
      const problems = [];
      if (res.status !== 200) problems.push(`status ${res.status}`);
      if (!/^text\/html/.test(res.headers.get("content-type") ?? "")) problems.push(`content-type ${res.headers.get("content-type")}`);
      if (!/script-src .self./.test(res.headers.get("content-security-policy") ?? "")) problems.push("no Content-Security-Policy");
      const script = /src="\/(app-[A-Z0-9]+\.js)"/.exec(body);
      if (!script) problems.push("index.html names no app-*.js");
      else {
        const js = await fetch(new URL(script[1], url));
        if (js.status !== 200 || !/javascript/.test(js.headers.get("content-type") ?? "")) problems.push(`${script[1]}: ${js.status} ${js.headers.get("content-type")}`);
      }
      if (problems.length) { console.error(problems.join("; ")); process.exit(1); }
      console.log(`page: ${body.length} bytes of index.html, ${script[1]}`);
    }, (err) => { console.error(String(err)); process.exit(1); });
  ' "http://127.0.0.1:$WEB_PORT/" 2>&1) || die "the chat page: $out"
  say "$out"
}
timed "chat page fetch" fetch_page

# ---- chat through the container, then stop it with both clients connected ----------------------
chat_and_stop() {
  local i rc
  node test/docker/chat.mjs "$PORT" 40000 >"$WORK/chat.out" 2>"$WORK/chat.err" &
  CHAT_PID=$!
  for ((i = 0; i < 150; i++)); do
    grep -q '^READY$' "$WORK/chat.out" && break
    kill -0 "$CHAT_PID" 2>/dev/null || break
    sleep 0.2
  done
  grep -q '^READY$' "$WORK/chat.out" || die "the chat did not complete: $(cat "$WORK/chat.err")"
  sed -n 's/^chat: /  /p' "$WORK/chat.out"
  say "stopping $NAME with docker stop -t 10"
  docker stop -t 10 "$NAME" >/dev/null || die "docker stop failed"
  rc=0
  wait "$CHAT_PID" || rc=$?
  CHAT_PID=""
  sed -n '/READY/,$ s/^chat: /  /p' "$WORK/chat.out"
  [[ $rc == 0 ]] || die "the clients were not shut down gracefully: $(cat "$WORK/chat.err")"
}
timed "chat + docker stop" chat_and_stop

code=$(docker inspect -f '{{.State.ExitCode}}' "$NAME")
[[ $code == 0 ]] || die "the container exited with code $code, expected 0"
logs=$(docker logs "$NAME" 2>&1)
grep -q '"event":"signal","signal":"SIGTERM"' <<<"$logs" || die "the logs show no SIGTERM handling"
grep -q '"event":"stopping","reason":"Server shutting down"' <<<"$logs" || die "the logs show no graceful stop"
grep -q '"event":"stopped"' <<<"$logs" || die "the logs show no 'stopped' line"
say "exit code 0; logs show SIGTERM -> stopping -> stopped"
say "PASSED"
