#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test (real FUSE mounts included).
set -euo pipefail
cd "$(dirname "$0")"
source scripts/setup.sh

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
set +e
dotnet test CryptStack.sln -c Release -nologo -v quiet -clp:ErrorsOnly \
  --logger "console;verbosity=minimal" --logger "trx;LogFilePrefix=run" --results-directory "$results" "$@"
rc=$?
set -e
# One summary line over all test projects, in the plain form CI reads.
cat "$results"/*.trx 2>/dev/null | grep -o '<Counters [^>]*>' | awk '
  { for (i = 1; i <= NF; i++) { split($i, kv, "=\""); sub("\"", "", kv[2]); n[kv[1]] += kv[2] } }
  END { printf "Tests: %d passed, %d failed, %d skipped\n", n["passed"], n["failed"], n["notExecuted"] }'
# Only this run's scratch tree (TMPDIR), so a second checkout testing at the same time is not blamed.
tmp=$(realpath -m "${TMPDIR:-/tmp}")
left=$(awk -v t="$tmp/cryptstack-" '$3 ~ /^fuse/ && index($2, t) == 1 {print $2}' /proc/mounts)
if [ -n "$left" ]; then echo "test.sh: mounts left behind: $left" >&2; rc=1; fi
exit $rc
