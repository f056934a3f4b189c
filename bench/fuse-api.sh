#!/usr/bin/env bash
# High-level (path-based) against low-level (inode-based) libfuse, on a metadata-heavy workload.
#
#   bench/fuse-api.sh [--reps N] [--files N] [--depth N]
#
# Mounts, side by side over separate backing directories:
#   native          the backing directory itself
#   mirror          cryptstack mirror (our binding: libfuse3 high-level API)
#   bindfs          bindfs (libfuse2 high-level API)
#   passthrough     libfuse3's example passthrough.c (high-level, C), built here from libfuse3-dev's examples;
#                   its init() sets entry/attr timeouts to 0, changed to 1 s to match the others; built with
#                   utimensat and xattr support (without them touch fails and ls -l skips its getxattr calls)
#   passthrough_ll  libfuse3's example passthrough_ll.c (low-level, inode table of O_PATH fds, C), timeout 1 s, xattr on
# and times, on a flat tree (FILES empty files in directories of 100) and on a deep one (the same number
# of files at depth DEPTH): create (mkdir -p + touch), stat every file with cold caches (find -printf %s),
# ls -lR with cold caches, and rm -rf. Prints markdown tables (median of REPS, min-max). Needs root.
# Every mount made here is unmounted on exit; only daemons started here are signalled.
set -uo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPS=3 FILES=4000 DEPTH=16
while [ $# -gt 0 ]; do
  case "$1" in
    --reps) REPS=$2; shift ;;
    --files) FILES=$2; shift ;;
    --depth) DEPTH=$2; shift ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "fuse-api.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
log() { printf '[fuse-api %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "error: $*"; exit 1; }
[ "$(id -u)" -eq 0 ] || die "run as root"

need=()
command -v bindfs >/dev/null || need+=(bindfs)
command -v gcc >/dev/null || need+=(gcc)
command -v pkg-config >/dev/null || need+=(pkg-config)
[ -e /usr/share/doc/libfuse3-dev/examples/passthrough_ll.c ] || need+=(libfuse3-dev)
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]}"
  apt-get update -qq >/dev/null 2>&1; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null 2>&1 || die "apt-get install failed"
fi
[ -x "$REPO/artifacts/bin/cryptstack" ] || bash "$REPO/scripts/setup.sh" >&2 || die "setup failed"

WORK=$(mktemp -d /var/tmp/cryptstack-fuseapi.XXXXXX)
MOUNTS=() PIDS=()
cleanup() {
  trap '' INT TERM HUP
  local m p i
  for m in "${MOUNTS[@]}"; do
    mountpoint -q "$m" && { umount "$m" 2>/dev/null || fusermount3 -u "$m" 2>/dev/null || umount -l "$m"; }
  done
  for p in "${PIDS[@]}"; do
    for i in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$p" 2>/dev/null && { kill "$p"; sleep 1; kill -9 "$p" 2>/dev/null; }
  done
  for m in "${MOUNTS[@]}"; do mountpoint -q "$m" && { log "warning: $m still mounted; leaving $WORK"; return; }; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'log interrupted; exit 130' INT TERM HUP

# Build the two libfuse examples.
EX=/usr/share/doc/libfuse3-dev/examples
cp "$EX"/passthrough.c "$EX"/passthrough_ll.c "$EX"/passthrough_helpers.h "$WORK"/
sed -i 's/cfg->entry_timeout = 0;/cfg->entry_timeout = 1.0;/; s/cfg->attr_timeout = 0;/cfg->attr_timeout = 1.0;/' "$WORK/passthrough.c"
for p in passthrough passthrough_ll; do
  gcc -O2 -Wall -DHAVE_UTIMENSAT -DHAVE_POSIX_FALLOCATE -DHAVE_SETXATTR -o "$WORK/$p" "$WORK/$p.c" $(pkg-config --cflags --libs fuse3) 2>"$WORK/$p.build.log" || die "building $p failed: $(tail -3 "$WORK/$p.build.log")"
done
cp -a "$REPO/artifacts/bin" "$WORK/cli"

FS_LIST=(native mirror bindfs passthrough passthrough_ll)
declare -A DIR DPID
for fs in "${FS_LIST[@]}"; do
  back="$WORK/$fs.back" mnt="$WORK/$fs.mnt" pid=""
  mkdir -p "$back" "$mnt"
  case $fs in
    native) DIR[$fs]=$back; continue ;;
    mirror) MOUNTS+=("$mnt"); "$WORK/cli/cryptstack" mirror "$back" "$mnt" --pid-file "$WORK/mirror.pid" >"$WORK/$fs.log" 2>&1 || die "mirror failed"
            pid=$(cat "$WORK/mirror.pid") ;;
    bindfs) MOUNTS+=("$mnt"); bindfs -f "$back" "$mnt" >"$WORK/$fs.log" 2>&1 & pid=$! ;;
    passthrough) MOUNTS+=("$mnt"); "$WORK/passthrough" -f -o modules=subdir,subdir="$back" "$mnt" >"$WORK/$fs.log" 2>&1 & pid=$! ;;
    passthrough_ll) MOUNTS+=("$mnt"); "$WORK/passthrough_ll" -f -o source="$back",timeout=1,xattr "$mnt" >"$WORK/$fs.log" 2>&1 & pid=$! ;;
  esac
  PIDS+=("$pid"); DPID[$fs]=$pid
  for i in $(seq 100); do mountpoint -q "$mnt" && break; sleep 0.1; done
  mountpoint -q "$mnt" || die "$fs did not mount: $(tail -2 "$WORK/$fs.log")"
  DIR[$fs]=$mnt
