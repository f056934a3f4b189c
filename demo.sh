#!/usr/bin/env bash
# The main job: a demo volume made with the INSECURE sample secrets in keys-sample/,
# mounted, used, shown from both sides, unmounted.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/setup.sh
cs=artifacts/bin/cryptstack

work=$(mktemp -d /tmp/cryptstack-demo.XXXXXX)
backing="$work/backing"
mnt="$work/plain"
mkdir -p "$backing" "$mnt"
cleanup() {
  if grep -q " $mnt fuse" /proc/mounts; then "$cs" unmount "$mnt" || fusermount3 -u -z "$mnt"; fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "== mirror mount (no encryption yet): $backing -> $mnt"
"$cs" mirror "$backing" "$mnt"
echo "hello from cryptstack" > "$mnt/hello.txt"
mkdir "$mnt/docs"
ln -s ../hello.txt "$mnt/docs/link"
echo "-- plaintext side"
ls -la "$mnt" "$mnt/docs"
cat "$mnt/docs/link"
echo "-- backing side"
ls -la "$backing"
"$cs" unmount "$mnt"
echo "== unmounted"
