#!/usr/bin/env bash
# Network-namespace lab for integration tests: one bridge namespace, one namespace per node, each node's NIC
# named ens18 (as in the users' ha.cf). Nothing here reaches an address outside these namespaces.
#
#   lab.sh up LAB                         bridge namespace LAB-br
#   lab.sh node LAB NAME IP/PREFIX        namespace LAB-NAME, ens18 with IP (broadcast set), linked to the bridge
#   lab.sh real LAB NAME DIR              start a real Heartbeat 3.0.6 in LAB-NAME with its own hostname, /etc/ha.d,
#                                         /var/lib/heartbeat, /var/log, /run and PID namespace; DIR holds ha.cf,
#                                         authkeys, haresources and receives ha.d/, lib/, log/. Prints nothing; the
#                                         node's log is DIR/log/ha-log. DIR/binds ("SOURCE TARGET" lines) are
#                                         bind-mounted in the node's mount namespace before it starts.
#   lab.sh real-pid LAB NAME              the (host) pid of that node's heartbeat master process, or nothing
#   lab.sh second LAB NAME IF IP/PREFIX   a second network (bridge br1, e.g. the article's DB network): IF in the
#                                         node with IP
#   lab.sh link LAB NAME up|down          set the node's bridge-side links (both networks)
#   lab.sh uplink LAB up|down NAME...     set only these nodes' second-network (public) links, all in one go
#   lab.sh gateway LAB IP/PREFIX...       namespace LAB-gw on the second network (bridge br1) with these addresses on
#                                         eth0: a gateway answering ping, and a client of the public side
#   lab.sh gwaddr LAB IP/PREFIX add|del   add or remove one of the gateway's addresses (a ping_group member down)
#   lab.sh poweroff LAB NAME              every process in the node's namespace killed, every address removed
#   lab.sh addr LAB NAME IF IP/PREFIX     give IF its address back (after a poweroff)
#   lab.sh netem LAB NAME ARGS...         tc netem on the node's ens18 (ARGS e.g. "loss 20%"), "none" to clear
#   lab.sh loss LAB NAME PERCENT          drop PERCENT % of the node's outgoing Heartbeat datagrams (netem where the
#                                         kernel has it, else an nftables random-drop rule); 0 clears
#   lab.sh isolate LAB NAME on|off        drop every Heartbeat datagram (UDP 694) to and from the node, links stay
#                                         up: the "drop" partition of behaviour.md §7
#   lab.sh cut LAB FROM TO on|off         drop every frame the bridges would carry from node FROM to node TO (both
#                                         networks): a one-way partition. Dropped in the bridge, so a capture on TO's
#                                         interface shows only what TO really received (the chaos checker relies on it)
#   lab.sh bloss LAB NAME PERCENT         drop PERCENT % of the frames the node sends, in the bridge (0 clears)
#   lab.sh dup LAB NAME on|off            every frame the node sends on br0 reaches the other nodes twice (nft dup)
#   lab.sh slow LAB NAME KBIT|none        a rate-limited queue (tbf, 2 s deep) on every interface of the node: its
#                                         frames leave late and bunched, the overflow dropped (a delay without netem)
#   lab.sh flap LAB NAME COUNT MS         the node's links down and up COUNT times, MS milliseconds each way
#   lab.sh down LAB                       kill every process in the lab's namespaces and delete them
#   lab.sh sweep -                        remove the labs of test runs whose process is gone (a crashed test host)
#
# Booted hosts (a real systemd as PID 1 in the node's namespaces; the machinery is in host.sh beside this file):
#   lab.sh rootfs - PACKAGE...            the cached Debian 12 root with these packages (built once with debootstrap
#                                         from apt's configured mirror; fails with a clear message when unreachable)
#   lab.sh host LAB NAME ROOT DIR         boot ROOT (read-only lower layer, changes in a tmpfs) in LAB-NAME: own PID,
#                                         mount, UTS, IPC and cgroup namespaces, hostname NAME, DIR/share at /mnt/lab
#   lab.sh host-pid LAB NAME              the (host) pid of that host's systemd, or nothing
set -euo pipefail

