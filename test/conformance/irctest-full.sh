#!/usr/bin/env bash
# Run irctest through the project's own controller (irctest_obrol.py): irctest
# starts a fresh Obrol for every test with the configuration the test asks
# for (connection password, faketime, account-registration options, ...).
#
# usage: test/conformance/irctest-full.sh [IRCTEST_DIR] [OUTFILE] [extra pytest args...]
#
#   IRCTEST_DIR  a work tree of github:progval/irctest (default /tmp/irctest)
#   OUTFILE      per-test results, tab-separated like the shared harness's
#                (default /tmp/obrol-irctest-full.txt); the pytest log goes
#                to OUTFILE.log
#   extra args   passed to pytest, e.g. a file (irctest/server_tests/sasl.py)
#                or -k chathistory
#
# SELECTION=all (default) runs every server test, whatever its markers;
# SELECTION=core runs the core selection of test/conformance/irctest.sh
# (not implementation-specific, deprecated, strict or services).
# OBROL_REPO (default: this checkout) names the build to test: npm run build
# there first. IRCTEST_TEST_TIMEOUT (default 60) limits one test,
# IRCTEST_TOTAL_TIMEOUT (default 1800) the whole run, in seconds.
#
# Prints the results per test file (passed, failed, skipped...) and the
# totals, then the core-selection line of the shared harness's bar.py when
# ../shared/irctest is there.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
irctest_dir="${1:-/tmp/irctest}"
outfile="${2:-/tmp/obrol-irctest-full.txt}"
shift $(( $# > 2 ? 2 : $# ))
irctest_dir="$(cd "$irctest_dir" && pwd)"
mkdir -p "$(dirname "$outfile")"
outfile="$(cd "$(dirname "$outfile")" && pwd)/$(basename "$outfile")"
export OBROL_REPO="${OBROL_REPO:-$root}"
if [[ ! -f "$OBROL_REPO/dist/cli/main.js" ]]; then
  echo "no build in $OBROL_REPO: run npm run build there first" >&2
  exit 2
fi
if [[ ! -f "$irctest_dir/conftest.py" ]]; then
  echo "'$irctest_dir' is not an irctest checkout (clone github:progval/irctest)" >&2
  exit 2
fi
command -v faketime >/dev/null || echo "note: no faketime binary (Debian package faketime): the faketime tests will be skipped or slow" >&2

marker=()
case "${SELECTION:-all}" in
  all) ;;
  core) marker=(-m 'not implementation-specific and not deprecated and not strict and not services') ;;
  *) echo "SELECTION must be all or core" >&2; exit 2 ;;
esac
paths=(irctest/server_tests)
for a in "$@"; do
  case "$a" in irctest/*|./irctest/*) paths=(); break ;; esac
done

echo "irctest: $irctest_dir ($(git -C "$irctest_dir" rev-parse --short HEAD 2>/dev/null || echo '?'))"
echo "obrol:   $OBROL_REPO ($(git -C "$OBROL_REPO" rev-parse --short HEAD 2>/dev/null || echo '?'))"
echo "results: $outfile (log: $outfile.log)"
start=$(date +%s)
set +e
(
  cd "$irctest_dir" || exit 2
  export PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}" PYTHONDONTWRITEBYTECODE=1
  exec timeout -k 10 "${IRCTEST_TOTAL_TIMEOUT:-1800}" python3 -m pytest \
    -p irctest_obrol_results -p no:cacheprovider \
    --controller irctest_obrol \
    --obrol-results "$outfile" --obrol-test-timeout "${IRCTEST_TEST_TIMEOUT:-60}" \
    -rfEX --tb=short --color=no \
    "${marker[@]}" "${paths[@]}" "$@"
) >"$outfile.log" 2>&1
rc=$?
set -e
echo "pytest exit status $rc after $(( $(date +%s) - start )) s: $(tail -n 1 "$outfile.log")"
echo
python3 "$here/irctest_per_file.py" "$outfile"
harness="${IRCTEST_HARNESS:-$root/../shared/irctest}"
[[ -x "$harness/bar.py" ]] || harness=/work/shared/irctest
if [[ -x "$harness/bar.py" ]]; then
  echo
  "$harness/bar.py" "$outfile" "$harness/baselines/inspircd.txt" --min-passed 300 --max-failed 0 || true
fi
case $rc in
  0|1|5) exit 0 ;;
  124|137) echo "the run exceeded IRCTEST_TOTAL_TIMEOUT; the results are partial" >&2; exit 124 ;;
  *) echo "pytest exited with status $rc; see $outfile.log" >&2; exit "$rc" ;;
esac
