#!/usr/bin/env bash
# The final proof of `hbctl export`: a real Corosync 3 + Pacemaker 2 pair, started from the files exported from the
# article's etc/ha.d (server1, server2; VIP 10.10.10.1 at home on server1), serves the VIP and fails it over when
# server1 dies. Each node runs in its own network, mount and UTS namespace (its own /etc/corosync, /var/lib/pacemaker,
# /run, /dev/shm and host name), linked by a bridge as ens18; a client namespace checks who answers for the VIP.
# Needs root, corosync, pacemaker, resource-agents and iproute2 (scripts/test.sh installs them). On a shared machine
# run it under the network-namespace lock: flock /tmp/hbnet-netns.lock bench/pacemaker-export.sh
# Prints the seconds to the first start and to the failover, and exits 0 only if both happened.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "bench/pacemaker-export.sh: needs root (network namespaces)" >&2; exit 1; }
for tool in corosync corosync-keygen pacemakerd cibadmin crm_mon ip unshare nsenter; do
  command -v "$tool" >/dev/null 2>&1 || { echo "bench/pacemaker-export.sh: $tool is missing (scripts/test.sh installs it)" >&2; exit 1; }
done

tag="pcx$$"
work=$(mktemp -d /tmp/pacemaker-export.XXXXXX)
declare -A address=([server1]=10.10.10.2 [server2]=10.10.10.3)
vip=10.10.10.1

cleanup() {
  for ns in "$tag-server1" "$tag-server2" "$tag-client" "$tag-br"; do
    if ip netns list | grep -qw "$ns"; then
      pids=$(ip netns pids "$ns" || true)
      [ -z "$pids" ] || kill -9 $pids 2>/dev/null || true
      ip netns del "$ns" 2>/dev/null || true
    fi
  done
  rm -rf "$work"
}
trap cleanup EXIT

echo "== export"
dotnet build src/Heartbeat.Ctl -c Release --nologo -v quiet >/dev/null
hbctl=(dotnet src/Heartbeat.Ctl/bin/Release/net10.0/hbctl.dll)
"${hbctl[@]}" export cib etc/ha.d --corosync "$work/corosync.conf" \
  --node-address "server1=${address[server1]}" --node-address "server2=${address[server2]}" > "$work/cib.xml"
# The exported corosync.conf asks for crypto (authkeys authenticates) and says how to make the key: corosync-keygen.
corosync-keygen -k "$work/authkey" >/dev/null 2>&1

echo "== namespaces"
ip netns add "$tag-br"
ip -n "$tag-br" link add br0 type bridge
ip -n "$tag-br" link set br0 up
for ns in server1 server2 client; do
  ip netns add "$tag-$ns"
  port="$tag${ns:0:1}${ns: -1}" # the bridge side: interface names have at most 15 characters
  ip link add "$port" type veth peer name "${port}x"
  ip link set "${port}x" netns "$tag-$ns"
  ip -n "$tag-$ns" link set "${port}x" name ens18
  ip link set "$port" netns "$tag-br"
  ip -n "$tag-br" link set "$port" master br0 up
  ip -n "$tag-$ns" link set lo up
  ip -n "$tag-$ns" link set ens18 up
done
ip -n "$tag-server1" addr add "${address[server1]}/24" dev ens18
ip -n "$tag-server2" addr add "${address[server2]}/24" dev ens18
ip -n "$tag-client" addr add 10.10.10.9/24 dev ens18

