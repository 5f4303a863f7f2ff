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

# FENCING IS OFF: ha.cf configures no convertible STONITH device. Heartbeat v1 took over without fencing too; Pacemaker refuses to start resources without fencing unless this is false. A split brain then runs a group on both nodes: add a fence device (pcs stonith create …) and set this to true
pcs -f "$cib" property set stonith-enabled=false
# corosync's two_node: 1 keeps quorum when one of the two nodes dies, so one failure never stops the survivor (v1 had no quorum at all); 'stop' only applies while a lone node waits for its peer after a cold start (wait_for_all)
pcs -f "$cib" property set no-quorum-policy=stop
# auto_failback on: a group moves back to its home node (score 100) as soon as it returns
pcs -f "$cib" resource defaults update resource-stickiness=0
# haresources line 1: web1 192.168.10.50 apache2
# haresources '192.168.10.50'
# IPaddr (resource.d/IPaddr → ocf:heartbeat:IPaddr) becomes ocf:heartbeat:IPaddr2, the Linux agent with the same parameters
# no netmask or interface given: IPaddr2 finds them from the route covering the address, as 3.0.6's findif did
pcs -f "$cib" resource create IPaddr2_192.168.10.50 ocf:heartbeat:IPaddr2 ip=192.168.10.50 op monitor interval=10s --group grp_IPaddr2_192.168.10.50
# haresources 'apache2': /etc/init.d/apache2, an LSB init script (an /etc/ha.d/resource.d script of this name would need installing as /etc/init.d/apache2 first)
pcs -f "$cib" resource create apache2 lsb:apache2 op monitor interval=15s --group grp_IPaddr2_192.168.10.50
# haresources line 2: web2 IPaddr::192.168.10.51/24/eth0:nfs Filesystem::/dev/sdb1::/srv/nfs::xfs::noatime nfs-kernel-server
# haresources 'IPaddr::192.168.10.51/24/eth0:nfs'
# IPaddr (resource.d/IPaddr → ocf:heartbeat:IPaddr) becomes ocf:heartbeat:IPaddr2, the Linux agent with the same parameters
pcs -f "$cib" resource create IPaddr2_192.168.10.51 ocf:heartbeat:IPaddr2 ip=192.168.10.51 cidr_netmask=24 nic=eth0 iflabel=nfs op monitor interval=10s --group grp_IPaddr2_192.168.10.51
# haresources 'Filesystem::/dev/sdb1::/srv/nfs::xfs::noatime'
pcs -f "$cib" resource create Filesystem_dev_sdb1 ocf:heartbeat:Filesystem device=/dev/sdb1 directory=/srv/nfs fstype=xfs options=noatime op monitor interval=10s --group grp_IPaddr2_192.168.10.51
# haresources 'nfs-kernel-server': /etc/init.d/nfs-kernel-server, an LSB init script (an /etc/ha.d/resource.d script of this name would need installing as /etc/init.d/nfs-kernel-server first)
pcs -f "$cib" resource create nfs-kernel-server lsb:nfs-kernel-server op monitor interval=15s --group grp_IPaddr2_192.168.10.51
# web1 is the group's home node (first word of haresources line 1)
pcs -f "$cib" constraint location add grp_IPaddr2_192.168.10.50-home grp_IPaddr2_192.168.10.50 web1 100
# web2 is the group's home node (first word of haresources line 2)
pcs -f "$cib" constraint location add grp_IPaddr2_192.168.10.51-home grp_IPaddr2_192.168.10.51 web2 100

pcs cluster cib-push "$cib" --config
