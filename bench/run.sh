#!/usr/bin/env bash
# The failover benchmark: ours, real Heartbeat 3.0.6 and keepalived in alternation, N trials per scenario (crash with
# links cut, crash by SIGKILL with the addresses gone, graceful stop, standby, failback, partition and heal, the
# holder's uplink lost (ping + ipfail; keepalived: a track_script pinging the gateway), the SIGKILL crash with a
# STONITH reset in the path (ours and 3.0.6 only: keepalived has no fencing)), each in a
# fresh network-namespace lab with identical ha.cf/authkeys/haresources (keepalived: one VRRP instance, advert_int =
# keepalive), a client connecting to the VIP every 10 ms; crash trials broken down from captures and logs. Writes
# bench/results/<date>/{report.md,results.json,outages.png} and the raw evidence of each crash trial in trials/.
#
#   bash bench/run.sh [--trials 20] [--scenarios crash-cut,crash-kill,graceful,standby,failback,partition,uplink,crash-kill-fence]
#                     (crash-cut6, crash-kill6: the crashes with an IPv6 VIP, neighbour advertisements instead of ARP;
#                      not in the default list nor in --smoke)
#                     [--impl ours,real,keepalived] [--keepalive 1000] [--deadtime 3] [--out DIR]
#                     [--stonith-delay S]  ours' contender delay in crash-kill-fence (default: the daemon's, 15 s)
#                     [--footprint IDLE_SECONDS [--starts 5]]
#                                 footprint.md: RSS, CPU, packets at rest; start-up times (medians of lone starts)
#                     [--stability SEARCH_SECONDS [--confirm 600] [--fastest-trials 20]]
#                                 stability.md: fastest stable timers under stress-ng (the ladder starts at --keepalive),
#                                 then crash trials of ours and keepalived each at its confirmed fastest setting
#                     [--scale vips,groups,members [--vips 1,16,64,256] [--groups 1,8,32] [--members 2,4,8]
#                      [--scale-timeout 300] [--real-max 64] [--rest 10]]
#                                 report.md: scale curves (a group of N VIPs, N groups, N members; Scale.cs); runs
#                                 with the same --out add up (results.json), --rewrite-report writes report.md again
#   --deadtime takes whole seconds, or a fraction below 1 (0.025 = 25 ms) for sub-second timers
#   bash bench/run.sh --smoke [--out DIR]                  CI: one trial per scenario, a 10 s footprint (uplink and
#                                                          crash-kill-fence add ~2.5 min: ~30 s a trial)
#
# Needs root. Installs heartbeat, keepalived, gnuplot and stress-ng if missing (their services are not started). Our
# daemon runs as the NativeAOT build, as the .deb ships it.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
[ "$(id -u)" = 0 ] || { echo "bench/run.sh: needs root (network namespaces)" >&2; exit 1; }
missing=()
[ -x /usr/libexec/heartbeat/heartbeat ] || missing+=(heartbeat)
command -v keepalived >/dev/null 2>&1 || missing+=(keepalived)
command -v gnuplot >/dev/null 2>&1 || missing+=(gnuplot-nox)
command -v stress-ng >/dev/null 2>&1 || missing+=(stress-ng)
if [ "${#missing[@]}" -gt 0 ]; then
  policy=/usr/sbin/policy-rc.d; own_policy=0
  if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod 755 "$policy"; own_policy=1; fi
  apt_status=0
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null; } || apt_status=$?
  if [ "$own_policy" = 1 ]; then rm -f "$policy"; fi
  [ "$apt_status" = 0 ] || { echo "bench/run.sh: apt-get install ${missing[*]} failed" >&2; exit 1; }
fi
aot="$(pwd)/bench/.aot"
dotnet publish src/Heartbeat.Daemon -c Release -r linux-x64 -p:PublishAot=true --nologo -v quiet -o "$aot" >/dev/null
dotnet build bench/Heartbeat.Bench -c Release --nologo -v quiet >/dev/null
bash tests/Heartbeat.Integration.Tests/lab/lab.sh sweep -
HBNET_DAEMON="$aot/heartbeat" dotnet bench/Heartbeat.Bench/bin/Release/net10.0/Heartbeat.Bench.dll "$@"
