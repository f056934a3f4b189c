#!/usr/bin/env bash
# CryptStack mounts against their peers, side by side in one run.
#
#   bench/run.sh [--quick] [--reps N] [--only LIST] [--tree linux|linux-full|generated]
#                [--dir DIR] [--cli DIR] [--no-doc]
#
# --cli DIR: take the cryptstack CLI from DIR (default artifacts/bin, built by scripts/setup.sh if missing),
# e.g. a private build: dotnet build src/CryptStack.Cli -c Release --artifacts-path /tmp/cs-bench2
#
# Filesystems (LIST is comma separated, default: all that are available):
#   native      the backing directory itself (ext4 or whatever DIR is on)
#   mirror      cryptstack mirror            (no crypto, our stack; compare with bindfs)
#   bindfs      bindfs -f                    (no-op FUSE mirror, libfuse high-level API)
#   cryptstack  cryptstack mount             (encrypted; included when `cryptstack mount --help` works)
#   gocryptfs   gocryptfs -f                 (encrypted, Go, go-fuse)
#   securefs    securefs mount               (encrypted, C++, libfuse high-level API)
#
# Workloads: dd sequential write / read, fio 4 KiB random read, and untar / md5sum / ls -lR / rm -rf of
# a source tree. Each measurement is repeated (default 3) and reported as median and min-max; the
# repetitions are interleaved across filesystems so that background load hits them all alike.
# Results are printed as markdown and written into docs/performance.md, section "Mounts against peers",
# between the markers of this mode (full or quick); --no-doc leaves the doc alone.
#
# Needs root (apt-get, drop_caches). Every mount made here is unmounted on exit, Ctrl-C or failure;
# only the daemons this script started are ever signalled.
set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DOC="$REPO/docs/performance.md"
ORIG_ARGS="$*"

QUICK=0 REPS=3 ONLY="" TREE="" BASEDIR="" WRITE_DOC=1 CLI_DIR=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK=1 ;;
    --reps) REPS=$2; shift ;;
    --only) ONLY=$2; shift ;;
    --tree) TREE=$2; shift ;;
    --dir) BASEDIR=$2; shift ;;
    --cli) CLI_DIR=$(cd "$2" && pwd) || exit 2; shift ;;
    --no-doc) WRITE_DOC=0 ;;
    -h|--help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

if [ "$QUICK" = 1 ]; then
  MODE=quick; DD_MIB=128; FIO_MIB=64; FIO_RUNTIME=5; TREE=${TREE:-linux-small}
else
  MODE=full; DD_MIB=512; FIO_MIB=256; FIO_RUNTIME=20; TREE=${TREE:-linux}
fi
# Subsets of the Linux 6.1 tree (the whole tree, 84k files, takes about 2.5 minutes per FUSE mount and
# repetition here: --tree linux-full).
LINUX_SUBSET_FULL="fs include kernel mm lib block crypto"   # about 10,000 files, 105 MB
LINUX_SUBSET_SMALL="kernel mm"                               # about 770 files, 16 MB

