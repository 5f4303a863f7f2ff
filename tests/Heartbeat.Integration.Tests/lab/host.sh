#!/usr/bin/env bash
# Booted hosts for the integration tests: a real Debian 12 with systemd as PID 1 in a lab node's namespaces.
# systemd-nspawn refuses to run on this machine kind, but systemd boots as PID 1 in new namespaces: this is what
# nspawn would do, by hand. Called through lab.sh (same commands); nothing here reaches outside the lab except
# debootstrap, once, for the cached root.
#
#   host.sh rootfs - PACKAGE... [-- CACHED...]   print the cached root's path, building it first if missing:
#                          debootstrap --variant=minbase with systemd, dbus, iproute2, procps and PACKAGE…; CACHED…
#                          are only downloaded into its apt cache (installed by a test, offline, e.g. Debian's
#                          heartbeat for the migration) and their dependencies installed (without Recommends), so
#                          that the test's `apt-get install --no-download` unpacks them alone, in seconds. Kept in /var/cache/heartbeatnet-tests/bookworm-<hash of the
#                          recipe>, so the first run pays for it (a few minutes) and later runs reuse it.
#   host.sh host LAB NAME ROOT DIR               boot ROOT in LAB-NAME (the lab node's network namespace): an overlay
#                          of ROOT with its changes in a tmpfs (gone with the host), its own PID, mount, UTS, IPC and cgroup namespaces
#                          (a cgroup of its own, hbnet-LAB-NAME, under the machine's cgroup2), hostname NAME, DIR/share
#                          at /mnt/lab; systemd's console output goes to DIR/console.log. Returns at once.
#   host.sh host-pid LAB NAME                    the (host) pid of that host's systemd, or nothing
#   host.sh cgroups-down LAB                     kill every process in the lab's host cgroups and remove them
#   host.sh cgroups-sweep                        the same for labs whose test process is gone
set -euo pipefail

cmd=${1:?command}
cache=/var/cache/heartbeatnet-tests
# The recipe's version: bump it when the steps below change, so a stale cached root is not reused.
recipe=2

# The machine's cgroup2: /sys/fs/cgroup itself (unified) or /sys/fs/cgroup/unified (hybrid, as on this machine kind).
cgroup_root() {
  if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then echo /sys/fs/cgroup; else echo /sys/fs/cgroup/unified; fi
}

