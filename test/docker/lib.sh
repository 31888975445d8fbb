# Shared by the container tests (run.sh, compose.sh): timing and reporting.
# Source it after setting TEST_NAME (e.g. docker-test).
now_ms() { date +%s%3N; }
T0=$(now_ms)
secs() { local ms=$1; printf '%d.%d' $((ms / 1000)) $((ms % 1000 / 100)); }

say() { printf '[%s %6ss] %s\n' "$TEST_NAME" "$(secs $(($(now_ms) - T0)))" "$*"; }
die() {
  printf '\n[%s] FAILED: %s\n' "$TEST_NAME" "$*" >&2
  exit 1
}
# timed LABEL CMD...: run CMD, report how long it took.
timed() {
  local label=$1 start
  shift
  start=$(now_ms)
  "$@"
  say "$label took $(secs $(($(now_ms) - start))) s"
}
