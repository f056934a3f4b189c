#!/usr/bin/env bash
# The main job: the demo volume in keys-sample/ (INSECURE sample secrets), copied to a scratch
# directory, mounted, used, shown from both sides, unmounted.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/setup.sh
cs=artifacts/bin/cryptstack

work=$(mktemp -d /tmp/cryptstack-demo.XXXXXX)
cipher="$work/cipher"
plain="$work/plain"
mkdir -p "$plain"
cp -a keys-sample/volume "$cipher"
cleanup() {
  if grep -q " $plain fuse" /proc/mounts; then "$cs" unmount "$plain" || fusermount3 -u -z "$plain"; fi
  rm -rf "$work"
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "cryptstack $("$cs" --version)"
if "$cs" info --help >/dev/null 2>&1; then
  step "volume info (no secret needed)"
  "$cs" info "$cipher"
fi

step "mount $cipher on $plain with the sample passphrase"
"$cs" mount --passfile keys-sample/INSECURE-SAMPLE-passphrase.txt "$cipher" "$plain"
grep " $plain " /proc/mounts

step "plaintext side: what the sample volume holds"
ls -la "$plain"
head -n 3 "$plain/INSECURE SAMPLE file.txt"

step "write through the mount"
echo "hello from cryptstack" > "$plain/hello.txt"
mkdir "$plain/docs"
ln -s ../hello.txt "$plain/docs/link to hello"
head -c 100000 /dev/urandom > "$plain/docs/random.bin"
ls -la "$plain" "$plain/docs"
cat "$plain/docs/link to hello"

step "ciphertext side: names, link targets and contents are encrypted"
ls -la "$cipher"
# hello.txt is 22 bytes: 84-byte file header + 22 + 36 bytes of block overhead = 142.
hello=$(find "$cipher" -maxdepth 1 -type f -size 142c | head -n 1)
echo "-- $(basename "$hello") is hello.txt (84-byte header + 22 bytes + 36 bytes of block overhead); its first bytes:"
od -A d -t x1 "$hello" | head -n 4
if grep -rq "hello from cryptstack" "$cipher"; then echo "PLAINTEXT FOUND IN CIPHERTEXT" >&2; exit 1; fi
echo "-- grep for the plaintext in the ciphertext directory: not found"

step "unmount"
"$cs" unmount "$plain"
grep -q " $plain " /proc/mounts && { echo "still mounted" >&2; exit 1; }
echo "unmounted; the ciphertext directory is an ordinary tree you can back up with rsync or tar:"
find "$cipher" | sed "s|$work/||" | head -n 20