done

# The trees, as lists of directories and files relative to the mount.
awk -v n="$FILES" 'BEGIN { for (i = 0; i < n; i++) printf "flat/d%03d/f%05d\n", int(i / 100), i }' > "$WORK/flat.files"
awk -v n="$FILES" -v depth="$DEPTH" 'BEGIN {
  for (i = 0; i < n; i++) { p = "deep/c" int(i / 100); for (k = 1; k < depth; k++) p = p "/l" k; printf "%s/f%05d\n", p, i } }' > "$WORK/deep.files"
for t in flat deep; do sed 's|/[^/]*$||' "$WORK/$t.files" | sort -u > "$WORK/$t.dirs"; done

declare -A RES CPU
CLK=$(getconf CLK_TCK)
dcpu() { [ -n "${DPID[$fs]:-}" ] && awk -v c="$CLK" '{ sub(/^.*\) /, ""); printf "%.2f\n", ($12 + $13) / c }' "/proc/${DPID[$fs]}/stat" || echo 0; }
# measure KEY CMD...: wall time into RES, the daemon's CPU time into CPU
measure() { local k=$1 c0 c1; shift; c0=$(dcpu); RES["$k|$fs"]+=" $(timed "$@")"; c1=$(dcpu); CPU["$k|$fs"]+=" $(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.2f", b - a }')"; }
now_ns() { date +%s%N; }
drop() { sync; echo 3 > /proc/sys/vm/drop_caches; }
timed() { local t0 t1; t0=$(now_ns); "$@" >/dev/null 2>>"$WORK/err.log" || { log "failed on $fs: $(tail -1 "$WORK/err.log")"; touch "$WORK/failed"; }; t1=$(now_ns); awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", (b - a) / 1e9 }'; }
create() { cd "$1" && xargs -a "$WORK/$2.dirs" mkdir -p && xargs -a "$WORK/$2.files" touch; }
statall() { find "$1/$2" -type f -printf '%s\n'; }

log "filesystems: ${FS_LIST[*]}; $FILES files per tree, deep tree at depth $DEPTH; $REPS repetitions"
for r in $(seq "$REPS"); do
  for t in flat deep; do
    for fs in "${FS_LIST[@]}"; do
      d=${DIR[$fs]}
      measure "$t create" bash -c "$(declare -f create); WORK=$WORK; create $d $t"
      drop; measure "$t stat" statall "$d" "$t"
      drop; measure "$t ls -lR" ls -lR "$d/$t"
      measure "$t rm -rf" rm -rf "$d/$t"
      log "$r/$REPS $t $fs: create ${RES["$t create|$fs"]##* } stat ${RES["$t stat|$fs"]##* } ls ${RES["$t ls -lR|$fs"]##* } rm ${RES["$t rm -rf|$fs"]##* } s"
    done
  done
done

stats() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.2f (%.2f–%.2f)", m, v[1], v[NR] }'; }
cpumed() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { printf "%.2f", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo "Command: \`bench/fuse-api.sh --reps $REPS --files $FILES --depth $DEPTH\`, $(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg) at the end."
echo "Wall seconds, median of $REPS (min–max), then in brackets the CPU seconds the FUSE daemon used (median)."
echo "Cold = after \`sync; echo 3 > /proc/sys/vm/drop_caches\`."
for t in flat deep; do
  echo
  if [ "$t" = flat ]; then echo "Flat tree: $FILES empty files, 100 per directory"; else echo "Deep tree: $FILES empty files, 100 per directory, at depth $(( DEPTH + 1 ))"; fi
  echo
  echo "| filesystem | create (mkdir -p, touch) | stat all, cold (find -printf %s) | ls -lR, cold | rm -rf |"
  echo "| --- | ---: | ---: | ---: | ---: |"
  for fs in "${FS_LIST[@]}"; do
    row="| $fs |"
    for k in create stat "ls -lR" "rm -rf"; do
      row="$row $(stats ${RES["$t $k|$fs"]})"; [ "$fs" != native ] && row="$row [$(cpumed ${CPU["$t $k|$fs"]})]"; row="$row |"
    done
    echo "$row"
  done
done
[ -e "$WORK/failed" ] && { echo; echo "**Some operations failed: see the log lines above; their times are not comparable.**"; }
exit 0
