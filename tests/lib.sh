# Shared helpers for the shell tests: check NAME CMD... and the closing "N passed, N failed" line.
# Sourced as `. lib.sh QUANTIZE_BINARY SOURCE_DIR`: sets QUANTIZE, SRC and a WORK folder removed at exit.
QUANTIZE=$1
SRC=$2
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
PASSED=0
FAILED=0
ok() { PASSED=$((PASSED + 1)); echo "ok   $*"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL $*"; }
# expect_exit CODE NAME CMD...: runs CMD, checks its exit code; its stderr is left in $ERR_FILE.
ERR_FILE=$(mktemp)
expect_exit() {
  local want=$1 name=$2; shift 2
  "$@" >/dev/null 2>"$ERR_FILE"
  local got=$?
  if [ "$got" -eq "$want" ]; then ok "$name (exit $got)"; else fail "$name: exit $got, expected $want: $(head -c 400 "$ERR_FILE")"; fi
}
# expect_stderr NAME PATTERN: the last command's stderr matches PATTERN (grep -E).
expect_stderr() {
  if grep -qE -- "$2" "$ERR_FILE"; then ok "$1"; else fail "$1: stderr does not match '$2': $(head -c 400 "$ERR_FILE")"; fi
}
finish() {
  echo "$PASSED passed, $FAILED failed"
  rm -f "$ERR_FILE"
  [ "$FAILED" -eq 0 ]
}