# Starts corosync and pacemakerd in the node's namespaces with private state directories; prints pacemakerd's pid.
start_node() {
  local node=$1 root="$work/$1"
  mkdir -p "$root"/{etc-corosync,lib-corosync,lib-pacemaker/{cib,pengine,blackbox,cores},log-pacemaker,log-cluster,run,shm}
  cp "$work/corosync.conf" "$work/authkey" "$root/etc-corosync/"
  chown -R hacluster:haclient "$root/lib-pacemaker" "$root/log-pacemaker"
  ip netns exec "$tag-$node" unshare --mount --uts --propagation private bash -c "
    hostname $node
    mount --bind $root/etc-corosync /etc/corosync
    mount --bind $root/lib-corosync /var/lib/corosync
    mount --bind $root/lib-pacemaker /var/lib/pacemaker
    mount --bind $root/log-pacemaker /var/log/pacemaker
    mount --bind $root/log-cluster /var/log/cluster 2>/dev/null || true
    mount -t tmpfs tmpfs /run
    mkdir -p /run/crm /run/resource-agents && chown hacluster:haclient /run/crm
    mount -t tmpfs tmpfs /dev/shm
    corosync -f > $root/corosync.log 2>&1 &
    sleep 1
    PCMK_logfile=$root/pacemaker.log pacemakerd > $root/pacemakerd.out 2>&1 &
    echo \$!
    wait
  " > "$root/pid" 2> "$root/start.err" &
  disown # its end, when server1 is killed, is the point, not news
  for _ in $(seq 50); do [ -s "$root/pid" ] && break; sleep 0.1; done
}

# Runs a command in a node's namespaces (the ones its pacemakerd runs in).
on() {
  local node=$1; shift
  nsenter -t "$(head -n1 "$work/$node/pid")" -m -u -n "$@"
}

vip_holder() {
  for node in server1 server2; do
    if ip -n "$tag-$node" -4 addr show dev ens18 | grep -q " $vip/"; then echo "$node"; return; fi
  done
  echo none
}

echo "== start corosync + pacemaker on both nodes"
booted=$SECONDS
start_node server1
start_node server2
for _ in $(seq 120); do
  if on server1 crm_mon -1 2>/dev/null | grep -q "Online: \[ server1 server2 \]"; then break; fi
  sleep 1
done
echo "   both online after $((SECONDS - booted)) s"
on server1 crm_mon -1 | grep -q "Online: \[ server1 server2 \]" || { echo "FAIL: the nodes did not both come online"; tail -n 20 "$work"/server*/corosync.log; exit 1; }

echo "== load the exported CIB"
on server1 cibadmin --replace --xml-file "$work/cib.xml"
started=$SECONDS
for _ in $(seq 60); do [ "$(vip_holder)" = server1 ] && break; sleep 0.5; done
holder=$(vip_holder)
echo "   VIP $vip on: $holder ($((SECONDS - started)) s after loading)"
[ "$holder" = server1 ] || { on server1 crm_mon -1 -r; echo "FAIL: the VIP is not on its home node server1"; exit 1; }
ip netns exec "$tag-client" ping -c 2 -W 1 "$vip" >/dev/null && echo "   the client reaches $vip ($(ip -n "$tag-client" neigh show "$vip" | awk '{print $5}'); server1's ens18 is $(ip -n "$tag-server1" link show ens18 | awk '/ether/{print $2}'))"

echo "== kill server1 (corosync and every Pacemaker daemon, SIGKILL)"
killed=$SECONDS
kill -9 $(ip netns pids "$tag-server1")
ip -n "$tag-server1" addr flush dev ens18 # a dead machine answers nothing, not even for the VIP it held
for _ in $(seq 120); do [ "$(vip_holder)" = server2 ] && break; sleep 0.5; done
holder=$(vip_holder)
echo "   VIP $vip on: $holder ($((SECONDS - killed)) s after the kill; corosync token $(awk '/token:/{print $2}' "$work/corosync.conf") ms)"
[ "$holder" = server2 ] || { on server2 crm_mon -1 -r; echo "FAIL: the VIP did not fail over to server2"; exit 1; }
ip netns exec "$tag-client" ip neigh flush all
ip netns exec "$tag-client" ping -c 2 -W 1 "$vip" >/dev/null && echo "   the client reaches $vip ($(ip -n "$tag-client" neigh show "$vip" | awk '{print $5}'); server2's ens18 is $(ip -n "$tag-server2" link show ens18 | awk '/ether/{print $2}'))"
on server2 crm_mon -1 | sed -n '/Node List/,$p' | sed 's/^/   /'
echo "PASS: the exported configuration served the article's VIP on server1 and failed it over to server2"
