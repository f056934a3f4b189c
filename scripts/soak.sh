#!/usr/bin/env bash
# Mixed load for as long as asked against fresh mounts, with the daemons' memory sampled each second:
# the suite's LoadTests (tests/CryptStack.Mount.Tests/LoadTests.cs) for longer.
#   scripts/soak.sh [--kind encrypted|mirror|shared] [--seconds 600] [--workers 16] [--seed N]
#                   [--rss-growth-limit-mib M] [--samples FILE.csv]
# encrypted: one `cryptstack mount`; mirror: one `cryptstack mirror`; shared: two `cryptstack mount -o shared`
# of one CIPHERDIR, workers split across them. Prints RSS at start, middle, peak and end, growth over the
# second half, descriptors and threads, then the idle RSS 30 s after the load; exit code as the driver's
# (0 clean, 1 a worker failed, 2 the tree differs from the models, 3 stalled, 4 memory grew past the limit).
# Everything lives under ${TMPDIR:-/tmp} and is unmounted and removed on every exit path.
set -euo pipefail
cd "$(dirname "$0")/.."
kind=encrypted seconds=600 workers=16 seed=$(( (RANDOM << 15 | RANDOM) % 1000000 + 1 )) limit=inf samples=""
while [ $# -gt 0 ]; do
  case "$1" in
    --kind) kind=$2 ;; --seconds) seconds=$2 ;; --workers) workers=$2 ;; --seed) seed=$2 ;;
    --rss-growth-limit-mib) limit=$2 ;; --samples) samples=$2 ;;
    *) echo "soak: unknown option $1" >&2; exit 64 ;;
  esac
  shift 2
done
source scripts/setup.sh
dotnet build tests/CryptStack.Load/CryptStack.Load.csproj -c Release -v quiet -nologo -clp:ErrorsOnly >/dev/null
cs="$PWD/artifacts/bin/cryptstack"
driver="$PWD/tests/CryptStack.Load/bin/Release/net10.0/CryptStack.Load"

work=$(mktemp -d "${TMPDIR:-/tmp}/cryptstack-soak.XXXXXX")
mkdir -p "$work/cipher" "$work/m1" "$work/m2"
cleanup() {
  for m in "$work/m1" "$work/m2"; do
    if grep -q " $m fuse" /proc/mounts; then "$cs" unmount "$m" >/dev/null 2>&1 || fusermount3 -u -z "$m"; fi
  done
  rm -rf "$work"
}
trap cleanup EXIT
echo "soak-passphrase" > "$work/pass"

args=(run --workers "$workers" --seconds "$seconds" --seed "$seed" --stall-seconds 60)
[ "$limit" != inf ] && args+=(--rss-growth-limit-mib "$limit")
[ -n "$samples" ] && args+=(--samples "$samples")
case "$kind" in
  mirror)
    "$cs" mirror "$work/cipher" "$work/m1" --pid-file "$work/p1" --log-file "$work/daemon1.log"
    args+=(--mount "$work/m1" --daemon "$(cat "$work/p1")") ;;
  encrypted|shared)
    "$cs" init --passfile "$work/pass" --kdf-memory 1024 --kdf-iterations 1 --recovery-key-file "$work/recovery" "$work/cipher" >/dev/null
    opts=(); [ "$kind" = shared ] && opts=(-o shared)
    "$cs" mount --passfile "$work/pass" "${opts[@]}" --pid-file "$work/p1" --log-file "$work/daemon1.log" "$work/cipher" "$work/m1"
    args+=(--mount "$work/m1" --daemon "$(cat "$work/p1")")
    if [ "$kind" = shared ]; then
      "$cs" mount --passfile "$work/pass" -o shared --pid-file "$work/p2" --log-file "$work/daemon2.log" "$work/cipher" "$work/m2"
      args+=(--mount "$work/m2" --daemon "$(cat "$work/p2")")
    fi ;;
  *) echo "soak: --kind is encrypted, mirror or shared" >&2; exit 64 ;;
esac

set +e
"$driver" "${args[@]}"
rc=$?
set -e
sleep 30
for p in "$work"/p1 "$work"/p2; do
  [ -f "$p" ] || continue
  pid=$(cat "$p")
  echo "soak: daemon $pid idle 30 s after the load: $(grep VmRSS /proc/"$pid"/status | tr -s ' \t' ' '), $(ls /proc/"$pid"/fd | wc -l) descriptors"
done
exit $rc
