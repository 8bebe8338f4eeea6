#!/usr/bin/env bash
# Writes the reference part of docs/cli.md from the CLI's own help: `quantize --help` and every
# subcommand's `--help`, between the markers "<!-- BEGIN quantize --help -->" and
# "<!-- END quantize --help -->". With --check, only compares (exit 1 and a diff when stale): the
# test suite runs that, so the page never drifts from the binary.
#   bash scripts/gen-cli-help.sh [build/apps/quantize] [--check]
set -euo pipefail
cd "$(dirname "$0")/.."
QUANTIZE=${1:-build/apps/quantize}
CHECK=${2:-}
DOC=docs/cli.md
generated() {
  echo "<!-- BEGIN quantize --help -->"
  echo '```text'
  "$QUANTIZE" --help
  echo '```'
  for sub in $("$QUANTIZE" --help | sed -n '/^Subcommands:/,$p' | awk 'NR > 1 && /^  [a-z]/ {print $1}'); do
    echo
    echo "### quantize $sub"
    echo
    echo '```text'
    "$QUANTIZE" "$sub" --help
    echo '```'
  done
  echo "<!-- END quantize --help -->"
}
new=$(mktemp)
trap 'rm -f "$new"' EXIT
{
  sed '/^<!-- BEGIN quantize --help -->$/,$d' "$DOC"
  generated
  sed '1,/^<!-- END quantize --help -->$/d' "$DOC"
} > "$new"
if [ "$CHECK" = "--check" ]; then
  if ! diff -u "$DOC" "$new"; then
    echo "docs/cli.md is stale: run bash scripts/gen-cli-help.sh" >&2
    exit 1
  fi
  echo "docs/cli.md matches quantize --help"
else
  cp "$new" "$DOC"
fi
