#!/usr/bin/env bash
# The FUSE transports side by side, in one interleaved run: the old libfuse 3.14 binding, our own
# protocol on /dev/fuse, on io_uring, and (mirror only) with kernel passthrough.
#
#   bench/fuse-transports.sh [--reps N] [--old DIR] [--kinds "mirror encrypted"]
#
#   --old DIR   a build of the CLI from before the protocol switch (commit f0bd5d0 or earlier):
#                 git worktree add /tmp/old f0bd5d0 && dotnet build /tmp/old/src/CryptStack.Cli -c Release -o /tmp/old/bin
#               without it the libfuse rows are left out.
#
# Workloads on each mount (attr_timeout=0,entry_timeout=0,direct_io everywhere, so metadata and every read(2)
# and write(2) reach the daemon; O_DIRECT itself is not used: the stack passes it to the backing open,
# where unaligned buffers fail with EINVAL, with the old binding as with the new):
#   untar   tar xf of /usr/include/linux (about 800 entries, 6.5 MB)
#   stat    find -printf %s over that tree, 3 times (every stat a LOOKUP/GETATTR)
#   small   16 MiB in 4 KiB writes, then 4 KiB reads (4096 requests each way)
#   seq     256 MiB in 1 MiB writes with fsync, then 1 MiB reads
# Wall seconds (median of the reps, min–max) and, in brackets, the daemon's CPU seconds for the
# workload (utime+stime from /proc/PID/stat). Needs root (mount(2), passthrough, enable_uring).
# /sys/module/fuse/parameters/enable_uring is set to Y only while an io_uring mount is being made
# and put back at once (a connection keeps io_uring once registered); it is restored on every path.
set -euo pipefail

REPS=3
OLD=""
KINDS="mirror encrypted"
while [ $# -gt 0 ]; do
  case "$1" in
    --reps) REPS=$2; shift 2 ;;
    --old) OLD=$2; shift 2 ;;
    --kinds) KINDS=$2; shift 2 ;;
    *) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
  esac
done
[ "$(id -u)" -eq 0 ] || { echo "fuse-transports.sh: run as root" >&2; exit 2; }

REPO=$(cd "$(dirname "$0")/.." && pwd)
CS="$REPO/artifacts/bin/cryptstack"
[ -x "$CS" ] || (cd "$REPO" && dotnet build src/CryptStack.Cli/CryptStack.Cli.csproj -c Release -o artifacts/bin -v quiet -nologo -clp:ErrorsOnly)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/fuse-transports.XXXXXX")
URING=/sys/module/fuse/parameters/enable_uring
URING_WAS=$(cat "$URING" 2>/dev/null || echo "")
CLK=$(getconf CLK_TCK)
MNT="$WORK/mnt"

