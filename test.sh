#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test (real FUSE mounts included).
set -euo pipefail
cd "$(dirname "$0")"
source scripts/setup.sh

results=$(mktemp -d)
uring=/sys/module/fuse/parameters/enable_uring
uring_was=
restore_uring() { if [ -n "$uring_was" ]; then echo "$uring_was" > "$uring"; uring_was=; fi; }
trap 'restore_uring; rm -rf "$results"' EXIT
trap 'restore_uring; exit 130' INT TERM

# One summary line over the test projects of a pass, in the plain form CI reads.
summary() {
  cat "$1"/*.trx 2>/dev/null | grep -o '<Counters [^>]*>' | awk -v label="$2" '
    { for (i = 1; i <= NF; i++) { split($i, kv, "=\""); sub("\"", "", kv[2]); n[kv[1]] += kv[2] } }
    END { printf "%s: %d passed, %d failed, %d skipped\n", label, n["passed"], n["failed"], n["notExecuted"] }'
}

set +e
dotnet test CryptStack.sln -c Release -nologo -v quiet -clp:ErrorsOnly \
  --logger "console;verbosity=minimal" --logger "trx;LogFilePrefix=run" --results-directory "$results" "$@"
rc=$?
set -e
summary "$results" "Tests"

# Second pass: the mount suites again with the daemon on FUSE-over-io_uring. The kernel offers it only
# while the system-wide switch is Y; only this script (as root) flips it, and puts it back on every path.
# Opt-in for now (CRYPTSTACK_URING_PASS=1): the pass still has a hang being chased.
if [ "${CRYPTSTACK_URING_PASS:-0}" = 1 ] && [ -w "$uring" ]; then
  uring_was=$(cat "$uring")
  echo Y > "$uring"
  mkdir -p "$results/uring"
  set +e
  for project in tests/CryptStack.Fuse.Tests tests/CryptStack.Mount.Tests; do
    dotnet test "$project" -c Release -nologo -v quiet -clp:ErrorsOnly --no-build \
      --logger "console;verbosity=minimal" --logger "trx;LogFilePrefix=uring" --results-directory "$results/uring" "$@" || rc=1
  done
  set -e
  restore_uring
  summary "$results/uring" "Tests over io_uring"
else
  echo "Tests over io_uring: skipped (set CRYPTSTACK_URING_PASS=1; needs root and a kernel with FUSE over io_uring)"
fi
# Only this run's scratch tree (TMPDIR), so a second checkout testing at the same time is not blamed.
tmp=$(realpath -m "${TMPDIR:-/tmp}")
left=$(awk -v t="$tmp/cryptstack-" '$3 ~ /^fuse/ && index($2, t) == 1 {print $2}' /proc/mounts)
if [ -n "$left" ]; then echo "test.sh: mounts left behind: $left" >&2; rc=1; fi
exit $rc
