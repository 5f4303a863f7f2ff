#!/usr/bin/env bash
# Installs, runs and removes a built heartbeatnet .deb with the real dpkg, in a private root (so a machine that runs
# Heartbeat 3.0.6 for the tests, which the package conflicts with, is not touched): files and modes in place, no
# cluster and no key shipped (the samples are examples), the compat commands at Heartbeat's paths, man pages,
# `heartbeat -V`, `hbctl --help` and `hbctl keygen` run, remove and purge leave nothing.
# Usage: packaging/deb/check.sh DEB
set -euo pipefail
deb=$(realpath "${1:?usage: check.sh DEB}")
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$root/var/lib/dpkg/triggers"
touch "$root/var/lib/dpkg/status"
# Maintainer scripts run outside the root with DPKG_ROOT set (they honour it); libc/libssl are the host's.
dpkg_() { dpkg --root="$root" --force-script-chrootless --force-depends --log=/dev/null "$@"; }
fail() { echo "packaging/deb/check.sh: $*" >&2; exit 1; }

# Outputs are captured before they are searched: with pipefail, `producer | grep -q` fails whenever grep exits at its
# first match while the producer is still writing (SIGPIPE), which is how CI once reported a present field as missing.
info=$(dpkg-deb --info "$deb")
grep -q 'Conflicts: heartbeat' <<<"$info" || fail "no Conflicts: heartbeat"
grep -q 'Provides: heartbeat' <<<"$info" || fail "no Provides: heartbeat"
! grep -q 'libssl' <<<"$info" || fail "Depends on libssl, which the binaries do not use"
dpkg_ -i "$deb" >/dev/null 2>&1 || fail "dpkg -i failed: $(dpkg_ -i "$deb" 2>&1 | tail -n 5)"
[ "$(dpkg-query --admindir="$root/var/lib/dpkg" -W -f '${Status}' heartbeatnet)" = "install ok installed" ] || fail "not installed"
for file in ha.cf authkeys haresources; do
  [ ! -e "$root/etc/ha.d/$file" ] || fail "the package ships /etc/ha.d/$file (no cluster and no key in the package)"
  [ -f "$root/usr/share/doc/heartbeatnet/examples/$file" ] || fail "no example $file"
done
unit="$root/lib/systemd/system/heartbeat.service"
[ -f "$unit" ] || fail "no unit"
grep -q '^Type=notify' "$unit" || fail "the unit is not Type=notify"
! grep -q '^RestrictRealtime' "$unit" || fail "RestrictRealtime= makes the kernel refuse SCHED_FIFO (realtime on)"
for file in ha.cf authkeys haresources; do
  grep -qx "ConditionPathExists=/etc/ha.d/$file" "$unit" || fail "the unit starts without /etc/ha.d/$file"
done
for command in usr/bin/cl_status usr/share/heartbeat/hb_standby usr/share/heartbeat/hb_takeover \
  usr/share/heartbeat/ResourceManager usr/lib/heartbeat/hb_standby usr/lib/heartbeat/hb_takeover usr/lib/heartbeat/ResourceManager; do
  [ -f "$root/$command" ] && [ -x "$root/$command" ] || fail "no executable /$command"
done
for page in man1/cl_status.1 man5/ha.cf.5 man5/authkeys.5 man5/haresources.5 man8/heartbeat.8 man8/hbctl.8; do
  [ -f "$root/usr/share/man/$page.gz" ] || fail "no man page $page"
done
# The compat commands' argument handling is the real scripts' (paths that do not reach the daemon).
code() { "$@" >/dev/null 2>&1 && echo 0 || echo $?; }
[ "$(code "$root/usr/share/heartbeat/hb_standby" bogus)" = 1 ] || fail "hb_standby bogus must exit 1"
[ "$(code "$root/usr/share/heartbeat/hb_takeover" all local)" = 1 ] || fail "hb_takeover with two sets must exit 1"
[ "$(code "$root/usr/bin/cl_status")" = 0 ] || fail "cl_status without a sub-command must print the usage, exit 0"
[ "$(code "$root/usr/bin/cl_status" bogus)" = 11 ] || fail "cl_status bogus must exit 11"
[ "$(code "$root/usr/share/heartbeat/ResourceManager")" = 1 ] || fail "ResourceManager without a verb must exit 1"
version_text=$("$root/usr/sbin/heartbeat" -V) || fail "heartbeat -V failed"
[ -n "$version_text" ] || fail "heartbeat -V printed nothing"
help_text=$("$root/usr/sbin/hbctl" --help) || fail "hbctl --help failed"
grep -q 'standby' <<<"$help_text" || fail "hbctl --help lacks standby"
examples=$("$root/usr/sbin/hbctl" check-config "$root/usr/share/doc/heartbeatnet/examples" --host-checks off --node server1) ||
  fail "the examples do not pass check-config: $examples"
grep -q 'WEAK KEY.*hbctl keygen' <<<"$examples" || fail "check-config does not warn about the examples' public key"
keys=$(mktemp -d)
"$root/usr/sbin/hbctl" keygen "$keys" >/dev/null || fail "hbctl keygen failed"
[ "$(stat -c %a "$keys/authkeys")" = 600 ] || fail "hbctl keygen's authkeys is not 0600"
! "$root/usr/sbin/hbctl" keygen "$keys" >/dev/null 2>&1 || fail "hbctl keygen replaced an authkeys without --force"
rm -rf "$keys"
grep -q 'complete -o default -F _hbctl_complete hbctl' "$root/usr/share/bash-completion/completions/hbctl" || fail "no bash completion for hbctl"
[ -f "$root/usr/share/doc/heartbeatnet/status.schema.json" ] || fail "no status.schema.json"
echo "installed: $(head -n 1 <<<"$version_text"); $(du -sh "$root/usr/sbin" | cut -f1) of binaries"

dpkg_ -r heartbeatnet >/dev/null
[ ! -e "$root/usr/sbin/heartbeat" ] && [ ! -e "$root/usr/sbin/hbctl" ] || fail "binaries left after remove"
dpkg_ -P heartbeatnet >/dev/null
[ -z "$(find "$root" -path "$root/var/lib/dpkg" -prune -o -type f -print)" ] || fail "files left after purge: $(find "$root" -path "$root/var/lib/dpkg" -prune -o -type f -print | head)"
echo "removed and purged cleanly"
