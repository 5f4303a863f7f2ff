#!/usr/bin/env bash
# Builds heartbeatnet_<version>_amd64.deb: the NativeAOT daemon and hbctl, the systemd unit, and /etc/ha.d conffiles
# from etc/ha.d (authkeys 0600). Usage: packaging/deb/build.sh [OUTPUT_DIR]   (default: packaging/deb/out)
set -euo pipefail
cd "$(dirname "$0")/../.."
out="$(realpath -m "${1:-packaging/deb/out}")"
version=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' Directory.Build.props | head -n 1)
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT

for project in Heartbeat.Daemon Heartbeat.Ctl; do
  dotnet publish "src/$project" -c Release -r linux-x64 -p:PublishAot=true -warnaserror --nologo -v quiet \
    -o "$stage/publish/$project" >/dev/null
done

root="$stage/root"
install -d "$root/DEBIAN" "$root/usr/sbin" "$root/lib/systemd/system" "$root/etc/ha.d/resource.d" "$root/etc/ha.d/rc.d" \
  "$root/usr/share/doc/heartbeatnet"
install -m 755 "$stage/publish/Heartbeat.Daemon/heartbeat" "$root/usr/sbin/heartbeat"
install -m 755 "$stage/publish/Heartbeat.Ctl/hbctl" "$root/usr/sbin/hbctl"
strip --strip-unneeded "$root/usr/sbin/heartbeat" "$root/usr/sbin/hbctl" 2>/dev/null || true
install -m 644 packaging/deb/heartbeat.service "$root/lib/systemd/system/heartbeat.service"
install -m 644 etc/ha.d/ha.cf etc/ha.d/haresources "$root/etc/ha.d/"
install -m 600 etc/ha.d/authkeys "$root/etc/ha.d/authkeys"
install -m 644 README.md "$root/usr/share/doc/heartbeatnet/README.md"
install -m 644 docs/ha.cf-directives.md docs/status.schema.json "$root/usr/share/doc/heartbeatnet/"
# Tab completion for hbctl, produced by the hbctl being packaged (it asks hbctl itself for the completions).
install -d "$root/usr/share/bash-completion/completions"
"$root/usr/sbin/hbctl" completion bash > "$root/usr/share/bash-completion/completions/hbctl"
install -m 644 packaging/deb/debian/conffiles "$root/DEBIAN/conffiles"
for script in postinst prerm postrm; do
  install -m 755 "packaging/deb/debian/$script" "$root/DEBIAN/$script"
done
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@SIZE@/$size/" packaging/deb/debian/control.in >"$root/DEBIAN/control"

mkdir -p "$out"
deb="$out/heartbeatnet_${version}_amd64.deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
