#!/usr/bin/env bash
# The live two-node demo on this machine: the article's cluster (etc/ha.d as shipped: keepalive 2 s, deadtime 10 s,
# VIP 10.10.10.1 whose home is server1) with HeartbeatNet on both nodes, each in its own network namespace on a
# private bridge. A client knocks on the VIP every 100 ms (a TCP connect: an answer, even "refused", means a node
# holds the address; silence means nobody does). The demo shows `hbctl status` of both nodes, cuts server1's
# link and prints the takeover as a timeline, restores the link and prints the failback, then removes everything.
# Nothing leaves the namespaces it creates. Needs root and the .NET 10 SDK; installs iproute2 if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

if [ "$(id -u)" != 0 ]; then
  echo "scripts/demo.sh: network namespaces need root" >&2
  exit 1
fi
missing=()
command -v ip >/dev/null 2>&1 || missing+=(iproute2)
if [ "${#missing[@]}" -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
now() { date +%s.%N; }

say "building the daemon and hbctl"
dotnet build src/Heartbeat.Daemon -c Release --nologo -v quiet >/dev/null
dotnet build src/Heartbeat.Ctl -c Release --nologo -v quiet >/dev/null
daemon="$(pwd)/src/Heartbeat.Daemon/bin/Release/net10.0/heartbeat"
hbctl="$(pwd)/src/Heartbeat.Ctl/bin/Release/net10.0/hbctl"
labsh="$(pwd)/tests/Heartbeat.Integration.Tests/lab/lab.sh"

lab="hbdemo$$"
work="$(mktemp -d /tmp/heartbeatnet-demo.XXXXXX)"
pids=()
cleanup() {
  # Graceful first (each daemon gives up its VIP and says goodbye), then whatever is left in the namespaces.
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do timeout 15 tail --pid="$pid" -f /dev/null 2>/dev/null || true; done
  bash "$labsh" down "$lab" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

say "network: bridge namespace $lab-br; server1 10.10.10.2, server2 10.10.10.3, a client 10.10.10.99 (all on ens18)"
bash "$labsh" up "$lab"
bash "$labsh" node "$lab" server1 10.10.10.2/24
bash "$labsh" node "$lab" server2 10.10.10.3/24
bash "$labsh" node "$lab" client 10.10.10.99/24

# The sample files unchanged, except server2's ucast line, which names its peer (each node's ha.cf does so).
for node in server1 server2; do
  mkdir -p "$work/$node/etc"
  cp etc/ha.d/ha.cf etc/ha.d/haresources "$work/$node/etc/"
  install -m 600 etc/ha.d/authkeys "$work/$node/etc/authkeys"
done
sed -i 's/^ucast ens18 10.10.10.3$/ucast ens18 10.10.10.2/' "$work/server2/etc/ha.cf"

start() {
  local node=$1
  ip netns exec "$lab-$node" "$daemon" --config-dir "$work/$node/etc" --state-dir "$work/$node/state" \
    --run-dir "$work/$node/run" --node "$node" >>"$work/$node.log" 2>&1 &
  pids+=($!)
  disown $!
}
# The address list is captured first: under pipefail `ip … | grep -q` can fail on a match (SIGPIPE to ip).
holds() { local addresses; addresses=$(ip -n "$lab-$1" -4 -o addr show dev ens18) && grep -q ' 10\.10\.10\.1/' <<<"$addresses"; }
wait_for() { # seconds, description, command...
  local limit=$1 what=$2; shift 2
  local until=$(( $(date +%s) + limit ))
  until "$@"; do
    if [ "$(date +%s)" -ge "$until" ]; then echo "timed out waiting for: $what" >&2; tail -n 20 "$work"/server*.log >&2; exit 1; fi
    sleep 0.1
  done
}
status() {
  for node in server1 server2; do
    echo "--- hbctl status on $node"
    "$hbctl" status --run-dir "$work/$node/run" || true
  done
}
# "2026-11-30 02:25:02.956 info: …" → seconds since the epoch, for the first log line after a moment matching a text.
log_time() { # node, since (epoch), text
  local line
  while IFS= read -r line; do
    local stamp="${line:0:23}"
    local t
    t=$(date -d "$stamp" +%s.%N 2>/dev/null) || continue
    if awk -v a="$t" -v b="$2" 'BEGIN { exit !(a >= b) }'; then echo "$t"; return; fi
  done < <(grep -F -- "$3" "$work/$1.log" || true)
  echo ""
}
first_reply_after() { # since (epoch)
  awk -v since="$1" '$2 == "answered" && $1 + 0 >= since + 0 { print $1; exit }' "$work/client.log"
}
client() {
  while :; do
    local t rc=0
    t=$(now)
    ip netns exec "$lab-client" timeout 0.3 bash -c 'exec 3<>/dev/tcp/10.10.10.1/9' 2>/dev/null || rc=$?
    # 0 (open) or 1 (refused): some node holds the VIP; 124: nobody answered within 300 ms.
    if [ "$rc" = 124 ]; then echo "$t silent"; else echo "$t answered"; fi
    sleep 0.1
  done
}
ms() { [ -n "$2" ] && awk -v a="$1" -v b="$2" 'BEGIN { printf "%+8.0f ms", (b - a) * 1000 }' || echo "       (not seen)"; }

say "starting HeartbeatNet on both nodes (auto_failback is not set: 3.0.6's default, legacy)"
start server1
start server2
wait_for 90 "the VIP on server1" holds server1
sleep 3
status

say "a client knocks on 10.10.10.1 every 100 ms"
client >"$work/client.log" 2>/dev/null &
pids+=($!)
disown $!
wait_for 20 "the first answer" grep -q 'answered' "$work/client.log"
sleep 2

say "cutting server1's link (deadtime 10 s)"
cut=$(now)
bash "$labsh" link "$lab" server1 down
wait_for 60 "the VIP on server2" holds server2
wait_for 30 "an answer after the takeover" sh -c "awk -v c=$cut '\$2 == \"answered\" && \$1 + 0 > c + 0 { found = 1 } END { exit !found }' $work/client.log"
sleep 1
echo "takeover timeline (from the cut):"
echo "  link cut                          $(ms "$cut" "$cut")"
echo "  server2 declares server1 dead     $(ms "$cut" "$(log_time server2 "$cut" 'node server1: is dead')")"
echo "  VIP added on server2              $(ms "$cut" "$(log_time server2 "$cut" 'added 10.10.10.1')")"
echo "  gratuitous ARP sent               $(ms "$cut" "$(log_time server2 "$cut" 'rounds of gratuitous ARP')")"
echo "  first client answer               $(ms "$cut" "$(first_reply_after "$cut")")"
status

say "restoring server1's link: a healed partition, settled in place (no restart)"
back=$(now)
bash "$labsh" link "$lab" server1 up
wait_for 60 "the VIP back on server1 only" sh -c "ip -n $lab-server1 -4 -o addr show dev ens18 | grep -q ' 10\.10\.10\.1/' && ! ip -n $lab-server2 -4 -o addr show dev ens18 | grep -q ' 10\.10\.10\.1/'"
sleep 2
echo "failback timeline (from the link coming back):"
echo "  link up                           $(ms "$back" "$back")"
echo "  server1 sees server2 return       $(ms "$back" "$(log_time server1 "$back" 'returning after partition')")"
echo "  server1 re-announces the VIP      $(ms "$back" "$(log_time server1 "$back" 'announce')")"
echo "  server2 removes its copy          $(ms "$back" "$(log_time server2 "$back" 'removed 10.10.10.1')")"
echo "client after the link came back: $(awk -v b="$back" '$1 + 0 >= b + 0 && $2 == "answered"' "$work/client.log" | wc -l) answered, $(awk -v b="$back" '$1 + 0 >= b + 0 && $2 == "silent"' "$work/client.log" | wc -l) silent"
status

say "done: stopping both nodes and removing the namespaces"
