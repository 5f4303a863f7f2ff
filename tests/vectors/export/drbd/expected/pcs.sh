#!/bin/sh
# Pacemaker configuration, converted by 'hbctl export' from /etc/ha.d/ha.cf and /etc/ha.d/haresources (Heartbeat 3.0.6 v1, haresources).
# /etc/ha.d/authkeys (key 2, sha1) is not exported: its secret stays in that file, and Corosync authenticates with its own key (see corosync.conf).
# Every setting without an exact Pacemaker/Corosync equivalent is named in a comment marked NOT EQUIVALENT or 'no equivalent'.
# Every primitive gets a monitor operation: 3.0.6 never checked a running resource (it ran status only before a start); remove the monitors to keep that.
# Schema pacemaker-3.0 (Pacemaker 2.0 and later); promotable clone roles are written Master/Slave there, Promoted/Unpromoted in the pcs and crmsh scripts (pcs 0.11, crmsh 4.4 and later).
# warntime 5s has no equivalent: corosync logs a late token only when it is lost.
# Run on one node of a running, empty cluster (pcs cluster setup … with the exported corosync.conf's nodes; pcs cluster start --all).
set -e
cib=$(mktemp)
trap 'rm -f "$cib"' EXIT
pcs cluster cib "$cib"

# FENCING IS OFF: ha.cf configures no convertible STONITH device. Heartbeat v1 took over without fencing too; Pacemaker refuses to start resources without fencing unless this is false. A split brain then runs a group on both nodes: add a fence device (pcs stonith create …) and set this to true
pcs -f "$cib" property set stonith-enabled=false
# corosync's two_node: 1 keeps quorum when one of the two nodes dies, so one failure never stops the survivor (v1 had no quorum at all); 'stop' only applies while a lone node waits for its peer after a cold start (wait_for_all)
pcs -f "$cib" property set no-quorum-policy=stop
# auto_failback off: a group stays where it runs until that node fails or is put in standby, never moving back to its home node on its own
pcs -f "$cib" resource defaults update resource-stickiness=INFINITY
# drbddisk::r0: DRBD's own agent (drbd-utils) as a promotable clone; the primary is the promoted instance, as drbddisk made it with 'drbdadm primary'
# both nodes run DRBD (secondary) all the time: 3.0.6 left it to the init script; stop drbd.service from starting at boot
pcs -f "$cib" resource create drbd_r0 ocf:linbit:drbd drbd_resource=r0 op monitor interval=29s role=Promoted monitor interval=31s role=Unpromoted promotable promoted-max=1 promoted-node-max=1 clone-max=2 clone-node-max=1 notify=true
# haresources line 2: alice drbddisk::r0 Filesystem::/dev/drbd0::/var/lib/mysql::ext4 IPaddr2::192.168.1.100/24/eth0 mysql
# haresources 'Filesystem::/dev/drbd0::/var/lib/mysql::ext4'
pcs -f "$cib" resource create Filesystem_dev_drbd0 ocf:heartbeat:Filesystem device=/dev/drbd0 directory=/var/lib/mysql fstype=ext4 op monitor interval=10s --group grp_Filesystem_dev_drbd0
# haresources 'IPaddr2::192.168.1.100/24/eth0'
pcs -f "$cib" resource create IPaddr2_192.168.1.100 ocf:heartbeat:IPaddr2 ip=192.168.1.100 cidr_netmask=24 nic=eth0 op monitor interval=10s --group grp_Filesystem_dev_drbd0
# haresources 'mysql': /etc/init.d/mysql, an LSB init script (an /etc/ha.d/resource.d script of this name would need installing as /etc/init.d/mysql first)
pcs -f "$cib" resource create mysql lsb:mysql op monitor interval=15s --group grp_Filesystem_dev_drbd0
# promote DRBD on the home node alice of the first group that uses it; the agent adds its own preference for up-to-date data
pcs -f "$cib" constraint location drbd_r0-clone rule id=drbd_r0-clone-home-rule constraint-id=drbd_r0-clone-home role=Promoted score=100 '#uname' eq alice
# alice is the group's home node (first word of haresources line 2)
pcs -f "$cib" constraint location add grp_Filesystem_dev_drbd0-home grp_Filesystem_dev_drbd0 alice 100
# the group runs where DRBD is primary, as drbddisk made it primary before the rest of the group started
pcs -f "$cib" constraint colocation add grp_Filesystem_dev_drbd0 with Promoted drbd_r0-clone INFINITY id=grp_Filesystem_dev_drbd0-with-drbd_r0-clone
# NOT EQUIVALENT in one detail: the whole group waits for the promotion, where 3.0.6 started the resources before drbddisk first
pcs -f "$cib" constraint order promote drbd_r0-clone then start grp_Filesystem_dev_drbd0 id=grp_Filesystem_dev_drbd0-after-drbd_r0-clone

pcs cluster cib-push "$cib" --config
