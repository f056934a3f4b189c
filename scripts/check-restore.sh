#!/usr/bin/env bash
# The restore must work on a fresh machine: nothing but the package feeds in nuget.config, no local
# package folder that only build machines have (#13: `error NU1301: The local source '…' doesn't
# exist` on every fresh machine, while CI passed because its cache had everything).
#   scripts/check-restore.sh          checks nuget.config's sources (fast; test.sh runs it)
#   scripts/check-restore.sh --full   also restores the solution into an empty package folder, with the
#                                     user's and machine's NuGet configs out of the way (.ci/run runs it)
set -euo pipefail
cd "$(dirname "$0")/.."

fail=0
while read -r value; do
  case "$value" in
    https://*) ;;
    *) echo "check-restore: nuget.config source '$value' is not an https feed; a fresh machine does not have it" >&2; fail=1 ;;
  esac
done < <(grep -oE '<add [^>]*value="[^"]*"' nuget.config | sed -E 's/.*value="([^"]*)"/\1/')
grep -q '<clear */>' nuget.config || { echo "check-restore: nuget.config must <clear/> inherited sources (a build machine's own would hide a missing feed)" >&2; fail=1; }
[ $fail -eq 0 ] || exit 1

if [ "${1:-}" = --full ]; then
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' EXIT
  # A copy of the tree (this checkout's obj/ keeps pointing at its own package folder), an empty package
  # folder and HOME: only nuget.config and the feed it names are used.
  mkdir -p "$scratch/home" "$scratch/repo"
  tar -c --exclude=./.git --exclude=bin --exclude=obj --exclude=./artifacts . | tar -x -C "$scratch/repo"
  (cd "$scratch/repo" && HOME="$scratch/home" NUGET_PACKAGES="$scratch/packages" DOTNET_CLI_HOME="$scratch/home" \
    DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1 \
    dotnet restore CryptStack.sln --configfile nuget.config --no-cache -v quiet -nologo >"$scratch/restore.log" 2>&1) ||
    { tail -n 20 "$scratch/restore.log" >&2; echo "check-restore: restore from an empty package folder failed" >&2; exit 1; }
  echo "check-restore: the solution restores into an empty package folder from nuget.config's feeds alone"
else
  echo "check-restore: nuget.config names only https feeds"
fi