cleanup() {
  [ -n "$URING_WAS" ] && echo "$URING_WAS" > "$URING" 2>/dev/null || true
  if grep -q " $MNT " /proc/mounts; then fusermount3 -u "$MNT" 2>/dev/null || umount -l "$MNT" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$MNT"
printf 'bench-passphrase\n' > "$WORK/pass"
tar -C /usr/include -cf "$WORK/src.tar" linux

# config name -> "binary|command|extra -o options|needs io_uring"
declare -A CONF
CONFIGS=()
for kind in $KINDS; do
  verb=$([ "$kind" = mirror ] && echo mirror || echo mount)
  if [ -n "$OLD" ]; then CONF[$kind-libfuse]="$OLD/cryptstack|$verb||"; CONFIGS+=("$kind-libfuse"); fi
  if [ "$kind" = mirror ]; then
    CONF[$kind-devfuse]="$CS|$verb|transport=dev,nopassthrough|"
    CONF[$kind-uring]="$CS|$verb|transport=uring,nopassthrough|Y"
    CONF[$kind-passthrough]="$CS|$verb|transport=dev|"
    CONFIGS+=("$kind-devfuse" "$kind-uring" "$kind-passthrough")
  else
    CONF[$kind-devfuse]="$CS|$verb|transport=dev|"
    CONF[$kind-uring]="$CS|$verb|transport=uring|Y"
    CONFIGS+=("$kind-devfuse" "$kind-uring")
  fi
done
[ -f "$URING" ] || { echo "fuse-transports.sh: no $URING; io_uring rows left out" >&2; CONFIGS=($(printf '%s\n' "${CONFIGS[@]}" | grep -v uring)); }

PID=""
mount_config() {
  local name=$1 bin verb opts uring
  IFS='|' read -r bin verb opts uring <<<"${CONF[$name]}"
  local back="$WORK/back-$name"
  local o="attr_timeout=0,entry_timeout=0,direct_io${opts:+,$opts}"
  if [ ! -d "$back" ]; then
    mkdir -p "$back"
    # The current CLI wants the recovery key in a file when stdout is not a terminal; the old one has no such option.
    local rk=()
    [ "$bin" = "$CS" ] && rk=(--recovery-key-file "$WORK/$name.recovery")
    if [ "$verb" = mount ]; then "$bin" init --passfile "$WORK/pass" "${rk[@]}" "$back" > "$WORK/$name.log" 2>&1; fi
  fi
  [ "$uring" = Y ] && echo Y > "$URING"
  if [ "$verb" = mount ]; then
    "$bin" mount --passfile "$WORK/pass" "$back" "$MNT" -o "$o" --pid-file "$WORK/pid" >> "$WORK/$name.log" 2>&1
  else
    "$bin" mirror "$back" "$MNT" -o "$o" --pid-file "$WORK/pid" >> "$WORK/$name.log" 2>&1
  fi
  stat "$MNT/." > /dev/null   # INIT answered, rings registered
  sleep 0.3
  [ "$uring" = Y ] && echo "$URING_WAS" > "$URING"
  PID=$(cat "$WORK/pid")
}

unmount_config() {
  fusermount3 -u "$MNT"
  while kill -0 "$PID" 2>/dev/null; do sleep 0.05; done
}

cpu() { awk -v c="$CLK" '{ sub(/^.*\) /, ""); printf "%.3f\n", ($12 + $13) / c }' "/proc/$PID/stat"; }
now() { date +%s.%N; }

# run NAME WORKLOAD COMMAND...: appends "wall cpu" to $WORK/NAME.WORKLOAD
run() {
  local name=$1 workload=$2; shift 2
  sync
  local c0 t0 t1 c1
  c0=$(cpu); t0=$(now)
  "$@" > /dev/null 2>&1
  t1=$(now); c1=$(cpu)
  echo "$(echo "$t1 - $t0" | bc -l) $(echo "$c1 - $c0" | bc -l)" >> "$WORK/$name.$workload"
}

stat_all() { for _ in 1 2 3; do find "$MNT/u" -printf '%s\n' > /dev/null; done; }
small_io() {
  dd if=/dev/zero of="$MNT/small" bs=4k count=4096 status=none
  dd if="$MNT/small" of=/dev/null bs=4k status=none
}
seq_io() {
  dd if=/dev/zero of="$MNT/seq" bs=1M count=256 conv=fsync status=none
  dd if="$MNT/seq" of=/dev/null bs=1M status=none
}

WORKLOADS="untar stat small seq"
echo "fuse-transports.sh: ${#CONFIGS[@]} configurations × $REPS reps, $(date -u '+%F %H:%M') UTC, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for rep in $(seq 1 "$REPS"); do
  # Rotate the order each rep, so no configuration always runs first or last.
  n=${#CONFIGS[@]}
  for i in $(seq 0 $((n - 1))); do
    name=${CONFIGS[$(( (i + rep) % n ))]}
    mount_config "$name"
    mkdir -p "$MNT/u"
    run "$name" untar tar -xf "$WORK/src.tar" -C "$MNT/u"
    run "$name" stat stat_all
    run "$name" small small_io
    run "$name" seq seq_io
    rm -rf "$MNT/u" "$MNT/small" "$MNT/seq"
    unmount_config
    echo "  rep $rep: $name done" >&2
  done
done

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo
echo "Command: bench/fuse-transports.sh --reps $REPS${OLD:+ --old $OLD} --kinds \"$KINDS\"; $(date -u '+%F %H:%M') UTC, load $(cut -d' ' -f1-3 /proc/loadavg) at the end, kernel $(uname -r), $(nproc) cores"
echo
echo "| configuration | untar | stat ×3 | small 4 KiB (16 MiB each way) | seq 1 MiB (256 MiB each way) |"
echo "| --- | ---: | ---: | ---: | ---: |"
for name in "${CONFIGS[@]}"; do
  row="| $name"
  for w in $WORKLOADS; do
    f="$WORK/$name.$w"
    wall=$(cut -d' ' -f1 "$f" | median); lo=$(cut -d' ' -f1 "$f" | sort -n | head -1); hi=$(cut -d' ' -f1 "$f" | sort -n | tail -1)
    c=$(cut -d' ' -f2 "$f" | median)
    row+=$(printf ' | %.2f (%.2f–%.2f) [%.2f]' "$wall" "$lo" "$hi" "$c")
  done
  echo "$row |"
done
