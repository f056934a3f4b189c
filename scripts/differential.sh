#!/usr/bin/env bash
# The differential model test of the suite (FilesystemBehaviour.Differential: random operations applied to a
# plain directory and to the mount, results and trees compared) for as long as asked, on both mounts
# (encrypted and mirror), seed after seed. Each seed is printed before it runs; a failing one is rerun with
#   CRYPTSTACK_DIFF_SEEDS=SEED CRYPTSTACK_DIFF_OPS=OPS ./test.sh --filter "FullyQualifiedName~Random_operations"
#   scripts/differential.sh [SECONDS=600] [OPS=5000] [FIRST_SEED=random]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600} ops=${2:-5000} seed=${3:-$(( (RANDOM << 15 | RANDOM) % 1000000 + 1 ))}
source scripts/setup.sh
dotnet build tests/CryptStack.Mount.Tests -c Release -v quiet -nologo -clp:ErrorsOnly >/dev/null
end=$(( $(date +%s) + seconds )) rounds=0
while [ "$(date +%s)" -lt "$end" ]; do
  echo "differential: seed $seed, $ops operations on each mount"
  if ! out=$(CRYPTSTACK_DIFF_SEEDS=$seed CRYPTSTACK_DIFF_OPS=$ops dotnet test tests/CryptStack.Mount.Tests -c Release --no-build \
      --filter "FullyQualifiedName~Random_operations_give_the_same_results_as_a_plain_directory" 2>&1); then
    echo "$out" | grep -vE '^\s+at ' | tail -40
    echo "differential: FAILED at seed $seed ($ops operations) after $rounds clean seeds"
    exit 1
  fi
  rounds=$((rounds + 1))
  seed=$((seed + 1))
done
echo "differential: $rounds seeds clean"
