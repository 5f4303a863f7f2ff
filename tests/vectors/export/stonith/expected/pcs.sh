#!/bin/sh
# Pacemaker configuration, converted by 'hbctl export' from /etc/ha.d/ha.cf and /etc/ha.d/haresources (Heartbeat 3.0.6 v1, haresources).
# /etc/ha.d/authkeys (key 2, sha1) is not exported: its secret stays in that file, and Corosync authenticates with its own key (see corosync.conf).
# Every setting without an exact Pacemaker/Corosync equivalent is named in a comment marked NOT EQUIVALENT or 'no equivalent'.
# Every primitive gets a monitor operation: 3.0.6 never checked a running resource (it ran status only before a start); remove the monitors to keep that.
# Schema pacemaker-3.0 (Pacemaker 2.0 and later); promotable clone roles are written Master/Slave there, Promoted/Unpromoted in the pcs and crmsh scripts (pcs 0.11, crmsh 4.4 and later).
# Run on one node of a running, empty cluster (pcs cluster setup … with the exported corosync.conf's nodes; pcs cluster start --all).
set -e
cib=$(mktemp)
trap 'rm -f "$cib"' EXIT
pcs cluster cib "$cib"

# fencing from stonith_host, as 3.0.6 reset a dead node before taking over; NOT CONVERTED (no known fence agent, or a test plugin): ha.cf:8 'stonith_host * meatware …'
pcs -f "$cib" property set stonith-enabled=true
# corosync's two_node: 1 keeps quorum when one of the two nodes dies, so one failure never stops the survivor (v1 had no quorum at all); 'stop' only applies while a lone node waits for its peer after a cold start (wait_for_all)
pcs -f "$cib" property set no-quorum-policy=stop
# auto_failback off: a group stays where it runs until that node fails or is put in standby, never moving back to its home node on its own
pcs -f "$cib" resource defaults update resource-stickiness=INFINITY
# ha.cf:6 'stonith_host node1 external/ipmi …' (cluster-glue plugin external/ipmi → fence_ipmilan); it holds the device's password from ha.cf
# 3.0.6 used this device only from node1; Pacemaker runs it from any node but its target
# the fifth argument (lan or lanplus) is the interface: lanplus sets lanplus=1
pcs -f "$cib" stonith create fence_node2 fence_ipmilan pcmk_host_list=node2 ip=10.20.1.12 username=admin password=s3cret lanplus=1 op monitor interval=60s
# ha.cf:7 'stonith_host node2 external/ipmi …' (cluster-glue plugin external/ipmi → fence_ipmilan); it holds the device's password from ha.cf
# 3.0.6 used this device only from node2; Pacemaker runs it from any node but its target
# the fifth argument (lan or lanplus) is the interface: lanplus sets lanplus=1
pcs -f "$cib" stonith create fence_node1 fence_ipmilan pcmk_host_list=node1 ip=10.20.1.11 username=admin password=s3cret lanplus=1 op monitor interval=60s
# haresources line 1: node1 IPaddr2::10.20.0.100/24/eth0 postgresql
# haresources 'IPaddr2::10.20.0.100/24/eth0'
pcs -f "$cib" resource create IPaddr2_10.20.0.100 ocf:heartbeat:IPaddr2 ip=10.20.0.100 cidr_netmask=24 nic=eth0 op monitor interval=10s --group grp_IPaddr2_10.20.0.100
# haresources 'postgresql': /etc/init.d/postgresql, an LSB init script (an /etc/ha.d/resource.d script of this name would need installing as /etc/init.d/postgresql first)
pcs -f "$cib" resource create postgresql lsb:postgresql op monitor interval=15s --group grp_IPaddr2_10.20.0.100
# node1 is the group's home node (first word of haresources line 1)
pcs -f "$cib" constraint location add grp_IPaddr2_10.20.0.100-home grp_IPaddr2_10.20.0.100 node1 100
# a node never runs the device that resets it
pcs -f "$cib" constraint location add fence_node2-avoids-node2 fence_node2 node2 -INFINITY
# a node never runs the device that resets it
pcs -f "$cib" constraint location add fence_node1-avoids-node1 fence_node1 node1 -INFINITY

pcs cluster cib-push "$cib" --config
