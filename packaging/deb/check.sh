#!/usr/bin/env bash
# Installs, runs and removes a built heartbeatnet .deb with the real dpkg, in a private root (so a machine that runs
# Heartbeat 3.0.6 for the tests, which the package conflicts with, is not touched): files and modes in place,
# `heartbeat -V` and `hbctl --help` run, remove keeps the conffiles, purge removes everything.
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
dpkg_ -i "$deb" >/dev/null 2>&1 || fail "dpkg -i failed: $(dpkg_ -i "$deb" 2>&1 | tail -n 5)"
[ "$(dpkg-query --admindir="$root/var/lib/dpkg" -W -f '${Status}' heartbeatnet)" = "install ok installed" ] || fail "not installed"
[ "$(stat -c %a "$root/etc/ha.d/authkeys")" = 600 ] || fail "authkeys is not 0600"
[ -f "$root/lib/systemd/system/heartbeat.service" ] || fail "no unit"
grep -q '^Type=notify' "$root/lib/systemd/system/heartbeat.service" || fail "the unit is not Type=notify"
version_text=$("$root/usr/sbin/heartbeat" -V) || fail "heartbeat -V failed"
[ -n "$version_text" ] || fail "heartbeat -V printed nothing"
help_text=$("$root/usr/sbin/hbctl" --help) || fail "hbctl --help failed"
grep -q 'standby' <<<"$help_text" || fail "hbctl --help lacks standby"
"$root/usr/sbin/hbctl" check-config "$root/etc/ha.d" --host-checks off --node server1 >/dev/null || fail "the shipped /etc/ha.d does not pass check-config"
grep -q 'complete -o default -F _hbctl_complete hbctl' "$root/usr/share/bash-completion/completions/hbctl" || fail "no bash completion for hbctl"
[ -f "$root/usr/share/doc/heartbeatnet/status.schema.json" ] || fail "no status.schema.json"
echo "installed: $(head -n 1 <<<"$version_text"); $(du -sh "$root/usr/sbin" | cut -f1) of binaries"

dpkg_ -r heartbeatnet >/dev/null
[ ! -e "$root/usr/sbin/heartbeat" ] && [ ! -e "$root/usr/sbin/hbctl" ] || fail "binaries left after remove"
[ -f "$root/etc/ha.d/ha.cf" ] || fail "remove must keep the conffiles"
dpkg_ -P heartbeatnet >/dev/null
[ ! -e "$root/etc/ha.d/ha.cf" ] && [ ! -e "$root/etc/ha.d/authkeys" ] || fail "conffiles left after purge"
[ -z "$(find "$root" -path "$root/var/lib/dpkg" -prune -o -type f -print)" ] || fail "files left after purge: $(find "$root" -path "$root/var/lib/dpkg" -prune -o -type f -print | head)"
echo "removed and purged cleanly"
