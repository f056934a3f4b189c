#!/usr/bin/env bash
# Installs what CryptStack needs on a fresh Debian machine (root, apt available, .NET SDK on PATH)
# and builds the CLI into artifacts/bin/cryptstack. Sourced by demo.sh and test.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

need=()
# fusermount3 mounts for users other than root; the daemon speaks the FUSE protocol itself (no libfuse).
command -v fusermount3 >/dev/null 2>&1 || need+=(fuse3)
command -v setfattr >/dev/null 2>&1 || need+=(attr)
command -v stress-ng >/dev/null 2>&1 || need+=(stress-ng)
command -v rsync >/dev/null 2>&1 || need+=(rsync)
# A FUSE filesystem that refuses locks, for the tests of what a mount does then (BackingLockTests).
[ -e /usr/lib/python3/dist-packages/fusepy.py ] || need+=(python3-fusepy)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing ${need[*]}; run as root or install them: apt-get install ${need[*]}" >&2
    exit 1
  fi
  echo "setup: installing ${need[*]}" >&2
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
# GlusterFS runs the shared-storage tests (GlusterSharingTests); they skip, saying why, without it.
if ! command -v glusterd >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ] && [ "${CRYPTSTACK_NO_GLUSTER:-}" != 1 ]; then
  echo "setup: installing glusterfs-server glusterfs-client (for the shared-storage tests)" >&2
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq glusterfs-server glusterfs-client; } >/dev/null 2>&1 \
    || echo "setup: GlusterFS did not install; the GlusterFS tests will be skipped" >&2
fi
if ! command -v dotnet >/dev/null 2>&1; then
  echo "setup: the .NET 10 SDK (dotnet) is required on PATH" >&2
  exit 1
fi
[ -e /dev/fuse ] || modprobe fuse 2>/dev/null || { echo "setup: /dev/fuse is missing (modprobe fuse)" >&2; exit 1; }

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
dotnet build src/CryptStack.Cli/CryptStack.Cli.csproj -c Release -o artifacts/bin -v quiet -nologo -clp:ErrorsOnly
