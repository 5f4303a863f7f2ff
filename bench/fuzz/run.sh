#!/usr/bin/env bash
# Fuzzing: every target of bench/fuzz/Heartbeat.Fuzz (datagram decoder + authenticator + keepalive fast path,
# sequence tracker, ha.cf, authkeys, haresources, bzip2, control requests) under AFL++ with SharpFuzz, seeded from
# ../shared/captures and the sample configs; each accepted input is re-checked by the target's slower oracle and
# held to an allocation bound. Writes DIR/fuzz.md and DIR/<target>/ (AFL++'s queue, crashes, hangs).
#
#   bash bench/fuzz/run.sh [--seconds 300] [--targets datagram,hacf,...] [--out DIR]
#   bash bench/fuzz/run.sh --smoke            CI: 10 s per target
#
# Exit 1 if any target has a crash (an exception, an oracle disagreement, an allocation over the bound) or a hang.
set -euo pipefail
cd "$(dirname "$0")/../.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
seconds=300; targets=""; out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --targets) targets=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --smoke) seconds=10; shift ;;
    *) echo "bench/fuzz/run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
out=${out:-bench/results/$(date -u +%Y-%m-%d)-fuzz}
missing=()
command -v afl-fuzz >/dev/null 2>&1 || missing+=(afl++)
command -v bzip2 >/dev/null 2>&1 || missing+=(bzip2)
if [ "${#missing[@]}" -gt 0 ]; then
  [ "$(id -u)" = 0 ] || { echo "bench/fuzz/run.sh: needs ${missing[*]} (apt-get install, as root)" >&2; exit 1; }
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null; } \
    || { echo "bench/fuzz/run.sh: apt-get install ${missing[*]} failed" >&2; exit 1; }
fi

work=$(mktemp -d /tmp/hbnet-fuzz.XXXXXX)
trap '[ -n "${KEEP_FUZZ_WORK:-}" ] || rm -rf "$work"' EXIT
plain="$work/plain"; instrumented="$work/instrumented"
dotnet build bench/fuzz/Heartbeat.Fuzz -c Release --nologo -v quiet -o "$plain" >/dev/null
cp -r "$plain" "$instrumented"
dotnet tool restore >/dev/null
# SharpFuzz instruments the library under test in place (the branches AFL++ steers by); the harness itself is not.
# The instrumented copy only runs under afl-fuzz (it writes to AFL++'s shared memory); seeds and replays use the plain one.
dotnet sharpfuzz "$instrumented/Heartbeat.Protocol.dll" >/dev/null
fuzz=(dotnet "$plain/Heartbeat.Fuzz.dll")
[ -n "$targets" ] || targets=$("${fuzz[@]}" list | cut -f1 | paste -sd, -)

mkdir -p "$out"
report="$out/fuzz.md"
{
  echo "# Fuzzing, $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "AFL++ $(afl-fuzz -h 2>&1 | grep -o 'afl-fuzz++[0-9.a-z]*' | head -1 | sed 's/afl-fuzz++//') with SharpFuzz (persistent mode), $seconds s per target on this machine; seeds from ../shared/captures and the sample configs. A crash is an exception, an oracle disagreement or an allocation above the target's bound."
  echo
  echo "| target | seconds | executions | per second | corpus | edges covered | crashes | hangs |"
  echo "|---|---|---|---|---|---|---|---|"
} > "$report"

status=0
IFS=, read -ra list <<< "$targets"
for target in "${list[@]}"; do
  dir="$out/$target"
  rm -rf "$dir"; mkdir -p "$dir"
  "${fuzz[@]}" seeds "$target" "$work/$target-in" >/dev/null
  # Replaying the seeds first: a finding there is a plain bug, no fuzzing needed to show it.
  "${fuzz[@]}" replay "$target" "$work/$target-in" > "$dir/seeds.txt" || { cat "$dir/seeds.txt"; status=1; }
  AFL_SKIP_BIN_CHECK=1 AFL_NO_AFFINITY=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_SKIP_CPUFREQ=1 AFL_NO_UI=1 \
    timeout --kill-after=10 $((seconds + 120)) afl-fuzz -i "$work/$target-in" -o "$work/$target-out" -t 5000 -m none -V "$seconds" \
      -- dotnet "$instrumented/Heartbeat.Fuzz.dll" afl "$target" > "$dir/afl.log" 2>&1 || { echo "afl-fuzz $target failed:"; tail -20 "$dir/afl.log"; status=1; }
  stats="$work/$target-out/default/fuzzer_stats"
  stat() { awk -F' *: *' -v k="$1" '$1 == k {print $2}' "$stats" 2>/dev/null; }
  crashes=$(stat saved_crashes); hangs=$(stat saved_hangs)
  printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$target" "$(stat run_time)" "$(stat execs_done)" "$(stat execs_per_sec)" \
    "$(stat corpus_count)" "$(stat bitmap_cvg)" "${crashes:-?}" "${hangs:-?}" >> "$report"
  for kind in crashes hangs; do
    if ls "$work/$target-out/default/$kind"/id* >/dev/null 2>&1; then
      mkdir -p "$dir/$kind"; cp "$work/$target-out/default/$kind"/id* "$dir/$kind/"
      "${fuzz[@]}" replay "$target" "$dir/$kind" >> "$dir/findings.txt" 2>&1 || true
    fi
  done
  [ "${crashes:-1}" = 0 ] && [ "${hangs:-1}" = 0 ] || status=1
  cp "$stats" "$dir/fuzzer_stats" 2>/dev/null || true
done

cat "$report"
for f in "$out"/*/findings.txt; do [ -e "$f" ] && { echo "== $f"; head -20 "$f"; }; done
exit $status