log() { printf '[bench %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (apt-get, /proc/sys/vm/drop_caches, allow_other)"

# ---------------------------------------------------------------- tools
APT_UPDATED=0
apt_install() {
  [ $# -gt 0 ] || return 0
  if [ "$APT_UPDATED" = 0 ]; then apt-get update -qq >/dev/null 2>&1 || true; APT_UPDATED=1; fi
  log "installing $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1
}
need=()
command -v fusermount3 >/dev/null || need+=(fuse3)
command -v fio >/dev/null || need+=(fio)
command -v bindfs >/dev/null || need+=(bindfs)
command -v gocryptfs >/dev/null || need+=(gocryptfs)
command -v securefs >/dev/null || need+=(securefs)
command -v xz >/dev/null || need+=(xz-utils)
apt_install "${need[@]}" || log "warning: could not install some of: ${need[*]} (those filesystems are skipped)"
case "$TREE" in
  linux*)
    if [ ! -e /usr/src/linux-source-6.1.tar.xz ]; then
      # About 140 MB; took well under a minute here. Fall back to a generated tree if it fails.
      timeout 300 bash -c "$(declare -f apt_install log); APT_UPDATED=$APT_UPDATED; apt_install linux-source-6.1" \
        || log "warning: linux-source-6.1 could not be installed"
    fi ;;
esac

CLI_DIR=${CLI_DIR:-$REPO/artifacts/bin}
[ -x "$CLI_DIR/cryptstack" ] || [ "$CLI_DIR" != "$REPO/artifacts/bin" ] || {
  log "building the CLI (scripts/setup.sh)"
  bash "$REPO/scripts/setup.sh" >&2 || die "scripts/setup.sh failed"
}
[ -x "$CLI_DIR/cryptstack" ] || die "no cryptstack in $CLI_DIR"

# ---------------------------------------------------------------- work area and cleanup
BASEDIR=${BASEDIR:-/var/tmp}
mkdir -p "$BASEDIR"
WORK=$(mktemp -d "$BASEDIR/cryptstack-bench.XXXXXX") || die "mktemp failed"
CACHE="$BASEDIR/cryptstack-bench-cache"   # the prepared tree tarballs, kept between runs
mkdir -p "$CACHE"

MOUNTS=()   # mount points made here
PIDS=()     # daemons started here
unmount_one() {
  local m=$1
  mountpoint -q "$m" 2>/dev/null || return 0
  umount "$m" 2>/dev/null || fusermount3 -u "$m" 2>/dev/null || fusermount -u "$m" 2>/dev/null \
    || umount -l "$m" 2>/dev/null || fusermount3 -uz "$m" 2>/dev/null
}
CLEANED=0
cleanup() {
  [ "$CLEANED" = 1 ] && return; CLEANED=1
  trap '' INT TERM HUP
  local m p i
  for m in "${MOUNTS[@]}"; do unmount_one "$m"; done
  for p in "${PIDS[@]}"; do
    for i in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$p" 2>/dev/null; then log "daemon $p still running after unmount: SIGTERM"; kill "$p" 2>/dev/null; sleep 1; kill -9 "$p" 2>/dev/null; fi
  done
  for m in "${MOUNTS[@]}"; do mountpoint -q "$m" 2>/dev/null && log "warning: $m is still mounted"; done
  for m in "${MOUNTS[@]}"; do mountpoint -q "$m" 2>/dev/null && { log "leaving $WORK in place"; return; }; done
  rm -rf "$WORK" 2>/dev/null
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM HUP

# A private copy of the CLI: others rebuild artifacts/bin while we run, and a running daemon must not see
# its assemblies replaced.
cp -a "$CLI_DIR" "$WORK/cli"
CS="$WORK/cli/cryptstack"
CS_HAS_MOUNT=0
"$CS" mount --help 2>/dev/null | grep -q 'cryptstack mount' && CS_HAS_MOUNT=1

ALL_FS="native mirror bindfs cryptstack gocryptfs securefs"
want() { [ -z "$ONLY" ] && return 0; [[ ",$ONLY," == *",$1,"* ]]; }

# ---------------------------------------------------------------- mounts
declare -A DIR     # fs -> directory the workloads run in
declare -A NOTE    # fs -> why it was skipped
declare -A DPID    # fs -> daemon pid, for its CPU time
FS_LIST=()

wait_mounted() {   # mountpoint pid seconds
  local i
  for i in $(seq $(( $3 * 10 ))); do
    mountpoint -q "$1" && return 0
    [ -n "$2" ] && ! kill -0 "$2" 2>/dev/null && return 1
    sleep 0.1
  done
  return 1
}

setup_fs() {
  local fs=$1 back="$WORK/$1.back" mnt="$WORK/$1.mnt" pid=""
  mkdir -p "$back" "$mnt"
  case "$fs" in
    native)
      DIR[$fs]=$back; return 0 ;;
    mirror)
      MOUNTS+=("$mnt")
      "$CS" mirror "$back" "$mnt" --pid-file "$WORK/$fs.pid" >"$WORK/$fs.log" 2>&1 || { NOTE[$fs]="cryptstack mirror failed: $(tail -1 "$WORK/$fs.log")"; return 1; }
      pid=$(cat "$WORK/$fs.pid" 2>/dev/null); [ -n "$pid" ] && PIDS+=("$pid") ;;
    cryptstack)
      [ "$CS_HAS_MOUNT" = 1 ] || { NOTE[$fs]="\`cryptstack mount\` is not there yet in this build"; return 1; }
      echo "bench-passphrase" > "$WORK/pass"
      "$CS" init --passfile "$WORK/pass" --recovery-key-file "$WORK/$fs.recovery" "$back" >"$WORK/$fs.log" 2>&1 || { NOTE[$fs]="cryptstack init failed: $(tail -1 "$WORK/$fs.log")"; return 1; }
      MOUNTS+=("$mnt")
      "$CS" mount --passfile "$WORK/pass" "$back" "$mnt" --pid-file "$WORK/$fs.pid" >>"$WORK/$fs.log" 2>&1 || { NOTE[$fs]="cryptstack mount failed: $(tail -1 "$WORK/$fs.log")"; return 1; }
      pid=$(cat "$WORK/$fs.pid" 2>/dev/null); [ -n "$pid" ] && PIDS+=("$pid") ;;
    bindfs)
      command -v bindfs >/dev/null || { NOTE[$fs]="bindfs not installed"; return 1; }
      MOUNTS+=("$mnt")
      bindfs -f "$back" "$mnt" >"$WORK/$fs.log" 2>&1 & pid=$!; PIDS+=("$pid") ;;
    gocryptfs)
      command -v gocryptfs >/dev/null || { NOTE[$fs]="gocryptfs not installed"; return 1; }
      gocryptfs -q -init -extpass "echo pw" -scryptn 10 "$back" >"$WORK/$fs.log" 2>&1 || { NOTE[$fs]="gocryptfs -init failed"; return 1; }
      MOUNTS+=("$mnt")
      gocryptfs -q -f -extpass "echo pw" "$back" "$mnt" >>"$WORK/$fs.log" 2>&1 & pid=$!; PIDS+=("$pid") ;;
    securefs)
      command -v securefs >/dev/null || { NOTE[$fs]="securefs not installed"; return 1; }
      securefs create --pass pw --pbkdf pkcs5-pbkdf2-hmac-sha256 --rounds 1000 "$back" >"$WORK/$fs.log" 2>&1 || { NOTE[$fs]="securefs create failed"; return 1; }
      MOUNTS+=("$mnt")
      securefs mount --pass pw "$back" "$mnt" >>"$WORK/$fs.log" 2>&1 & pid=$!; PIDS+=("$pid") ;;
  esac
  wait_mounted "$mnt" "$pid" 20 || { NOTE[$fs]="$fs did not mount: $(tail -1 "$WORK/$fs.log")"; return 1; }
  DIR[$fs]=$mnt; DPID[$fs]=$pid
}

