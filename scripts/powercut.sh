#!/usr/bin/env bash
# Power-cut emulation (issue #14; this kernel has loop devices but no dm-flakey): the ciphertext lives on a
# 64 MiB loop-mounted ext4 image; while a writer creates files through `cryptstack mount` and fsyncs each
# one, the image is copied (cp --sparse=always) at random moments, as a disk would be found after a power
# cut. Each copy is then checked with e2fsck, loop-mounted and mounted with cryptstack: every file whose
# fsync had returned before the copy started must read back exactly; the others may be missing, short
# or EIO (they are counted, not failed). `cryptstack fsck` runs on each copy when this build has it.
#   scripts/powercut.sh [COPIES=4] [FILES=150]
# Needs root (loop mounts). Everything lives under ${TMPDIR:-/tmp} and is unmounted and removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
copies=${1:-4} files=${2:-150}
source scripts/setup.sh >/dev/null
cs="$PWD/artifacts/bin/cryptstack"
work=$(mktemp -d "${TMPDIR:-/tmp}/cryptstack-powercut.XXXXXX")
mounted=()
cleanup() {
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
    m=${mounted[$i]}
    if grep -q " $m " /proc/mounts; then
      case "$(awk -v m="$m" '$2 == m {print $3}' /proc/mounts)" in
        fuse*) "$cs" unmount "$m" >/dev/null 2>&1 || fusermount3 -u -z "$m" ;;
        *) umount "$m" 2>/dev/null || umount -l "$m" ;;
      esac
    fi
  done
  [ -n "${writer:-}" ] && kill "$writer" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

truncate -s 64M "$work/disk.img"
mkfs.ext4 -q -F "$work/disk.img"
mkdir -p "$work/disk" "$work/plain" "$work/src"
mount -o loop "$work/disk.img" "$work/disk"; mounted+=("$work/disk")
echo "powercut-passphrase" > "$work/pass"
"$cs" init --passfile "$work/pass" --kdf-memory 1024 --kdf-iterations 1 --recovery-key-file "$work/recovery" "$work/disk/cipher" >/dev/null
"$cs" mount --passfile "$work/pass" --log-file "$work/daemon.log" "$work/disk/cipher" "$work/plain"; mounted+=("$work/plain")

# The writer: each file is written and fsynced (dd conv=fsync), then listed with its SHA-256.
: > "$work/fsynced"
(
  for i in $(seq "$files"); do
    head -c $(( (RANDOM % 64 + 1) * 1000 )) /dev/urandom > "$work/src/f$i"
    dd if="$work/src/f$i" of="$work/plain/f$i" bs=64k conv=fsync status=none
    echo "f$i $(sha256sum < "$work/src/f$i" | cut -d' ' -f1)" >> "$work/fsynced"
    [ $((i % 10)) = 0 ] && rm -f "$work/plain/f$((i - 5))" && sed -i "/^f$((i - 5)) /d" "$work/fsynced" && sync -f "$work/plain"
  done
) &
writer=$!
for k in $(seq "$copies"); do
  sleep "0.$((RANDOM % 9 + 1))"
  cp "$work/fsynced" "$work/fsynced.$k"   # promised before the copy starts
  cp --sparse=always "$work/disk.img" "$work/copy$k.img"
done
wait "$writer"; writer=""

fail=0
for k in $(seq "$copies"); do
  rc=0; e2fsck -fy "$work/copy$k.img" >"$work/e2fsck$k.log" 2>&1 || rc=$?
  if [ $rc -ge 4 ]; then echo "powercut: copy $k: e2fsck could not repair it (exit $rc)"; fail=1; continue; fi
  mkdir -p "$work/c$k" "$work/p$k"
  mount -o loop "$work/copy$k.img" "$work/c$k"; mounted+=("$work/c$k")
  if "$cs" fsck --help >/dev/null 2>&1; then
    frc=0; "$cs" fsck --passfile "$work/pass" "$work/c$k/cipher" >"$work/fsck$k.log" 2>&1 || frc=$?
    echo "powercut: copy $k: cryptstack fsck exit $frc ($(tail -n 1 "$work/fsck$k.log"))"
  fi
  "$cs" mount -o ro --passfile "$work/pass" --log-file "$work/daemon$k.log" "$work/c$k/cipher" "$work/p$k"; mounted+=("$work/p$k")
  promised=0 lost=0 other_ok=0 other_bad=0
  while read -r name sum; do
    promised=$((promised + 1))
    got=$(sha256sum < "$work/p$k/$name" 2>/dev/null | cut -d' ' -f1) || got=""
    if [ "$got" != "$sum" ]; then echo "powercut: copy $k: $name was fsynced before the copy but reads ${got:-with an error}"; lost=$((lost + 1)); fi
  done < "$work/fsynced.$k"
  for f in "$work/p$k"/*; do
    [ -e "$f" ] || continue
    grep -q "^$(basename "$f") " "$work/fsynced.$k" && continue
    if cat "$f" >/dev/null 2>&1; then other_ok=$((other_ok + 1)); else other_bad=$((other_bad + 1)); fi
  done
  echo "powercut: copy $k: e2fsck exit $rc; $promised fsynced files, $lost lost; files written after: $other_ok readable, $other_bad EIO"
  [ $lost -eq 0 ] || fail=1
  "$cs" unmount "$work/p$k" >/dev/null; umount "$work/c$k"
done
[ $fail -eq 0 ] && echo "powercut: clean" || echo "powercut: FAILED"
exit $fail
