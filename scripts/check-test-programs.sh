#!/usr/bin/env bash
# Every program the test suite and demo.sh start must be installed by scripts/setup.sh, come with every
# Debian system (Essential, or Priority: required: what debootstrap --variant=minbase installs), or be
# guarded so that its test reports itself skipped without it (Requires.Tool / File.Exists). Run by
# .ci/run before the suite; it failed nothing before #16 only because CI machines had more installed.
set -euo pipefail
cd "$(dirname "$0")/.."

sources=$(find tests -name '*.cs' -not -path '*/bin/*' -not -path '*/obj/*')

# Programs named as the first argument of the runners the tests use, and launchers (Launcher = ["prlimit", ...]).
programs=$(
  {
    grep -hoE '(ProcessStartInfo|Process\.Start|Run|RunShell|Launch)\("[^"$]+"' $sources | sed -E 's/^[^"]*"//; s/"$//'
    grep -hoE '(Launcher|Descriptors)[A-Za-z]* = \["[a-z0-9][a-z0-9._-]*"' $sources | sed -E 's/^[^"]*"//; s/"$//'
    # Commands inside `sh -c "..."` snippets: the first word after the start, ;, &&, || or |.
    grep -hoE '"(/bin/)?(ba)?sh",[[:space:]]*\[?"-c",[[:space:]]*\$?"[^"]*' $sources | sed -E 's/^.*"-c",[[:space:]]*\$?"//' | tr ';|&(){}' '\n' | sed -E 's/^[[:space:]]*(if|then|else|do|while|!)?[[:space:]]*//' |
      grep -oE '^[a-z][a-z0-9._-]*([[:space:]]|$)' | sed -E 's/[[:space:]]+$//' | grep . || true
    # demo.sh and the scripts it sources: the first word of each command.
    sed -E 's/^[[:space:]]*#.*//; s/"\$cs"/cryptstack/g; s/"[^"]*"//g'"; s/'[^']*'//g" demo.sh | tr ';|&(){}' '\n' |
      sed -E 's/^[[:space:]]*(if|then|else|elif|do|while|until|!|exec|time)?[[:space:]]*//' |
      grep -oE '^[a-z][a-z0-9._-]*([[:space:]]|$)' | sed -E 's/[[:space:]]+$//' | grep . || true
  } | sed -E 's|^/usr/bin/||; s|^/bin/||; s|^/usr/sbin/||; s|^/sbin/||' | sort -u
)
# Guarded: the test skips (or leaves out the step) when the program is missing.
guarded=$(grep -hoE '(Requires\.Tool\("|File\.Exists\("/(usr/)?s?bin/)[^"]+' $sources | sed -E 's|.*/||; s|.*"||' | sort -u)
# Installed by setup.sh.
setup_packages=$(grep -oE 'need\+=\([a-z0-9.+-]+\)' scripts/setup.sh | sed -E 's/need\+=\(//; s/\)//' | sort -u)
# Words the crude scan above picks up that are not programs: shell keywords and builtins, demo.sh's functions.
not_programs="case cd do done echo esac exit export fi for function in local printf read return set shift source step cleanup trap true false test wait"

package_of() {
  local p=$1 path pkg
  for path in "/usr/bin/$p" "/bin/$p" "/usr/sbin/$p" "/sbin/$p"; do
    pkg=$(dpkg-query -S "$path" 2>/dev/null | grep -v '^diversion' | head -n 1 | cut -d: -f1) || true
    [ -n "$pkg" ] && { echo "$pkg"; return 0; }
  done
  return 1
}

fail=0
for p in $programs; do
  case " $not_programs " in *" $p "*) continue ;; esac
  [ "$p" = cryptstack ] && continue
  if grep -qx "$p" <<<"$guarded"; then echo "  $p: guarded (its test skips without it)"; continue; fi
  if ! pkg=$(package_of "$p") || [ -z "$pkg" ]; then
    echo "check-test-programs: $p is started by the tests or demo.sh but no installed package provides it" >&2; fail=1; continue
  fi
  if grep -qx "$pkg" <<<"$setup_packages"; then echo "  $p: $pkg (installed by setup.sh)"; continue; fi
  read -r essential priority < <(dpkg-query -W -f='${Essential} ${Priority}\n' "$pkg")
  if [ "$essential" = yes ] || [ "$priority" = required ]; then echo "  $p: $pkg (on every Debian system)"; continue; fi
  echo "check-test-programs: $p comes from $pkg (priority $priority), which setup.sh does not install: add it there or guard its test with Requires.Tool" >&2
  fail=1
done
[ $fail -eq 0 ] && echo "check-test-programs: every program the tests and demo.sh start is provided"
exit $fail
