#!/usr/bin/env bash
# Rebuilds keys-sample/volume (INSECURE sample secrets) after a deliberate format change, through the
# real `cryptstack` command: init with the sample passphrase (cheap KDF so tests stay fast), the sample
# key file as slot 2, then the sample file, links and long-named directory written through a mount.
# The sample file's content is taken from the current sample volume, so its SHA-256 in
# SampleVolumeTests stays right. Writes a new recovery key into keys-sample/.
#   scripts/regenerate-sample-volume.sh            rebuild keys-sample/volume in place
#   scripts/regenerate-sample-volume.sh DEST       build into DEST (a new or empty directory) instead,
#                                                  with DEST/INSECURE-SAMPLE-recovery-key.txt beside it
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
cs="$PWD/artifacts/bin/cryptstack"
keys="$PWD/keys-sample"
dest=${1:-$keys/volume}
recovery_out=$keys/INSECURE-SAMPLE-recovery-key.txt
[ $# -ge 1 ] && recovery_out=$(dirname "$(realpath -m "$dest")")/INSECURE-SAMPLE-recovery-key.txt

long_dir="INSECURE SAMPLE directory whose name is longer than one hundred and fifteen bytes so that it is stored as a long name with a sidecar"
work=$(mktemp -d "${TMPDIR:-/tmp}/cryptstack-sample.XXXXXX")
plain="$work/plain"
cleanup() {
  if grep -q " $plain fuse" /proc/mounts; then "$cs" unmount "$plain" || fusermount3 -u -z "$plain"; fi
  rm -rf "$work"
}
trap cleanup EXIT

# Keep the sample file's bytes: the tests pin its SHA-256.
"$cs" cat --passfile "$keys/INSECURE-SAMPLE-passphrase.txt" "$keys/volume" "INSECURE SAMPLE file.txt" > "$work/file.txt"

rm -rf "$work/new" && mkdir -p "$work/new" "$plain"
"$cs" init --passfile "$keys/INSECURE-SAMPLE-passphrase.txt" --kdf-memory 1024 --kdf-iterations 1 \
  --recovery-key-file "$work/recovery.txt" "$work/new" >/dev/null
"$cs" key add --unlock-passfile "$keys/INSECURE-SAMPLE-passphrase.txt" --keyfile "$keys/INSECURE-SAMPLE.key" "$work/new" >/dev/null

"$cs" mount --passfile "$keys/INSECURE-SAMPLE-passphrase.txt" "$work/new" "$plain"
cp "$work/file.txt" "$plain/INSECURE SAMPLE file.txt"
ln -s "INSECURE SAMPLE target" "$plain/INSECURE SAMPLE link"
mkdir "$plain/$long_dir"
ln -s "../INSECURE SAMPLE link" "$plain/$long_dir/link to parent"
"$cs" unmount "$plain"

rm -rf "$dest"
mkdir -p "$(dirname "$dest")"
cp -a "$work/new" "$dest"
cp "$work/recovery.txt" "$recovery_out"
echo "regenerated $dest (recovery key in $recovery_out); run: ./test.sh --filter SampleVolume"
