#!/usr/bin/env bash
# Records which managed methods the daemon runs, in which phase, and writes the NativeAOT layout file that places them
# first in the binary (src/Heartbeat.Daemon/code-layout.txt, the daemon's IlcOrderFile).
#
#   bash bench/code-layout.sh [--rest SECONDS] [--out FILE] [--keep-trace FILE]
#
# The layout is written after ~6 minutes; the clean-up then takes about 20 more: the kernel unregisters the ~22 000
# uprobes one at a time (tens of ms each).
#
# Why: the daemon runs ~4 000 of the ~22 000 methods in its binary (~0.85 MB of 3.5 MB of code), scattered over all of
# it. The kernel maps a file's pages 64 KB at a time around each fault, so a scattered start-up leaves all of the
# code resident, and every wake-up at rest touches code spread over the whole binary (iTLB and cache misses). Laid out
# by this file the code a heartbeat runs sits in a few pages, the rest of the steady state, the takeover paths and the
# start-up follow, and the code never run stays on disk.
#
# How: a uprobe on the entry of every managed method of a fresh NativeAOT build (tracefs; needs root), then a pair of
# nodes in a network-namespace lab: start-up until the VIP is placed, REST seconds at rest (counters lines and heap
# trims included), a graceful handover, the failback, a crash of the holder and the takeover. Each method's first hit
# and its number of hits at rest sort it into one of four parts, in this order:
#   1. per heartbeat: hit at rest at least once every 2 s (both nodes together), in the order first run;
#   2. rest of the steady state: hit at rest (counters line, trims, …), in the order first run;
#   3. handover, failback, crash takeover: first run after the rest window;
#   4. start-up: everything else that ran, in the order first run.
# Methods whose bodies were folded into one (same address) are all listed. Names the compiler no longer produces are
# ignored by it; Heartbeat.Aot.Tests fails when too many of the listed names have gone, i.e. when to run this again.
set -euo pipefail
cd "$(dirname "$0")/.."
rest=130
out=src/Heartbeat.Daemon/code-layout.txt
keep_trace=
while [ $# -gt 0 ]; do
  case "$1" in
    --rest) rest=${2:?seconds}; shift 2 ;;
    --out) out=${2:?file}; shift 2 ;;
    --keep-trace) keep_trace=${2:?file}; shift 2 ;;
    *) echo "usage: bash bench/code-layout.sh [--rest SECONDS] [--out FILE] [--keep-trace FILE]" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "bench/code-layout.sh: needs root (uprobes, network namespaces)" >&2; exit 1; }
tracefs=/sys/kernel/tracing
[ -e "$tracefs/uprobe_events" ] || mount -t tracefs nodev "$tracefs"
[ -w "$tracefs/uprobe_events" ] || { echo "bench/code-layout.sh: $tracefs/uprobe_events is not writable (uprobes needed)" >&2; exit 1; }
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