# Debian's mirror exactly as apt is configured to reach it (deb822 .sources or one-line .list), for bookworm.
mirror() {
  {
    cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | sed -e 's/\[[^]]*\]//' |
      awk '$1 == "deb" && $3 == "bookworm" { print $2 }'
    for f in /etc/apt/sources.list.d/*.sources; do
      [ -e "$f" ] || continue
      awk 'BEGIN { RS = ""; FS = "\n" } {
        uri = ""; ok = 0
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^URIs:/) { split($i, a, /[ \t]+/); uri = a[2] }
          if ($i ~ /^Suites:/) { n = split($i, s, /[ \t]+/); for (j = 2; j <= n; j++) if (s[j] == "bookworm") ok = 1 }
        }
        if (ok && uri != "") print uri
      }' "$f"
    done
  } | head -n 1
}

# Kills whatever is left in a cgroup subtree, then removes it deepest first.
cgroup_remove() {
  local dir=$1
  [ -d "$dir" ] || return 0
  if [ -e "$dir/cgroup.kill" ]; then
    echo 1 > "$dir/cgroup.kill" 2>/dev/null || true
  else
    find "$dir" -name cgroup.procs -exec cat {} + 2>/dev/null | xargs -r kill -9 2>/dev/null || true
  fi
  for _ in $(seq 1 50); do
    find "$dir" -depth -type d -exec rmdir {} \; 2>/dev/null || true
    [ -d "$dir" ] || return 0
    sleep 0.1
  done
  echo "host.sh: could not remove the cgroup $dir" >&2
  return 1
}

case "$cmd" in
rootfs)
  shift 2
  packages=(); cached=(); into=packages
  for p in "$@"; do
    if [ "$p" = -- ]; then into=cached; continue; fi
    if [ "$into" = packages ]; then packages+=("$p"); else cached+=("$p"); fi
  done
  base=(systemd systemd-sysv dbus iproute2 procps)
  hash=$(printf '%s\n' "recipe $recipe" "${base[@]}" "${packages[@]}" -- "${cached[@]}" | sha256sum | cut -c1-12)
  root="$cache/bookworm-$hash"
  mkdir -p "$cache"
  exec 9>"$cache/.lock-$hash"
  # One build at a time: a parallel test waits for the root another is building.
  flock 9
  if [ ! -e "$root/.complete" ]; then
    command -v debootstrap >/dev/null || { echo "host.sh: debootstrap is not installed (apt-get install debootstrap)" >&2; exit 1; }
    url=$(mirror)
    [ -n "$url" ] || { echo "host.sh: no bookworm source in /etc/apt/sources.list* to take Debian's mirror from" >&2; exit 1; }
    rm -rf "$root" "$root.tmp"
    include=$(IFS=,; echo "${base[*]}${packages[*]:+,${packages[*]}}")
    if ! debootstrap --variant=minbase --include="$include" bookworm "$root.tmp" "$url" >"$cache/debootstrap-$hash.log" 2>&1; then
      echo "host.sh: debootstrap of bookworm from $url failed (is the mirror reachable?); the end of its log:" >&2
      tail -n 15 "$cache/debootstrap-$hash.log" >&2
      rm -rf "$root.tmp"
      exit 1
    fi
    if [ "${#cached[@]}" -gt 0 ]; then
      # Downloaded now, installed by a test with the host cut off from everything but its lab.
      # Their dependencies are installed now with nothing started (policy-rc.d 101, as on any image build).
      printf '#!/bin/sh\nexit 101\n' >"$root.tmp/usr/sbin/policy-rc.d"
      chmod 755 "$root.tmp/usr/sbin/policy-rc.d"
      if ! {
        chroot "$root.tmp" apt-get update -qq &&
          chroot "$root.tmp" apt-get install -y -qq --no-install-recommends --download-only "${cached[@]}" &&
          deps=$(chroot "$root.tmp" apt-get install -s --no-install-recommends "${cached[@]}" | awk '$1 == "Inst" { print $2 }' |
            grep -vxF -f <(printf '%s\n' "${cached[@]}") || true) &&
          { [ -z "$deps" ] || DEBIAN_FRONTEND=noninteractive chroot "$root.tmp" apt-get install -y -qq --no-install-recommends $deps; } &&
          rm -f "$root.tmp/usr/sbin/policy-rc.d"
      } >>"$cache/debootstrap-$hash.log" 2>&1; then
        echo "host.sh: downloading ${cached[*]} into the root failed; the end of the log:" >&2
        tail -n 15 "$cache/debootstrap-$hash.log" >&2
        rm -rf "$root.tmp"
        exit 1
      fi
    fi
    # Each booted copy gets a fresh machine id (systemd makes one at boot when the file is empty).
    : >"$root.tmp/etc/machine-id"
    rm -f "$root.tmp/var/lib/dbus/machine-id"
    # Keep apt's downloads (a test installs from them offline).
    rm -f "$root.tmp/etc/apt/apt.conf.d/docker-clean"
    touch "$root.tmp/.complete"
    mv "$root.tmp" "$root"
  fi
  echo "$root"
  ;;
host)
  lab=${2:?lab}; name=${3:?node}; root=${4:?root}; dir=${5:?dir}
  ns="$lab-$name"
  cg="$(cgroup_root)/hbnet-$ns"
  mkdir -p "$dir/rw" "$dir/merged" "$dir/share"
  mkdir "$cg"
  # The shell joins the host's cgroup first (before ip netns exec, whose fresh /sys has no cgroup mounts), so that
  # the cgroup namespace systemd gets is rooted there: it manages that subtree, never the machine's. It checks it did:
  # a systemd booted in the machine's root cgroup would fill it with its slices. Then the node's network namespace.
  # shellcheck disable=SC2016
  env HOST_CG="$cg" HOST_NS="$ns" HOST_ROOT="$root" HOST_DIR="$dir" HOST_NAME="$name" bash -c '
    set -e
    echo $$ > "$HOST_CG/cgroup.procs"
    grep -qx "0::/${HOST_CG##*/}" /proc/self/cgroup || { echo "host.sh: not in the cgroup $HOST_CG" >&2; exit 1; }
    exec ip netns exec "$HOST_NS" unshare --pid --fork --mount --uts --ipc --cgroup --propagation private bash -c "
      set -e
      m=\$HOST_DIR/merged
      # The host'\''s changes (apt installs: hundreds of MB) live in a tmpfs of its own mount namespace: they go with it.
      mount -t tmpfs -o mode=755 tmpfs \$HOST_DIR/rw
      mkdir \$HOST_DIR/rw/upper \$HOST_DIR/rw/work
      mount -t overlay overlay -o lowerdir=\$HOST_ROOT,upperdir=\$HOST_DIR/rw/upper,workdir=\$HOST_DIR/rw/work \$m
      echo \$HOST_NAME > \$m/etc/hostname
      printf \"127.0.0.1 localhost\n127.0.1.1 %s\n\" \$HOST_NAME > \$m/etc/hosts
      # /proc/sys and /sys read-only, as a container gets them: systemd-sysctl and udev skip themselves and nothing
      # writes the machine'\''s kernel settings; the network namespace'\''s own (/proc/sys/net) stay writable.
      mount -t proc proc \$m/proc
      mount --bind \$m/proc/sys \$m/proc/sys
      mount --bind \$m/proc/sys/net \$m/proc/sys/net
      mount -o remount,bind,ro \$m/proc/sys
      mount --bind /proc/sysrq-trigger \$m/proc/sysrq-trigger 2>/dev/null && mount -o remount,bind,ro \$m/proc/sysrq-trigger || true
      mount -t sysfs -o ro sysfs \$m/sys
      mount -t cgroup2 cgroup2 \$m/sys/fs/cgroup
      mount -t tmpfs -o mode=755,size=16m tmpfs \$m/dev
      for d in null zero full random urandom tty; do touch \$m/dev/\$d; mount --bind /dev/\$d \$m/dev/\$d; done
      touch \$m/dev/console; mount --bind /dev/null \$m/dev/console
      mkdir -p \$m/dev/pts \$m/dev/shm
      mount -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts \$m/dev/pts
      ln -s pts/ptmx \$m/dev/ptmx
      mount -t tmpfs -o mode=1777 tmpfs \$m/dev/shm
      mount -t tmpfs -o mode=755 tmpfs \$m/run
      mount -t tmpfs -o mode=1777 tmpfs \$m/tmp
      mkdir -p \$m/mnt/lab
      mount --bind \$HOST_DIR/share \$m/mnt/lab
      hostname \$HOST_NAME
      cd \$m
      mkdir -p .oldroot
      pivot_root . .oldroot
      umount -l /.oldroot
      rmdir /.oldroot
      exec env -i container=hbnet-lab TERM=dumb /lib/systemd/systemd --system
    "
  ' > "$dir/console.log" 2>&1 < /dev/null &
  ;;
host-pid)
  lab=${2:?lab}; name=${3:?node}
  for pid in $(ip netns pids "$lab-$name" 2>/dev/null || true); do
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = systemd ] || continue
    # PID 1 of its own PID namespace: the last NSpid field.
    [ "$(awk '/^NSpid:/ { print $NF }' "/proc/$pid/status" 2>/dev/null)" = 1 ] || continue
    echo "$pid"; break
  done
  ;;
cgroups-down)
  lab=${2:?lab}
  for dir in "$(cgroup_root)/hbnet-$lab-"*; do
    # if, not &&: with no match the glob stays literal and a failed test would be the script's exit status.
    if [ -d "$dir" ]; then cgroup_remove "$dir"; fi
  done
  ;;
cgroups-sweep)
  for dir in "$(cgroup_root)"/hbnet-hbt*; do
    [ -d "$dir" ] || continue
    owner=${dir##*/hbnet-hbt}; owner=${owner%%x*}
    if [ ! -d "/proc/$owner" ]; then
      cgroup_remove "$dir"
    fi
  done
  ;;
*)
  echo "host.sh: unknown command $cmd" >&2; exit 2 ;;
esac