cmd=${1:?command}; lab=${2:?lab name}
br="$lab-br"

pids_of() { ip netns pids "$1" 2>/dev/null || true; }

case "$cmd" in
up)
  ip netns add "$br"
  ip -n "$br" link set lo up
  ip -n "$br" link add br0 type bridge
  # No STP and no forwarding delay: a port forwards at once.
  ip -n "$br" link set br0 type bridge stp_state 0 forward_delay 0
  ip -n "$br" link set br0 up
  ;;
node)
  name=${3:?node}; addr=${4:?ip/prefix}
  ns="$lab-$name"
  ip netns add "$ns"
  ip -n "$ns" link set lo up
  # The bridge-side end is named after a hash of the node, so names stay within IFNAMSIZ.
  port="p$(printf '%s' "$name" | md5sum | cut -c1-8)"
  ip link add ens18 netns "$ns" type veth peer name "$port" netns "$br"
  ip -n "$br" link set "$port" master br0 up
  ip -n "$ns" addr add "$addr" brd + dev ens18
  ip -n "$ns" link set ens18 up
  ;;
real)
  name=${3:?node}; dir=${4:?dir}
  ns="$lab-$name"
  mkdir -p "$dir/ha.d" "$dir/lib" "$dir/log" "$dir/stubs"
  cp -a /etc/ha.d/. "$dir/ha.d/"
  cp "$dir/ha.cf" "$dir/haresources" "$dir/ha.d/"
  install -m 600 "$dir/authkeys" "$dir/ha.d/authkeys"
  cp -a /var/lib/heartbeat/. "$dir/lib/"
  # Harmless stand-ins for what 3.0.6's recovery paths may run (reboot -nf on a failed stop, …).
  for stub in reboot halt poweroff shutdown systemctl; do
    printf '#!/bin/sh\necho "lab stub: %s $*" >&2\nexit 0\n' "$stub" > "$dir/stubs/$stub"
    chmod 755 "$dir/stubs/$stub"
  done
  # shellcheck disable=SC2016
  ip netns exec "$ns" unshare --uts --mount --pid --fork --propagation private --mount-proc \
    env LAB_DIR="$dir" LAB_NODE="$name" sh -c '
      set -e
      hostname "$LAB_NODE"
      mount --bind "$LAB_DIR/ha.d" /etc/ha.d
      mount --bind "$LAB_DIR/lib" /var/lib/heartbeat
      mount --bind "$LAB_DIR/log" /var/log
      mount -t tmpfs tmpfs /run
      mkdir -p /run/heartbeat /run/resource-agents
      chown hacluster:haclient /run/heartbeat
      # A /dev/log of its own, as on a Debian host with a syslog daemon. 3.0.6 starts its respawned clients with
      # fds 0-2 closed; a client (ipfail) that calls syslog() first keeps the /dev/log socket on fd 0 and its log
      # files on 1 and 2, so the API socket lands on 3. Without a /dev/log the API socket lands on fd 2, where
      # cl_log also writes its stderr copy of each line until the client has set its filter: the text corrupts the
      # IPC stream ("ipc_bufpool_update: magic number in head does not match") and every request fails.
      # The host has no /dev/log to bind over, so the node gets a tmpfs /dev with the host entries bound into it.
      mkdir /run/lab-hostdev
      mount --rbind /dev /run/lab-hostdev
      mount -t tmpfs -o mode=755 tmpfs /dev
      for e in /run/lab-hostdev/* /run/lab-hostdev/.[!.]*; do
        [ -e "$e" ] || [ -L "$e" ] || continue
        n=${e##*/}
        if [ -L "$e" ]; then cp -P "$e" "/dev/$n"
        elif [ -d "$e" ]; then mkdir "/dev/$n"; mount --rbind "$e" "/dev/$n"
        else touch "/dev/$n"; mount --bind "$e" "/dev/$n"; fi
      done
      socat -u UNIX-RECV:/dev/log,mode=666 OPEN:"$LAB_DIR/log/syslog",creat,append < /dev/null > /dev/null 2>&1 &
      for _ in $(seq 1 100); do [ -S /dev/log ] && break; sleep 0.05; done
      [ -S /dev/log ] || { echo "lab: no /dev/log" >&2; exit 1; }
      for stub in reboot halt poweroff shutdown systemctl; do
        for d in /sbin /usr/sbin /bin /usr/bin; do
          [ -e "$d/$stub" ] && mount --bind "$LAB_DIR/stubs/$stub" "$d/$stub" || true
        done
      done
      # The test binds ("SOURCE TARGET" lines: a tracing agent, a recording mail), in this namespace only.
      if [ -f "$LAB_DIR/binds" ]; then
        while read -r src dst; do mount --bind "$src" "$dst"; done < "$LAB_DIR/binds"
      fi
      # 3.0.6 forks into the background; this shell stays PID 1 of the namespace so the node lives on.
      # -l (normal scheduling) unless a benchmark asks for the default realtime scheduling of each daemon.
      # bash notes the moment of the exec for the benchmark start-up times (exec-stamp, as for our daemon).
      if [ "${HBNET_REALTIME:-0}" = 1 ]; then set --; else set -- -l; fi
      bash -c "echo \"\$EPOCHREALTIME\" > \"\$LAB_DIR/exec-stamp\" && exec /usr/libexec/heartbeat/heartbeat \"\$@\"" heartbeat "$@"
      exec sleep 2147483647
    ' > "$dir/log/stdout" 2>&1 < /dev/null &
  ;;