for fs in $ALL_FS; do
  want "$fs" || continue
  if setup_fs "$fs"; then FS_LIST+=("$fs"); log "$fs ready at ${DIR[$fs]}"
  else log "skipping $fs: ${NOTE[$fs]}"; fi
done
[ ${#FS_LIST[@]} -gt 0 ] || die "no filesystem to measure"

# ---------------------------------------------------------------- the source tree
prepare_tree() {
  local key="$TREE" subset="" out
  case "$TREE" in
    linux) subset=$LINUX_SUBSET_FULL ;;
    linux-small) subset=$LINUX_SUBSET_SMALL ;;
    linux-full) subset="" ;;
    generated) ;;
    *) die "unknown --tree $TREE" ;;
  esac
  out="$CACHE/tree-$key.tar"
  local desc="Linux 6.1 source (Debian linux-source-6.1 $(dpkg-query -W -f '${Version}' linux-source-6.1 2>/dev/null))${subset:+, directories: $subset}"
  if [ "$TREE" != generated ] && [ -s "$out" ]; then TREE_TAR=$out; TREE_DESC=$desc; return; fi
  if [[ "$TREE" == linux* ]] && [ -e /usr/src/linux-source-6.1.tar.xz ]; then
    log "preparing $key tree from /usr/src/linux-source-6.1.tar.xz"
    local members=() d
    for d in $subset; do members+=("linux-source-6.1/$d"); done
    if xz -dc /usr/src/linux-source-6.1.tar.xz | tar xf - -C "$WORK" "${members[@]}" \
       && tar cf "$out.tmp" -C "$WORK" linux-source-6.1 && mv "$out.tmp" "$out"; then
      rm -rf "$WORK/linux-source-6.1"; TREE_TAR=$out; TREE_DESC=$desc
      return
    fi
    rm -rf "$WORK/linux-source-6.1" "$out.tmp"
    log "warning: could not unpack the Linux source: falling back to a generated tree"
  elif [[ "$TREE" == linux* ]]; then
    log "warning: no /usr/src/linux-source-6.1.tar.xz: falling back to a generated tree"
  fi
  # Deterministic generated tree: same names, sizes and contents on every machine (awk's srand(1)).
  local nfiles=10000; [ "$QUICK" = 1 ] && nfiles=800
  key="generated-$nfiles"; out="$CACHE/tree-$key.tar"
  if [ ! -s "$out" ]; then
    log "generating a tree of $nfiles files"
    mkdir -p "$WORK/gen/tree"
    awk -v n="$nfiles" -v root="$WORK/gen/tree" 'BEGIN {
      srand(1); line = "the quick brown fox jumps over the lazy dog 0123456789 abcdefghijklmnopqrstuvwxyz"
      for (i = 0; i < n; i++) {
        d = root "/d" int(i / 400) "/s" int(i / 25)
        if (!(d in made)) { system("mkdir -p \"" d "\""); made[d] = 1 }
        r = rand(); size = (r < 0.5) ? int(rand() * 8192) : (r < 0.9) ? int(rand() * 32768) : int(rand() * 262144)
        f = d "/file" i ".c"
        for (w = 0; w < size; w += length(line) + 12) printf "%s %010d\n", line, i * 7919 + w > f
        close(f)
      }
    }'
    tar cf "$out.tmp" -C "$WORK/gen" tree && mv "$out.tmp" "$out"
    rm -rf "$WORK/gen"
  fi
  TREE_TAR=$out; TREE_DESC="generated tree ($nfiles files, deterministic; the Linux source was not available)"
}
TREE_DESC=""
prepare_tree
TREE_TOP=$(tar tf "$TREE_TAR" | head -1); TREE_TOP=${TREE_TOP%%/*}
TREE_FILES=$(tar tf "$TREE_TAR" | grep -vc '/$')
TREE_MB=$(( $(stat -c %s "$TREE_TAR") / 1000000 ))
log "tree: $TREE_DESC: $TREE_FILES files, $TREE_MB MB tar"

# ---------------------------------------------------------------- measuring
declare -A RES     # "workload|fs" -> space separated values
declare -A CMD     # workload -> command line shown in the doc
declare -A UNIT    # workload -> unit
declare -A BETTER  # workload -> high|low
declare -A FAILS   # "workload|fs" -> count
WORKLOADS=()
add_workload() { WORKLOADS+=("$1"); UNIT[$1]=$2; BETTER[$1]=$3; CMD[$1]=$4; }

drop_caches() { sync; echo 3 > /proc/sys/vm/drop_caches; }
now_ns() { date +%s%N; }
record() { RES["$1|$2"]="${RES["$1|$2"]:-} $3"; }
declare -A CPU     # "workload|fs" -> daemon CPU seconds per repetition
CLK=$(getconf CLK_TCK)
dcpu() { [ -n "${DPID[$1]:-}" ] && awk -v c="$CLK" '{ sub(/^.*\) /, ""); printf "%.2f\n", ($12 + $13) / c }' "/proc/${DPID[$1]}/stat" 2>/dev/null || echo ""; }
cpu_since() { local now; now=$(dcpu "$2"); [ -n "$now" ] && [ -n "$3" ] && CPU["$1|$2"]="${CPU["$1|$2"]:-} $(awk -v a="$3" -v b="$now" 'BEGIN { printf "%.2f", b - a }')"; }
failed() {
  FAILS["$1|$2"]=$(( ${FAILS["$1|$2"]:-0} + 1 ))
  log "FAILED: $1 on $2"; tail -3 "$WORK/err.log" >&2
}
# Run a command, print its wall time in seconds (3 decimals). Returns the command's status.
timed() {
  local t0 t1 rc
  t0=$(now_ns); timeout 900 "$@" 2>>"$WORK/err.log"; rc=$?; t1=$(now_ns)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", (b - a) / 1e9 }'
  return $rc
}

DD_W="dd if=/dev/zero of=DIR/dd.bin bs=1M count=$DD_MIB conv=fsync"
DD_R="dd if=DIR/dd.bin of=/dev/null bs=1M"
FIO="fio --name=randread --filename=DIR/fio.bin --size=${FIO_MIB}M --bs=4k --rw=randread --ioengine=psync --iodepth=1 --invalidate=1 --fallocate=none --runtime=$FIO_RUNTIME"
add_workload ddwrite "MB/s" high "$DD_W (file removed first; MB/s = 10^6 bytes/s from dd's own timing)"
add_workload ddread "MB/s" high "sync; echo 3 > /proc/sys/vm/drop_caches; $DD_R"
add_workload fio "IOPS" high "sync; echo 3 > /proc/sys/vm/drop_caches; $FIO  (one pass over a $FIO_MIB MiB file written through the mount, cold caches, stops after ${FIO_RUNTIME} s)"
add_workload untar "s" low "tar xf TREE.tar -C DIR  (TREE.tar on the native disk, cached; not synced inside the timing)"
add_workload md5sum "s" low "sync; echo 3 > /proc/sys/vm/drop_caches; cd DIR && find . -type f -print0 | xargs -0 md5sum"
add_workload lslR "s" low "sync; echo 3 > /proc/sys/vm/drop_caches; ls -lR DIR"
add_workload rmrf "s" low "rm -rf DIR/$TREE_TOP  (right after ls -lR, so metadata is as ls -lR left it; cold, native rm waits on disk reads: 2 to 18 s here)"

dd_rate() {  # prints MB/s from dd's own summary line
  LC_ALL=C awk '/copied/ { for (i = 1; i <= NF; i++) if ($i == "s," || $i == "s") { printf "%.0f\n", $1 / $(i-1) / 1e6; exit } }'
}

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
T_START=$(date +%s)
log "filesystems: ${FS_LIST[*]}; mode $MODE, $REPS repetitions"

# Sequential write and read
for r in $(seq "$REPS"); do
  for fs in "${FS_LIST[@]}"; do
    d=${DIR[$fs]}
    rm -f "$d/dd.bin"; sync
    out=$(LC_ALL=C timeout 900 dd if=/dev/zero of="$d/dd.bin" bs=1M count="$DD_MIB" conv=fsync 2>&1) \
      && v=$(dd_rate <<<"$out") && [ -n "$v" ] && record ddwrite "$fs" "$v" || { echo "$out" >>"$WORK/err.log"; failed ddwrite "$fs"; }
    drop_caches
    out=$(LC_ALL=C timeout 900 dd if="$d/dd.bin" of=/dev/null bs=1M 2>&1) \
      && v=$(dd_rate <<<"$out") && [ -n "$v" ] && record ddread "$fs" "$v" || { echo "$out" >>"$WORK/err.log"; failed ddread "$fs"; }
    log "dd $r/$REPS $fs: write ${RES["ddwrite|$fs"]##* } read ${RES["ddread|$fs"]##* } MB/s"
  done
done
for fs in "${FS_LIST[@]}"; do rm -f "${DIR[$fs]}/dd.bin"; done

# 4 KiB random reads: the file is laid out once per filesystem, through the mount
for fs in "${FS_LIST[@]}"; do
  timeout 600 fio --name=layout --filename="${DIR[$fs]}/fio.bin" --size=${FIO_MIB}M --bs=1M --rw=write \
    --fallocate=none --end_fsync=1 --output=/dev/null >>"$WORK/err.log" 2>&1 || failed fio "$fs"
done
for r in $(seq "$REPS"); do
  for fs in "${FS_LIST[@]}"; do
    drop_caches
    out=$(timeout 600 fio --name=randread --filename="${DIR[$fs]}/fio.bin" --size=${FIO_MIB}M --bs=4k --rw=randread \
      --ioengine=psync --iodepth=1 --invalidate=1 --fallocate=none --runtime="$FIO_RUNTIME" \
      --output-format=terse --terse-version=3 2>>"$WORK/err.log")
    v=$(cut -d';' -f8 <<<"$out" | head -1)
    if [[ "$v" =~ ^[0-9]+$ ]] && [ "$v" -gt 0 ]; then record fio "$fs" "$v"; else echo "$out" >>"$WORK/err.log"; failed fio "$fs"; fi
    log "fio $r/$REPS $fs: ${v:-?} IOPS"
  done
done
for fs in "${FS_LIST[@]}"; do rm -f "${DIR[$fs]}/fio.bin"; done

# Source tree: untar, md5sum, ls -lR, rm -rf
for r in $(seq "$REPS"); do
  for fs in "${FS_LIST[@]}"; do
    d=${DIR[$fs]}
    rm -rf "${d:?}/$TREE_TOP"; sync
    cat "$TREE_TAR" >/dev/null   # every untar reads the tarball from the page cache
    c=$(dcpu "$fs"); v=$(timed tar xf "$TREE_TAR" -C "$d") && record untar "$fs" "$v" || failed untar "$fs"; cpu_since untar "$fs" "$c"
    drop_caches
    c=$(dcpu "$fs"); v=$(timed bash -c 'cd "$1" && find . -type f -print0 | xargs -0 md5sum > "$2"' _ "$d" "$WORK/md5.$fs") && record md5sum "$fs" "$v" || failed md5sum "$fs"; cpu_since md5sum "$fs" "$c"
    if [ "$fs" != "${FS_LIST[0]}" ] && [ -s "$WORK/md5.${FS_LIST[0]}" ] \
       && ! cmp -s <(sort -k2 "$WORK/md5.${FS_LIST[0]}") <(sort -k2 "$WORK/md5.$fs"); then
      log "WARNING: md5sums on $fs differ from ${FS_LIST[0]}"; FAILS["md5sum|$fs"]=$(( ${FAILS["md5sum|$fs"]:-0} + 1 ))
    fi
    drop_caches
    c=$(dcpu "$fs"); v=$(timed bash -c 'ls -lR "$1" >/dev/null' _ "$d") && record lslR "$fs" "$v" || failed lslR "$fs"; cpu_since lslR "$fs" "$c"
    c=$(dcpu "$fs"); v=$(timed rm -rf "$d/$TREE_TOP") && record rmrf "$fs" "$v" || failed rmrf "$fs"; cpu_since rmrf "$fs" "$c"
    log "tree $r/$REPS $fs: untar ${RES["untar|$fs"]##* } md5sum ${RES["md5sum|$fs"]##* } ls -lR ${RES["lslR|$fs"]##* } rm -rf ${RES["rmrf|$fs"]##* } s"
  done
done
T_END=$(date +%s)
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------- report
stats() {  # values... -> "median min max"
  printf '%s\n' "$@" | sort -g | awk 'NF { v[++n] = $1 } END { if (n == 0) exit 1; NR = n
    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; print m, v[1], v[NR] }'
}
ratio() { awk -v a="$1" -v n="$2" 'BEGIN { if (n != "" && n > 0) printf "%.2f×", a / n; else print "–" }'; }
fmt() { awk -v x="$1" -v u="$2" 'BEGIN { if (u == "s") printf "%.2f", x; else printf "%.0f", x }'; }

declare -A TITLE=([ddwrite]="Sequential write, $DD_MIB MiB (dd)" [ddread]="Sequential read, $DD_MIB MiB, cold caches (dd)"
  [fio]="Random 4 KiB reads, $FIO_MIB MiB file, cold caches (fio)" [untar]="Untar the source tree" [md5sum]="md5sum of every file, cold caches"
  [lslR]="ls -lR, cold caches" [rmrf]="rm -rf of the tree")
declare -A LABEL=([native]="native ($(findmnt -no FSTYPE -T "$WORK" 2>/dev/null || echo '?'))" [mirror]="cryptstack mirror" [bindfs]="bindfs"
  [cryptstack]="cryptstack mount (encrypted)" [gocryptfs]="gocryptfs (encrypted)" [securefs]="securefs (encrypted)")

ver() { "$@" 2>&1 | head -1 | tr -d '\r'; }
CS_REV=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null)
git -C "$REPO" diff --quiet HEAD -- src 2>/dev/null || CS_REV="$CS_REV (+ uncommitted changes in src/)"
report() {
  local w fs s med min max nat ref unit
  echo "<!-- bench:$MODE:begin (written by bench/run.sh; rerun it to replace this block) -->"
  echo "### Run: $MODE ($(date -u '+%Y-%m-%d %H:%M UTC'))"
  echo
  echo "Command: \`bench/run.sh${ORIG_ARGS:+ $ORIG_ARGS}\`, $REPS repetitions interleaved across filesystems, $(( (T_END - T_START) / 60 )) min $(( (T_END - T_START) % 60 )) s of measuring."
  echo
  echo "Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo),"
  echo "kernel $(uname -r), $(. /etc/os-release; echo "$PRETTY_NAME"). **Shared and noisy**: other engineers build and test on the"
  echo "same 2 cores; load average $LOAD_START at the start, $LOAD_END at the end. Read differences under ~15 % as noise."
  echo
  echo "Versions: cryptstack CLI from ${CLI_DIR#$REPO/} (work tree at $CS_REV); libfuse3 $(dpkg-query -W -f '${Version}' libfuse3-3 2>/dev/null); $(ver bindfs --version) (libfuse2 $(dpkg-query -W -f '${Version}' libfuse2 2>/dev/null));"
  echo "$(ver gocryptfs -version | cut -d';' -f1-2 | sed 's/;/ with/'); securefs $(dpkg-query -W -f '${Version}' securefs 2>/dev/null); $(ver fio --version)."
  echo "Tree: $TREE_DESC; $TREE_FILES files, $TREE_MB MB as tar."
  echo
  echo "Median of $REPS (min–max). \"vs native\" and \"vs bindfs\" are ratios of medians (higher is better for MB/s"
  echo "and IOPS, lower is better for seconds). \"daemon CPU s\" is the user+system CPU time the FUSE daemon spent on the"
  echo "workload (from /proc/PID/stat): less disturbed by the other load on the machine than wall time."
  for fs in $ALL_FS; do [ -n "${NOTE[$fs]:-}" ] && { echo; echo "Not measured: ${LABEL[$fs]}: ${NOTE[$fs]}."; }; done
  for w in "${WORKLOADS[@]}"; do
    unit=${UNIT[$w]}
    echo
    echo "#### ${TITLE[$w]}"
    echo
    echo "\`${CMD[$w]}\`"
    echo
    cpucol=0; [ "$unit" = s ] && cpucol=1
    if [ "$cpucol" = 1 ]; then
      echo "| filesystem | $unit (median) | min–max | vs native | vs bindfs | daemon CPU s (median) |"
      echo "| --- | ---: | ---: | ---: | ---: | ---: |"
    else
      echo "| filesystem | $unit (median) | min–max | vs native | vs bindfs |"
      echo "| --- | ---: | ---: | ---: | ---: |"
    fi
    nat="" bnd=""
    s=$(stats ${RES["$w|native"]:-}) && nat=${s%% *}
    s=$(stats ${RES["$w|bindfs"]:-}) && bnd=${s%% *}
    for fs in "${FS_LIST[@]}"; do
      if s=$(stats ${RES["$w|$fs"]:-}); then
        read -r med min max <<<"$s"
        ref=$(ratio "$med" "$nat"); refb=$(ratio "$med" "$bnd")
        note=""; [ -n "${FAILS["$w|$fs"]:-}" ] && note=" (${FAILS["$w|$fs"]} failed)"
        extra=""
        if [ "$cpucol" = 1 ]; then extra=" –"; c=$(stats ${CPU["$w|$fs"]:-}) && extra=" $(fmt "${c%% *}" s)"; extra="$extra |"; fi
        echo "| ${LABEL[$fs]} | $(fmt "$med" "$unit")$note | $(fmt "$min" "$unit")–$(fmt "$max" "$unit") | $ref | $refb |$extra"
      else
        echo "| ${LABEL[$fs]} | failed | – | – | – |$( [ "$cpucol" = 1 ] && echo ' – |')"
      fi
    done
  done
  echo
  echo "<!-- bench:$MODE:end -->"
}
REPORT=$(report)
echo "$REPORT"

if [ "$WRITE_DOC" = 1 ]; then
  SECTION="## Mounts against peers"
  [ -f "$DOC" ] || printf '# Performance\n' > "$DOC"
  if ! grep -qxF "$SECTION" "$DOC"; then
    printf '\n%s\n\nMeasured by `bench/run.sh` (see its header for options). The blocks between `bench:` markers are\nwritten by the script; the analysis around them is by hand.\n' "$SECTION" >> "$DOC"
  fi
  printf '%s\n' "$REPORT" > "$WORK/block.md"
  # Replace this mode's block inside our section, or add it at the end of our section.
  awk -v section="$SECTION" -v begin="<!-- bench:$MODE:begin" -v end="<!-- bench:$MODE:end -->" -v blockfile="$WORK/block.md" '
    function emit(   l) { while ((getline l < blockfile) > 0) print l; close(blockfile); done = 1 }
    $0 == section { insec = 1; print; next }
    insec && /^## / { if (!done) { emit(); print "" } insec = 0 }
    insec && index($0, begin) == 1 { skip = 1; if (!done) emit(); next }
    skip { if (index($0, end) == 1) skip = 0; next }
    { print }
    END { if (insec && !done) { print ""; emit() } }
  ' "$DOC" > "$WORK/doc.md" && cat "$WORK/doc.md" > "$DOC"
  log "updated $DOC (section \"Mounts against peers\", $MODE block)"
fi
