#!/bin/sh
# Pacemaker configuration, converted by 'hbctl export' from /etc/ha.d/ha.cf and /etc/ha.d/haresources (Heartbeat 3.0.6 v1, haresources).
# /etc/ha.d/authkeys (key 2, sha1) is not exported: its secret stays in that file, and Corosync authenticates with its own key (see corosync.conf).
# Every setting without an exact Pacemaker/Corosync equivalent is named in a comment marked NOT EQUIVALENT or 'no equivalent'.
# Every primitive gets a monitor operation: 3.0.6 never checked a running resource (it ran status only before a start); remove the monitors to keep that.
# Schema pacemaker-3.0 (Pacemaker 2.0 and later); promotable clone roles are written Master/Slave there, Promoted/Unpromoted in the pcs and crmsh scripts (pcs 0.11, crmsh 4.4 and later).
# ha.cf:8 'respawn hacluster /usr/lib/heartbeat/ipfail': ipfail is replaced by the ping clone and its location rules.
# ha.cf:9 'apiauth ipfail gid=haclient uid=hacluster' has no equivalent (Pacemaker's access control is ACLs and the haclient group).
# Run on one node of a running, empty cluster (pcs cluster setup … with the exported corosync.conf's nodes; pcs cluster start --all).
set -e
cib=$(mktemp)
trap 'rm -f "$cib"' EXIT
pcs cluster cib "$cib"

# FENCING IS OFF: ha.cf configures no convertible STONITH device. Heartbeat v1 took over without fencing too; Pacemaker refuses to start resources without fencing unless this is false. A split brain then runs a group on both nodes: add a fence device (pcs stonith create …) and set this to true
pcs -f "$cib" property set stonith-enabled=false
# corosync's two_node: 1 keeps quorum when one of the two nodes dies, so one failure never stops the survivor (v1 had no quorum at all); 'stop' only applies while a lone node waits for its peer after a cold start (wait_for_all)
pcs -f "$cib" property set no-quorum-policy=stop
# auto_failback on: a group moves back to its home node (score 100) as soon as it returns
pcs -f "$cib" resource defaults update resource-stickiness=0
# ping nodes: ha.cf:5 'ping 192.168.1.1', ha.cf:6 'ping_group uplinks 192.168.1.2 192.168.1.3'; pingd = 1000 × the number of hosts answering
# NOT EQUIVALENT: a ping_group counted as one node, up while any member answered; here each member counts on its own
# deadping (ha.cf:7) has no equivalent: the agent's dampen (5s), attempts and timeout decide when a host counts as lost
# on every node, so each node's pingd attribute says what it reaches
pcs -f "$cib" resource create ping ocf:pacemaker:ping host_list='192.168.1.1 192.168.1.2 192.168.1.3' multiplier=1000 op monitor interval=10s clone
# haresources line 1: gw1 IPaddr2::192.168.1.254/24/eth0 IPaddr2::10.1.0.1/16/eth1 squid
# haresources 'IPaddr2::192.168.1.254/24/eth0'
pcs -f "$cib" resource create IPaddr2_192.168.1.254 ocf:heartbeat:IPaddr2 ip=192.168.1.254 cidr_netmask=24 nic=eth0 op monitor interval=10s --group grp_IPaddr2_192.168.1.254
# haresources 'IPaddr2::10.1.0.1/16/eth1'
pcs -f "$cib" resource create IPaddr2_10.1.0.1 ocf:heartbeat:IPaddr2 ip=10.1.0.1 cidr_netmask=16 nic=eth1 op monitor interval=10s --group grp_IPaddr2_192.168.1.254
# haresources 'squid': /etc/init.d/squid, an LSB init script (an /etc/ha.d/resource.d script of this name would need installing as /etc/init.d/squid first)
pcs -f "$cib" resource create squid lsb:squid op monitor interval=15s --group grp_IPaddr2_192.168.1.254
# gw1 is the group's home node (first word of haresources line 1)
pcs -f "$cib" constraint location add grp_IPaddr2_192.168.1.254-home grp_IPaddr2_192.168.1.254 gw1 100
# never on a node that reaches none of the ping nodes: what ipfail did for v1 clusters (3.0.6 without ipfail only reported ping nodes)
# NOT EQUIVALENT: when every node loses the ping nodes the group stops, where ipfail left it running
pcs -f "$cib" constraint location grp_IPaddr2_192.168.1.254 rule id=grp_IPaddr2_192.168.1.254-connected-rule constraint-id=grp_IPaddr2_192.168.1.254-connected score=-INFINITY not_defined pingd or pingd lte 0

pcs cluster cib-push "$cib" --config