real-pid)
  name=${3:?node}
  for pid in $(pids_of "$lab-$name"); do
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = heartbeat ] || continue
    # A master that exited stays a zombie under the namespace's sleeping PID 1.
    grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null && continue
    ppid=$(awk '/^PPid:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    [ "$(cat "/proc/$ppid/comm" 2>/dev/null)" = heartbeat ] && continue
    echo "$pid"; break
  done
  ;;
second)
  name=${3:?node}; ifname=${4:?interface}; addr=${5:?ip/prefix}
  ns="$lab-$name"
  if ! ip -n "$br" link show br1 >/dev/null 2>&1; then
    ip -n "$br" link add br1 type bridge
    ip -n "$br" link set br1 type bridge stp_state 0 forward_delay 0
    ip -n "$br" link set br1 up
  fi
  port="q$(printf '%s' "$name" | md5sum | cut -c1-8)"
  ip link add "$ifname" netns "$ns" type veth peer name "$port" netns "$br"
  ip -n "$br" link set "$port" master br1 up
  ip -n "$ns" addr add "$addr" brd + dev "$ifname"
  ip -n "$ns" link set "$ifname" up
  ;;
link)
  name=${3:?node}; state=${4:?up|down}
  hash=$(printf '%s' "$name" | md5sum | cut -c1-8)
  ip -n "$br" link set "p$hash" "$state"
  if ip -n "$br" link show "q$hash" >/dev/null 2>&1; then
    ip -n "$br" link set "q$hash" "$state"
  fi
  ;;
uplink)
  state=${3:?up|down}; shift 3
  for name in "$@"; do
    ip -n "$br" link set "q$(printf '%s' "$name" | md5sum | cut -c1-8)" "$state"
  done
  ;;
gateway)
  shift 2
  ns="$lab-gw"
  if ! ip -n "$br" link show br1 >/dev/null 2>&1; then
    ip -n "$br" link add br1 type bridge
    ip -n "$br" link set br1 type bridge stp_state 0 forward_delay 0
    ip -n "$br" link set br1 up
  fi
  ip netns add "$ns"
  ip -n "$ns" link set lo up
  ip link add eth0 netns "$ns" type veth peer name qgateway netns "$br"
  ip -n "$br" link set qgateway master br1 up
  for addr in "$@"; do ip -n "$ns" addr add "$addr" dev eth0; done
  ip -n "$ns" link set eth0 up
  ;;