lab_sh=tests/Heartbeat.Integration.Tests/lab/lab.sh
work=$(mktemp -d /tmp/hbnet-layout.XXXXXX)
lab="cl$$"
group="hblayout$$"
tracer=
buffer_kb=
tracing_was=
cleanup() {
  set +e
  [ -n "$tracer" ] && kill "$tracer" 2>/dev/null
  [ -e "$tracefs/events/$group/enable" ] && echo 0 > "$tracefs/events/$group/enable"
  [ -n "$buffer_kb" ] && echo "$buffer_kb" > "$tracefs/buffer_size_kb"
  [ -n "$tracing_was" ] && echo "$tracing_was" > "$tracefs/tracing_on"
  if grep -q "^p:$group/" "$tracefs/uprobe_events" 2>/dev/null; then
    # Only our probes go (others' stay): one removal per event, from a list read in full first (the kernel's listing
    # skips entries when the list changes while it is being read).
    grep -o "^p:$group/[a-z0-9]*" "$tracefs/uprobe_events" | sed 's/^p:/-:/' > "$work/remove"
    while read -r gone; do echo "$gone" >> "$tracefs/uprobe_events"; done < "$work/remove"
  fi
  bash "$lab_sh" down "$lab" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

echo "code-layout: publishing the daemon (NativeAOT)"
dotnet publish src/Heartbeat.Daemon -c Release -r linux-x64 -p:PublishAot=true --nologo -v quiet -o "$work/bin" >/dev/null
bin="$work/bin/heartbeat"

# Every managed method: the symbols of the __managedcode and __unbox sections (the runtime's own C++ code is laid out
# by the linker, not by this file). Folded bodies share an address: one probe per address, all names kept.
readelf -SW "$bin.dbg" 2>/dev/null | awk '{ for (i = 1; i <= NF; i++) if ($i == "__managedcode" || $i == "__unbox") print $(i+2), $(i+4) }' > "$work/sections"
[ -s "$work/sections" ] || { echo "bench/code-layout.sh: no __managedcode section in $bin.dbg" >&2; exit 1; }
nm --defined-only "$bin.dbg" | awk -v sections="$work/sections" '
  BEGIN { while ((getline line < sections) > 0) { split(line, f, " "); lo[++n] = strtonum("0x" f[1]); hi[n] = lo[n] + strtonum("0x" f[2]) } }
  $2 ~ /^[tT]$/ { a = strtonum("0x" $1); for (i = 1; i <= n; i++) if (a >= lo[i] && a < hi[i]) { print $1, $3; break } }' |
  sort -k1,1 > "$work/methods"
# Compared as strings: awk reads an address like 00000000000e3200 as a number (0e3200, i.e. zero), and would take the
# next such address for the same one.
awk '{ if ("@" $1 != last) { n++; last = "@" $1; print n, $1 } }' "$work/methods" > "$work/probes"
echo "code-layout: $(wc -l < "$work/methods") methods at $(wc -l < "$work/probes") addresses; adding uprobes"
# One write per probe definition: the kernel parses each write as one definition.
while read -r id address; do printf 'p:%s/m%d %s:0x%s\n' "$group" "$id" "$bin" "$address" >> "$tracefs/uprobe_events"; done < "$work/probes"

# The start-up runs ~800 000 method entries in a few seconds: a buffer the reader cannot fall a lap behind (the
# previous size is restored at the end).
buffer_kb=$(cat "$tracefs/buffer_size_kb")
tracing_was=$(cat "$tracefs/tracing_on")
echo 65536 > "$tracefs/buffer_size_kb"
echo > "$tracefs/trace"
echo 1 > "$tracefs/events/$group/enable"
echo 1 > "$tracefs/tracing_on"
cat "$tracefs/trace_pipe" > "$work/trace" &
tracer=$!
mark() { echo "hblayout-$$ $1" > "$tracefs/trace_marker"; }

# The scenario: the footprint benchmark's pair (keepalive 1 s, bcast, sha1, one VIP).
bash "$lab_sh" up "$lab"
for i in 1 2; do
  bash "$lab_sh" node "$lab" "server$i" "10.10.10.1$i/24"
  d="$work/server$i"
  mkdir -p "$d/etc" "$d/state" "$d/run" "$d/log"
  printf 'keepalive 1000ms\ndeadtime 3\nwarntime 2\ninitdead 3\nudpport 694\nbcast ens18\nauto_failback on\nlogfile %s\ndebugfile %s\ncrm off\nnode server1\nnode server2\n' \
    "$d/log/ha-log" "$d/log/ha-debug" > "$d/etc/ha.cf"
  printf 'auth 1\n1 sha1 layout\n' > "$d/etc/authkeys"; chmod 600 "$d/etc/authkeys"
  echo "server1 IPaddr2::10.10.10.1/24/ens18" > "$d/etc/haresources"
done
start_node() {
  local d="$work/server$1"
  ip netns exec "$lab-server$1" "$bin" -l --config-dir "$d/etc" --state-dir "$d/state" --run-dir "$d/run" --node "server$1" >> "$d/out.log" 2>&1 &
  echo $! > "$d/pid"
}
holds_vip() {
  local addresses
  addresses=$(ip -n "$lab-server$1" -4 addr show dev ens18 2>/dev/null || true)
  [[ "$addresses" == *"inet 10.10.10.1/24"* ]]
}
wait_vip() { # NODE TIMEOUT
  local deadline=$((SECONDS + $2))
  until holds_vip "$1"; do
    [ $SECONDS -lt $deadline ] || { echo "bench/code-layout.sh: server$1 did not take the VIP within $2 s" >&2; exit 1; }
    sleep 0.2
  done
}
mark start
start_node 1; start_node 2
wait_vip 1 60
sleep 10 # the start-up's tail: the first heap trim runs once the placement has settled
mark rest
echo "code-layout: at rest for $rest s"
sleep "$rest"
mark handover
kill -TERM "$(cat "$work/server1/pid")"
wait_vip 2 30
sleep 2
start_node 1
wait_vip 1 30
sleep 2
kill -KILL "$(cat "$work/server1/pid")"
wait_vip 2 30
sleep 2
mark end
kill -TERM "$(cat "$work/server2/pid")"
sleep 2
# Recording stops here; disabling the probes (minutes: each one is unregistered on its own) is left to the cleanup,
# after the layout is written.
echo 0 > "$tracefs/tracing_on"
sleep 1
kill "$tracer"; tracer=
[ -z "$keep_trace" ] || cp "$work/trace" "$keep_trace"

# Each probe's first hit (in trace order) and its hits between the rest and handover marks.
awk -v me="hblayout-$$" -v rest="$rest" -v probes="$work/probes" -v methods="$work/methods" '
  BEGIN {
    while ((getline line < probes) > 0) { split(line, f, " "); address[f[1]] = f[2] }
    while ((getline line < methods) > 0) { split(line, f, " "); names[f[1]] = names[f[1]] ? names[f[1]] "\n" f[2] : f[2] }
    phase = "none"
  }
  index($0, me " ") { phase = substr($0, index($0, me " ") + length(me) + 1); next }
  match($0, / m[0-9]+: \(/) {
    id = substr($0, RSTART + 2, RLENGTH - 5) + 0
    if (!(id in first)) { first[id] = ++seen; order[seen] = id; firstphase[id] = phase }
    if (phase == "rest") hits[id]++
  }
  END {
    part[1] = "# 1. per heartbeat (hit at rest at least once every 2 s)"
    part[2] = "# 2. rest of the steady state"
    part[3] = "# 3. handover, failback, crash takeover"
    part[4] = "# 4. start-up"
    for (p = 1; p <= 4; p++) {
      print part[p]
      for (k = 1; k <= seen; k++) {
        id = order[k]
        if (hits[id] >= rest / 2) q = 1
        else if (hits[id] > 0) q = 2
        else if (firstphase[id] == "handover" || firstphase[id] == "end") q = 3
        else q = 4
        if (q == p) { print names[address[id]]; count[p]++ }
      }
    }
    printf "code-layout: %d methods ran: %d per heartbeat, %d more at rest, %d in handover/takeover, %d at start-up\n", seen, count[1], count[2], count[3], count[4] > "/dev/stderr"
  }' "$work/trace" > "$work/layout"
grep -q "^[^#]" "$work/layout" || { echo "bench/code-layout.sh: no probe hit recorded" >&2; exit 1; }

{
  echo "# NativeAOT method layout of the daemon (IlcOrderFile): the methods named here come first in the binary, in"
  echo "# this order; names the compiler does not produce (and these comment lines) are ignored."
  echo "# Written by bench/code-layout.sh (rest ${rest} s) at $(git rev-parse --short HEAD) on $(date -u +%Y-%m-%d); run it again"
  echo "# when Heartbeat.Aot.Tests says too many names have gone."
  cat "$work/layout"
} > "$out"
echo "code-layout: wrote $out ($(grep -vc '^#' "$out") names)"
