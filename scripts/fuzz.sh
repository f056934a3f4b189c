#!/usr/bin/env bash
# The decoder mutation loop of the suite (tests/CryptStack.Crypto.Tests/DecoderFuzzTests.cs) for as long as
# asked: one round per seed, CASES cases per decoder each, new seeds until SECONDS have passed. A failing
# round prints its seed; rerun it alone with CRYPTSTACK_FUZZ_SEED=N CRYPTSTACK_FUZZ_CASES=CASES
# dotnet test tests/CryptStack.Crypto.Tests --filter DecoderFuzz.
#   scripts/fuzz.sh [SECONDS=600] [CASES=20000] [FIRST_SEED=random]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600} cases=${2:-20000} seed=${3:-$(( (RANDOM << 15 | RANDOM) % 1000000 + 1 ))}
dotnet build tests/CryptStack.Crypto.Tests -c Release -v quiet -nologo -clp:ErrorsOnly >/dev/null
end=$(( $(date +%s) + seconds )) rounds=0
while [ "$(date +%s)" -lt "$end" ]; do
  if ! out=$(CRYPTSTACK_FUZZ_SEED=$seed CRYPTSTACK_FUZZ_CASES=$cases dotnet test tests/CryptStack.Crypto.Tests -c Release --no-build \
      --filter "FullyQualifiedName~DecoderFuzz" --logger "console;verbosity=normal" 2>&1); then
    echo "$out" | grep -vE '^\s+at ' | tail -40
    echo "fuzz: FAILED at seed $seed ($cases cases per decoder) after $rounds clean rounds"
    exit 1
  fi
  rounds=$((rounds + 1))
  echo "fuzz: seed $seed clean ($cases cases per decoder)"
  seed=$((seed + 1))
done
echo "fuzz: $rounds rounds clean"
