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
# conf/irctest.yaml, runs the core selection, prints the summary and the
# one-line comparison with the InspIRCd baseline, and stops the server.
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
port=$(grep -E '^\s+port:' "$root/conf/irctest.yaml" | head -n1 | awk '{print $2}')
if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
  echo "port $port is already in use; stop what listens there first" >&2
  exit 2
fi
node "$root/dist/cli/main.js" --config "$root/conf/irctest.yaml" > "$outfile.server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.1
done
"$harness/run.sh" "$irctest_dir" 127.0.0.1 "$port" "$outfile" \
  -m 'not implementation-specific and not deprecated and not strict and not services' "$@"
"$harness/bar.py" "$outfile" "$harness/baselines/inspircd.txt" || true