gwaddr)
  addr=${3:?ip/prefix}; action=${4:?add|del}
  ip -n "$lab-gw" addr "$action" "$addr" dev eth0
  ;;
poweroff)
  name=${3:?node}
  ns="$lab-$name"
  for pid in $(pids_of "$ns"); do kill -9 "$pid" 2>/dev/null || true; done
  for _ in $(seq 1 50); do
    [ -z "$(pids_of "$ns")" ] && break
    sleep 0.1
  done
  for dev in $(ip -n "$ns" -o link show | awk -F': ' '{print $2}' | cut -d@ -f1); do
    [ "$dev" = lo ] || ip -n "$ns" addr flush dev "$dev"
  done
  ;;
addr)
  name=${3:?node}; ifname=${4:?interface}; addr=${5:?ip/prefix}
  ip -n "$lab-$name" addr add "$addr" brd + dev "$ifname"
  ;;
netem)
  name=${3:?node}; shift 3
  if [ "${1:-}" = none ]; then
    ip netns exec "$lab-$name" tc qdisc del dev ens18 root 2>/dev/null || true
  else
    ip netns exec "$lab-$name" tc qdisc replace dev ens18 root netem "$@"
  fi
  ;;
loss)
  name=${3:?node}; percent=${4:?percent}
  ns="$lab-$name"
  ip netns exec "$ns" tc qdisc del dev ens18 root 2>/dev/null || true
  ip netns exec "$ns" nft delete table inet hblab 2>/dev/null || true
  if [ "$percent" != 0 ]; then
    if ! ip netns exec "$ns" tc qdisc replace dev ens18 root netem loss "$percent%" 2>/dev/null; then
      # Kernels without sch_netem (some VMs): the same loss with nftables, as the capture study did.
      ip netns exec "$ns" nft -f - <<NFT
table inet hblab {
  chain out { type filter hook output priority 0; policy accept; udp dport 694 numgen random mod 100 < $percent drop; }
}
NFT
    fi
  fi
  ;;
isolate)
  name=${3:?node}; state=${4:?on|off}
  ns="$lab-$name"
  ip netns exec "$ns" nft delete table inet hbisolate 2>/dev/null || true
  if [ "$state" = on ]; then
    ip netns exec "$ns" nft -f - <<NFT
table inet hbisolate {
  chain in { type filter hook input priority 0; policy accept; udp dport 694 drop; }
  chain out { type filter hook output priority 0; policy accept; udp dport 694 drop; }
}
NFT
  fi
  ;;
cut|bloss)
  # One bridge-family table in the bridge namespace; each rule carries a comment naming it, to be deleted by handle.
  nft_bridge() { ip netns exec "$br" nft "$@"; }
  nft_bridge list table bridge hbchaos >/dev/null 2>&1 || nft_bridge -f - <<NFT
table bridge hbchaos {
  chain forward { type filter hook forward priority 0; policy accept; }
}
NFT
  hash_of() { printf '%s' "$1" | md5sum | cut -c1-8; }
  drop_rule() { # comment
    for h in $(nft_bridge -a list chain bridge hbchaos forward | sed -n "s/.*comment \"$1\" # handle \([0-9]*\)/\1/p"); do
      nft_bridge delete rule bridge hbchaos forward handle "$h"
    done
  }
  if [ "$cmd" = cut ]; then
    from=${3:?from}; to=${4:?to}; state=${5:?on|off}
    tag="cut $from $to"; drop_rule "$tag"
    if [ "$state" = on ]; then
      fh=$(hash_of "$from"); th=$(hash_of "$to")
      nft_bridge add rule bridge hbchaos forward iifname "{ \"p$fh\", \"q$fh\" }" oifname "{ \"p$th\", \"q$th\" }" drop comment "\"$tag\""
    fi
  else
    name=${3:?node}; percent=${4:?percent}
    tag="loss $name"; drop_rule "$tag"
    if [ "$percent" != 0 ]; then
      h=$(hash_of "$name")
      nft_bridge add rule bridge hbchaos forward iifname "{ \"p$h\", \"q$h\" }" numgen random mod 100 "<" "$percent" drop comment "\"$tag\""
    fi
  fi
  ;;
