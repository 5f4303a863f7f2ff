#!/usr/bin/env bash
# The nemesis campaign: a seeded random schedule of faults (partitions full, one-way and of one medium, link flaps,
# loss, delay, duplication, SIGKILL + restart, SIGSTOP shorter and longer than deadtime, graceful stops, standby and
# takeover, reloads, a failing or hanging resource script, a held VIP deleted by hand) against ours+ours, ours+real
# 3.0.6 and a three-node membership cluster of ours, in the integration tests' network-namespace lab; a checker that
# trusts only outside evidence writes DIR/report.md and DIR/events.jsonl. Exit 0 only with zero violations.
#
#   bash bench/chaos/run.sh --minutes N [--seed S] [--pairing ours+ours|ours+real|three] [--out DIR] [--no-build]
#
# --no-build: use the daemon, hbctl and campaign as last built (build first without the shared netns lock held:
# bash bench/chaos/run.sh --build-only).
#
# Without --seed one is chosen and printed; the same seed, minutes and pairing replay the same schedule. Without
# --pairing the runs alternate the three pairings. Needs root. Our daemon runs as the NativeAOT build.
set -euo pipefail
cd "$(dirname "$0")/../.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
[ "$(id -u)" = 0 ] || { echo "bench/chaos/run.sh: needs root (network namespaces)" >&2; exit 1; }
[ -x /usr/libexec/heartbeat/heartbeat ] || { echo "bench/chaos/run.sh: needs heartbeat (3.0.6) installed" >&2; exit 1; }
aot="$(pwd)/bench/.aot"
build=1; args=()
for arg in "$@"; do
  case "$arg" in
    --no-build) build=0 ;;
    --build-only) build=2 ;;
    *) args+=("$arg") ;;
  esac
done
if [ "$build" != 0 ]; then
  dotnet publish src/Heartbeat.Daemon -c Release -r linux-x64 -p:PublishAot=true --nologo -v quiet -o "$aot" >/dev/null
  dotnet build src/Heartbeat.Ctl -c Release --nologo -v quiet >/dev/null
  dotnet build bench/chaos/Heartbeat.Chaos -c Release --nologo -v quiet >/dev/null
fi
[ "$build" != 2 ] || exit 0
lab=tests/Heartbeat.Integration.Tests/lab/lab.sh
bash "$lab" sweep -
# Labs are torn down by the campaign itself (also after Ctrl-C, after the current fault); the sweep catches a crash.
trap 'bash "$lab" sweep -' EXIT
status=0
HBNET_DAEMON="$aot/heartbeat" dotnet bench/chaos/Heartbeat.Chaos/bin/Release/net10.0/Heartbeat.Chaos.dll "${args[@]}" || status=$?
exit "$status"
