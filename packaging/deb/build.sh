#!/usr/bin/env bash
# Builds heartbeatnet_<version>_amd64.deb: the NativeAOT daemon and hbctl, the systemd unit, the commands admins'
# scripts call at Heartbeat's paths (front ends of hbctl), man pages, and the article's sample files as examples.
# No /etc/ha.d/{ha.cf,authkeys,haresources}: a package must not ship a cluster or a key everyone knows.
# Usage: packaging/deb/build.sh [OUTPUT_DIR]   (default: packaging/deb/out)
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
doc="$root/usr/share/doc/heartbeatnet"
install -d "$root/DEBIAN" "$root/usr/sbin" "$root/usr/bin" "$root/lib/systemd/system" "$root/etc/ha.d/resource.d" \
  "$root/etc/ha.d/rc.d" "$doc/examples" "$root/usr/share/heartbeat" "$root/usr/lib/heartbeat" \
  "$root/usr/share/man/man1" "$root/usr/share/man/man5" "$root/usr/share/man/man8" "$root/usr/share/lintian/overrides"
install -m 755 "$stage/publish/Heartbeat.Daemon/heartbeat" "$root/usr/sbin/heartbeat"
install -m 755 "$stage/publish/Heartbeat.Ctl/hbctl" "$root/usr/sbin/hbctl"
strip --strip-unneeded --remove-section=.comment "$root/usr/sbin/heartbeat" "$root/usr/sbin/hbctl" 2>/dev/null || true
install -m 644 packaging/deb/heartbeat.service "$root/lib/systemd/system/heartbeat.service"

# The commands monitoring checks and ops scripts call, at Debian heartbeat's paths (the package replaces it).
install -m 755 packaging/deb/compat/cl_status "$root/usr/bin/cl_status"
for script in hb_standby hb_takeover ResourceManager; do
  install -m 755 "packaging/deb/compat/$script" "$root/usr/share/heartbeat/$script"
  # Heartbeat 2.x kept these in /usr/lib/heartbeat, where older scripts still look.
  ln -s "../../share/heartbeat/$script" "$root/usr/lib/heartbeat/$script"
done

# The article's files as examples, not conffiles: its key (securepass) is public and its nodes are server1/server2.
install -m 644 etc/ha.d/ha.cf etc/ha.d/authkeys etc/ha.d/haresources "$doc/examples/"
install -m 644 README.md "$doc/README.md"
install -m 644 docs/ha.cf-directives.md docs/status.schema.json "$doc/"
install -m 644 packaging/deb/debian/copyright "$doc/copyright"
sed -e "s/@VERSION@/$version/" -e "s/@DATE@/$(git log -1 --format=%cd --date=rfc2822 2>/dev/null || date -R)/" \
  packaging/deb/debian/changelog.in | gzip -9n >"$doc/changelog.gz"
chmod 644 "$doc/changelog.gz"
for page in docs/man/*.[158]; do
  gzip -9n <"$page" >"$root/usr/share/man/man${page##*.}/$(basename "$page").gz"
  chmod 644 "$root/usr/share/man/man${page##*.}/$(basename "$page").gz"
done
install -m 644 packaging/deb/debian/lintian-overrides "$root/usr/share/lintian/overrides/heartbeatnet"

# Tab completion for hbctl, produced by the hbctl being packaged (it asks hbctl itself for the completions).
install -d "$root/usr/share/bash-completion/completions"
"$root/usr/sbin/hbctl" completion bash > "$root/usr/share/bash-completion/completions/hbctl"
for script in postinst prerm postrm; do
  install -m 755 "packaging/deb/debian/$script" "$root/DEBIAN/$script"
done

# Depends: what the binaries really link (readelf -d: libc, libm, …), as dpkg-shlibdeps computes it.
mkdir -p "$stage/src/debian"
printf 'Source: heartbeatnet\n\nPackage: heartbeatnet\nArchitecture: amd64\n' >"$stage/src/debian/control"
depends=$(cd "$stage/src" && dpkg-shlibdeps -O "$root/usr/sbin/heartbeat" "$root/usr/sbin/hbctl" | sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || { echo "packaging/deb/build.sh: dpkg-shlibdeps found no dependencies" >&2; exit 1; }

(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum) >"$root/DEBIAN/md5sums"
chmod 644 "$root/DEBIAN/md5sums"
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@SIZE@/$size/" -e "s/@DEPENDS@/$depends/" packaging/deb/debian/control.in >"$root/DEBIAN/control"

mkdir -p "$out"
deb="$out/heartbeatnet_${version}_amd64.deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