dup)
  name=${3:?node}; state=${4:?on|off}
  h=$(printf '%s' "$name" | md5sum | cut -c1-8)
  ip netns exec "$br" nft delete table netdev "hbdup$h" 2>/dev/null || true
  if [ "$state" = on ]; then
    # A copy of each frame the node sends straight out of every other node port (the bridge forwards the original).
    others=$(ip -n "$br" -o link show master br0 | awk -F': ' '{print $2}' | cut -d@ -f1 | grep -v "^p$h\$" || true)
    rules=""
    for o in $others; do rules="$rules dup to \"$o\";"; done
    ip netns exec "$br" nft -f - <<NFT
table netdev hbdup$h {
  chain in { type filter hook ingress device "p$h" priority 0; $rules }
}
NFT
  fi
  ;;
slow)
  name=${3:?node}; rate=${4:?kbit|none}
  ns="$lab-$name"
  for dev in $(ip -n "$ns" -o link show | awk -F': ' '{print $2}' | cut -d@ -f1); do
    [ "$dev" = lo ] && continue
    if [ "$rate" = none ]; then
      ip netns exec "$ns" tc qdisc del dev "$dev" root 2>/dev/null || true
    else
      ip netns exec "$ns" tc qdisc replace dev "$dev" root tbf rate "${rate}kbit" burst 1600 latency 2s
    fi
  done
  ;;
flap)
  name=${3:?node}; count=${4:?count}; ms=${5:?milliseconds}
  s=$(awk -v ms="$ms" 'BEGIN { printf "%.3f", ms / 1000 }')
  for _ in $(seq 1 "$count"); do
    "$0" link "$lab" "$name" down; sleep "$s"
    "$0" link "$lab" "$name" up; sleep "$s"
  done
  ;;
down)
  for ns in $(ip netns list | awk '{print $1}' | grep -E "^$lab-" || true); do
    for pid in $(pids_of "$ns"); do kill -9 "$pid" 2>/dev/null || true; done
  done
  # Processes in a PID namespace die with its init; give the kernel a moment, then delete.
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    left=0
    for ns in $(ip netns list | awk '{print $1}' | grep -E "^$lab-" || true); do
      [ -n "$(pids_of "$ns")" ] && left=1
    done
    [ "$left" = 0 ] && break
    sleep 0.2
  done
  for ns in $(ip netns list | awk '{print $1}' | grep -E "^$lab-" || true); do
    ip netns del "$ns" 2>/dev/null || true
  done
  bash "$(dirname "$0")/host.sh" cgroups-down "$lab"
  ;;
rootfs|host|host-pid)
  exec bash "$(dirname "$0")/host.sh" "$@"
  ;;
sweep)
  # Lab names are hbt<pid>x<n>: a lab whose test process no longer runs is left over.
  for lab_name in $(ip netns list | awk '{print $1}' | sed -n 's/^\(hbt[0-9]*x[0-9]*\)-.*/\1/p' | sort -u); do
    owner=${lab_name#hbt}; owner=${owner%%x*}
    if [ ! -d "/proc/$owner" ]; then
      "$0" down "$lab_name"
    fi
  done
  # Booted hosts' cgroups whose lab has no namespace left (their processes are gone with their PID namespace).
  bash "$(dirname "$0")/host.sh" cgroups-sweep
  ;;
*)
  echo "lab.sh: unknown command $cmd" >&2; exit 2 ;;
esac
