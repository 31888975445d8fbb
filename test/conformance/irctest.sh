#!/usr/bin/env bash
# Run the irctest conformance suite against a freshly started Obrol.
#
# usage: test/conformance/irctest.sh [IRCTEST_DIR] [OUTFILE] [extra pytest args...]
#
#   IRCTEST_DIR  a work tree of github:progval/irctest (default /tmp/irctest)
#   OUTFILE      per-test results (default /tmp/obrol-irctest.txt)
#
# Needs the harness in ../shared/irctest (or $IRCTEST_HARNESS) and python3 with
# pytest. Starts the built server (npm run build first) with
# conf/irctest.yaml and runs the core selection, claiming the capabilities and
# optional behaviours Obrol implements (so a missing one fails instead of
# skipping). Prints the summary and the one-line comparison with the InspIRCd
# baseline, and stops the server.
#
# irctest's own controllers start a fresh server for every test; the shared
# harness keeps one server for the whole run. The WHOWAS tests reuse the nick
# nick2 across tests and count its history, so they can only pass on a fresh
# server: with FRESH_WHOWAS=1 (the default) each of them runs against its own
# freshly started Obrol and their rows are merged into OUTFILE. FRESH_WHOWAS=0
# runs everything on one server, as the InspIRCd baseline was made.
#
# test/conformance/irctest-full.sh runs the whole suite (or the core
# selection) through irctest_obrol.py instead, a fresh server per test.
#
# NODES=2 runs the server as two nodes of one network over Redis
# (`obrol --workers 2 --redis ...`, with a private redis-server on a free
# port): the primary hands connections to the two workers in turn, so a
# test's clients are spread over both nodes and every exchange between them
# crosses Redis.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
irctest_dir="${1:-/tmp/irctest}"
outfile="${2:-/tmp/obrol-irctest.txt}"
shift $(( $# > 2 ? 2 : $# ))
harness="${IRCTEST_HARNESS:-$root/../shared/irctest}"
[[ -x "$harness/run.sh" ]] || harness=/work/shared/irctest
if [[ ! -x "$harness/run.sh" ]]; then
  echo "irctest harness not found: set IRCTEST_HARNESS to the folder holding run.sh" >&2
  exit 2
fi
fresh_whowas="${FRESH_WHOWAS:-1}"
core='not implementation-specific and not deprecated and not strict and not services'

# What Obrol claims (names irctest knows; draft/metadata-3 and draft/read-marker
# are offered too, but irctest has no name for them to be claimed).
export IRCTEST_CAPABILITIES="${IRCTEST_CAPABILITIES-account-notify account-tag away-notify batch echo-message extended-join extended-monitor labeled-response message-tags multi-prefix server-time setname}"
export IRCTEST_OPTIONAL_BEHAVIORS="${IRCTEST_OPTIONAL_BEHAVIORS-BAN_EXCEPTION_MODE CAP_REQ_MINUS INVITE_EXCEPTION_MODE INVITE_LIST INVITE_OVERRIDES_LIMIT METADATA_BEFORE_CONNECT MULTI_JOIN MULTI_KICK MULTI_NAMES_COMMAND MULTI_PRIVMSG NO_CTCP}"

port=$(grep -E '^\s+port:' "$root/conf/irctest.yaml" | head -n1 | awk '{print $2}')
server=""
nodes="${NODES:-1}"
redis_pid=""
redis_dir=""
cluster_args=()
runs=0
if [[ "$nodes" != 1 ]]; then
  redis_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  redis_dir=$(mktemp -d)
  redis-server --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly no --dir "$redis_dir" >"$redis_dir/log" 2>&1 &
  redis_pid=$!
  for _ in $(seq 1 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$redis_port") 2>/dev/null && break
    sleep 0.1
  done
  cluster_args=(--workers "$nodes" --redis "redis://127.0.0.1:$redis_port" --log-level info)
  echo "running as $nodes nodes over redis-server on port $redis_port"
fi
start_server() {
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "port $port is already in use; stop what listens there first" >&2
    exit 2
  fi
  # Each start is a new network: its own key prefix on the shared redis-server.
  runs=$((runs + 1))
  : > "$outfile.server.log.run"
  # conf/irctest.yaml keeps nothing (store.backend memory); workers share one
  # fresh data file instead, so an account registered on one node logs in on the other.
  local store_env=()
  [[ "$nodes" == 1 ]] || store_env=(OBROL_STORE__BACKEND=sqlite "OBROL_STORE__PATH=$redis_dir/obrol$runs.db")
  env "${store_env[@]}" OBROL_CLUSTER__KEY_PREFIX="irctest$runs:" node "$root/dist/cli/main.js" --config "$root/conf/irctest.yaml" "${cluster_args[@]}" > "$outfile.server.log.run" 2>&1 &
  server=$!
  for _ in $(seq 1 50); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      # Workers: every node must know the others before the first test (each logs node-up per other node).
      [[ "$nodes" == 1 ]] && return 0
      local want=$((nodes * (nodes - 1)))
      for _ in $(seq 1 100); do
        (( $(grep -c '"event":"node-up"' "$outfile.server.log.run") >= want )) && return 0
        sleep 0.1
      done
      echo "the $nodes nodes did not all see each other" >&2
      exit 1
    fi
    sleep 0.1
  done
  echo "the server did not start listening on port $port" >&2
  exit 1
}
stop_server() {
  if [[ -n "$server" ]]; then
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    server=""
    cat "$outfile.server.log.run" >> "$outfile.server.log"
    rm -f "$outfile.server.log.run"
  fi
}
stop_all() {
  stop_server
  if [[ -n "$redis_pid" ]]; then
    kill "$redis_pid" 2>/dev/null || true
    wait "$redis_pid" 2>/dev/null || true
    rm -rf "$redis_dir"
  fi
}
trap stop_all EXIT

: > "$outfile.server.log"
start_server
if [[ "$fresh_whowas" == 1 ]]; then
  "$harness/run.sh" "$irctest_dir" 127.0.0.1 "$port" "$outfile" -m "$core" --ignore=irctest/server_tests/whowas.py "$@"
else
  "$harness/run.sh" "$irctest_dir" 127.0.0.1 "$port" "$outfile" -m "$core" "$@"
fi
stop_server

if [[ "$fresh_whowas" == 1 ]]; then
  echo "WHOWAS tests, each on a freshly started server:"
  for name in $(grep -oE 'def (test[A-Za-z0-9_]+)' "$irctest_dir/irctest/server_tests/whowas.py" | awk '{print $2}'); do
    start_server
    "$harness/run.sh" "$irctest_dir" 127.0.0.1 "$port" "$outfile.whowas" \
      -m "$core" -k "$name" irctest/server_tests/whowas.py >/dev/null 2>&1 || true
    stop_server
    if [[ -f "$outfile.whowas" ]]; then
      grep -v '^#' "$outfile.whowas" | grep -v '^$' | tee -a "$outfile" | cut -f1,2 | sed 's/^/  /' || true
      rm -f "$outfile.whowas" "$outfile.whowas.log"
    fi
  done
  echo
  python3 "$harness/summary.py" "$outfile" | sed -n '/core selection/,/^$/p'
fi
"$harness/bar.py" "$outfile" "$harness/baselines/inspircd.txt" --min-passed 300 --max-failed 0 || true
