#!/bin/sh
# Pacemaker configuration, converted by 'hbctl export' from /etc/ha.d/ha.cf and /etc/ha.d/haresources (Heartbeat 3.0.6 v1, haresources).
# /etc/ha.d/authkeys (key 1, md5) is not exported: its secret stays in that file, and Corosync authenticates with its own key (see corosync.conf).
# Every setting without an exact Pacemaker/Corosync equivalent is named in a comment marked NOT EQUIVALENT or 'no equivalent'.
# Every primitive gets a monitor operation: 3.0.6 never checked a running resource (it ran status only before a start); remove the monitors to keep that.
# Schema pacemaker-3.0 (Pacemaker 2.0 and later); promotable clone roles are written Master/Slave there, Promoted/Unpromoted in the pcs and crmsh scripts (pcs 0.11, crmsh 4.4 and later).
# Run on one node of a running, empty cluster (pcs cluster setup … with the exported corosync.conf's nodes; pcs cluster start --all).
set -e
cib=$(mktemp)
trap 'rm -f "$cib"' EXIT
pcs cluster cib "$cib"

# FENCING IS OFF: ha.cf configures no convertible STONITH device. Heartbeat v1 took over without fencing too; Pacemaker refuses to start resources without fencing unless this is false. A split brain then runs a group on both nodes: add a fence device (pcs stonith create …) and set this to true
pcs -f "$cib" property set stonith-enabled=false
# corosync's two_node: 1 keeps quorum when one of the two nodes dies, so one failure never stops the survivor (v1 had no quorum at all); 'stop' only applies while a lone node waits for its peer after a cold start (wait_for_all)
pcs -f "$cib" property set no-quorum-policy=stop
# auto_failback legacy (3.0.6's default): the returning home node asks for its groups back (ip-request), so they fail back as with auto_failback on
pcs -f "$cib" resource defaults update resource-stickiness=0
# haresources line 1: server1 10.10.10.1
# haresources '10.10.10.1'
# IPaddr (resource.d/IPaddr → ocf:heartbeat:IPaddr) becomes ocf:heartbeat:IPaddr2, the Linux agent with the same parameters
# no netmask or interface given: IPaddr2 finds them from the route covering the address, as 3.0.6's findif did
pcs -f "$cib" resource create IPaddr2_10.10.10.1 ocf:heartbeat:IPaddr2 ip=10.10.10.1 op monitor interval=10s --group grp_IPaddr2_10.10.10.1
# server1 is the group's home node (first word of haresources line 1)
pcs -f "$cib" constraint location add grp_IPaddr2_10.10.10.1-home grp_IPaddr2_10.10.10.1 server1 100

pcs cluster cib-push "$cib" --config
