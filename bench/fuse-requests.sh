#!/usr/bin/env bash
# What the kernel asks of FUSE daemons while a command runs: requests counted by opcode.
#
#   bench/fuse-requests.sh COMMAND [ARG...]
#
# Counts every FUSE request sent on this machine while COMMAND runs (all FUSE mounts: run it with only
# the mounts you compare busy), from the kernel's tracepoint fuse:fuse_request_send (tracefs, kernel
# 6.x). Needs root. Example, the per-file cost of an untar on two mounts:
#
#   bench/fuse-requests.sh tar xf tree.tar -C /mnt/cryptstack
#   bench/fuse-requests.sh tar xf tree.tar -C /mnt/gocryptfs
set -euo pipefail

[ $# -gt 0 ] || { sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "fuse-requests.sh: run as root (tracefs)" >&2; exit 2; }

T=/sys/kernel/tracing
[ -d "$T/events" ] || mount -t tracefs nodev "$T" 2>/dev/null || true
EVENT="$T/events/fuse/fuse_request_send"
[ -d "$EVENT" ] || { echo "fuse-requests.sh: this kernel has no fuse:fuse_request_send tracepoint" >&2; exit 1; }

# The trace buffer is shared with anyone else tracing: take it over only for the command's run.
restore() { echo 0 > "$EVENT/enable"; }
trap restore EXIT
echo > "$T/trace"
echo 1 > "$EVENT/enable"
status=0
"$@" || status=$?
echo 0 > "$EVENT/enable"

counts=$(grep -o 'opcode [0-9]* ([A-Z_]*)' "$T/trace" | sed 's/.*(\(.*\))/\1/' | sort | uniq -c | sort -rn)
total=$(awk '{ n += $1 } END { print n + 0 }' <<<"$counts")
lost=$(grep -c 'LOST' "$T/trace" || true)
echo "FUSE requests while running: $*"
echo "$counts"
if [ "${lost:-0}" -gt 0 ]; then
  echo "total $total (at least: the trace buffer overflowed $lost times; raise $T/buffer_size_kb)"
else
  echo "total $total"
fi
exit "$status"
