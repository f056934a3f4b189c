#!/usr/bin/env bash
# Unlock wall time: `cryptstack mount` against `gocryptfs` (its defaults: scrypt N=2^16, 64 MiB) in one
# interleaved run, plus the daemon's CPU seconds when the mount was ready. Each round mounts and unmounts
# every volume once, in turn, so background load hits them alike.
#
#   bench/unlock.sh [--rounds N] [--cli DIR] [--kdf-memory KIB --kdf-iterations N]
#
# A wrong passphrase (every passphrase slot tried) is timed for cryptstack too, on a volume with 5
# passphrase slots. Only the mounts and daemons made here are touched.
set -uo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROUNDS=5 CLI_DIR="$REPO/artifacts/bin" KDF=()
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS=$2; shift ;;
    --cli) CLI_DIR=$2; shift ;;
    --kdf-memory|--kdf-iterations) KDF+=("$1" "$2"); shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
CS="$CLI_DIR/cryptstack"
[ -x "$CS" ] || { echo "no $CS (run scripts/setup.sh or give --cli DIR)" >&2; exit 2; }
command -v gocryptfs >/dev/null || { echo "needs gocryptfs (apt-get install gocryptfs)" >&2; exit 2; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/cryptstack-unlock.XXXXXX")
cleanup() {
  for m in "$WORK"/*/mnt; do grep -q " $m " /proc/mounts && fusermount3 -u -z "$m"; done
  rm -rf "$WORK"
}
trap cleanup EXIT
echo "unlock bench pw" >"$WORK/pass"
echo "not the passphrase" >"$WORK/wrong"
mkdir -p "$WORK/cs/mnt" "$WORK/go/mnt" "$WORK/cs5/mnt"
"$CS" init --passfile "$WORK/pass" --recovery-key-file "$WORK/cs.recovery" "${KDF[@]}" "$WORK/cs/c" >/dev/null
"$CS" init --passfile "$WORK/pass" --recovery-key-file "$WORK/cs5.recovery" "${KDF[@]}" "$WORK/cs5/c" >/dev/null
for i in 2 3 4 5; do
  echo "extra pw $i" >"$WORK/pass$i"
  "$CS" key add "$WORK/cs5/c" --unlock-passfile "$WORK/pass" --passfile "$WORK/pass$i" "${KDF[@]}" >/dev/null
done
mkdir -p "$WORK/go/c" && gocryptfs -q -init -passfile "$WORK/pass" "$WORK/go/c" >/dev/null

now() { date +%s.%N; }
cpu_of() { awk '{ printf "%.2f", ($14 + $15) / 100 }' "/proc/$1/stat" 2>/dev/null; }
declare -A WALL CPU
for r in $(seq "$ROUNDS"); do
  t0=$(now); "$CS" mount --passfile "$WORK/pass" --pid-file "$WORK/cs.pid" "$WORK/cs/c" "$WORK/cs/mnt"; t1=$(now)
  WALL[cs]+="$(echo "$t1 - $t0" | bc) "; CPU[cs]+="$(cpu_of "$(cat "$WORK/cs.pid")") "
  "$CS" unmount "$WORK/cs/mnt"

  t0=$(now); gocryptfs -q -passfile "$WORK/pass" "$WORK/go/c" "$WORK/go/mnt"; t1=$(now)
  WALL[go]+="$(echo "$t1 - $t0" | bc) "; CPU[go]+="$(cpu_of "$(pgrep -n -f "gocryptfs.*$WORK/go/c")") "
  fusermount3 -u "$WORK/go/mnt"; sleep 0.3

  t0=$(now); "$CS" key test "$WORK/cs5/c" --passfile "$WORK/wrong" 2>/dev/null; t1=$(now)
  WALL[wrong5]+="$(echo "$t1 - $t0" | bc) "
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{ a[NR] = $1 } END { printf "%.2f (%.2f-%.2f)", a[int((NR + 1) / 2)], a[1], a[NR] }'; }
echo "| what | wall s, median (min-max) | daemon CPU s at ready, median |"
echo "|---|---|---|"
echo "| cryptstack mount (Argon2id ${KDF[*]:-default}) | $(median <<<"${WALL[cs]}") | $(median <<<"${CPU[cs]}") |"
echo "| gocryptfs mount (scrypt N=2^16, default) | $(median <<<"${WALL[go]}") | $(median <<<"${CPU[go]}") |"
echo "| cryptstack key test, wrong passphrase, 5 passphrase slots | $(median <<<"${WALL[wrong5]}") | - |"
echo "($ROUNDS rounds, interleaved; $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg))"
