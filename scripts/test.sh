#!/usr/bin/env bash
# Runs every test of HeartbeatNet and ends with one line "N passed, M failed".
# Needs: the .NET 10 SDK (the test vectors are in tests/vectors, so a plain clone is enough). Installs what else it needs.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# bzip2 is the reference compressor the bz2 decoder is tested against; heartbeat (3.0.6) is the real node the
# integration tests run beside ours; iproute2 makes their network namespaces, tc netem or nftables their lossy links;
# gcc compiles the C program that checks our kernel struct layouts; tcpdump captures the gratuitous ARPs; MariaDB,
# HAProxy and curl build the article's system (ArticleTests); AFL++ runs the fuzz targets' smoke; Pacemaker's
# crm_verify and crm_simulate check what hbctl export writes, and Corosync + Pacemaker run it (bench/pacemaker-export.sh);
# resource-agents holds the OCF agents the resource.d wrappers call, e2fsprogs the mkfs.ext4 of the Filesystem test's
# loop image, kmod the modprobe the Filesystem agent runs.
missing=()
command -v bzip2 >/dev/null 2>&1 || missing+=(bzip2)
[ -x /usr/libexec/heartbeat/heartbeat ] || missing+=(heartbeat)
[ -x /usr/sbin/stonith ] || missing+=(cluster-glue)
command -v ip >/dev/null 2>&1 || missing+=(iproute2)
command -v nft >/dev/null 2>&1 || missing+=(nftables)
command -v socat >/dev/null 2>&1 || missing+=(socat)
command -v gcc >/dev/null 2>&1 || missing+=(gcc libc6-dev)
command -v tcpdump >/dev/null 2>&1 || missing+=(tcpdump)
command -v mariadbd >/dev/null 2>&1 || missing+=(mariadb-server)
command -v mariadb >/dev/null 2>&1 || missing+=(mariadb-client)
command -v haproxy >/dev/null 2>&1 || missing+=(haproxy)
command -v curl >/dev/null 2>&1 || missing+=(curl)
command -v afl-fuzz >/dev/null 2>&1 || missing+=(afl++)
command -v crm_simulate >/dev/null 2>&1 || missing+=(pacemaker-cli-utils)
[ -x /usr/sbin/pacemakerd ] || missing+=(pacemaker)
command -v corosync >/dev/null 2>&1 || missing+=(corosync)
[ -x /usr/lib/ocf/resource.d/heartbeat/Filesystem ] || missing+=(resource-agents)
command -v mkfs.ext4 >/dev/null 2>&1 || missing+=(e2fsprogs)
command -v modprobe >/dev/null 2>&1 || missing+=(kmod)
# debootstrap builds the cached Debian 12 root that the booted-host tests boot with systemd as PID 1.
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    # The packages' own services (mariadb, haproxy, corosync, pacemaker) must not start on this machine: the tests run their own
    # instances inside network namespaces. policy-rc.d 101 tells invoke-rc.d not to start anything while installing.
    policy=/usr/sbin/policy-rc.d
    own_policy=0
    if [ ! -e "$policy" ]; then
      printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod 755 "$policy" && own_policy=1
    fi
    apt_status=0
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null; } || apt_status=$?
    if [ "$own_policy" = 1 ]; then
      rm -f "$policy"
    fi
    if [ "$apt_status" != 0 ]; then
      echo "scripts/test.sh: apt-get install ${missing[*]} failed" >&2
      exit 1
    fi
  else
    echo "scripts/test.sh: missing ${missing[*]} (apt-get install ${missing[*]})" >&2
    exit 1
  fi
fi
if [ "$(id -u)" != 0 ]; then
  echo "scripts/test.sh: the integration tests make network namespaces and need root" >&2
  exit 1
fi

results="$(pwd)/.ci-results"
rm -rf "$results"
dotnet restore HeartbeatNet.sln --nologo -v quiet
dotnet build HeartbeatNet.sln --no-restore -c Release --nologo -v quiet -warnaserror
# NativeAOT must stay possible: tests/Heartbeat.Aot.Tests publishes the daemon and hbctl with it (warnings as errors)
# and runs the binaries.
# Labs left by a test host that crashed in an earlier run are removed before and after.
bash tests/Heartbeat.Integration.Tests/lab/lab.sh sweep -
# The Debian package first: the booted-host tests (PackagedNodeTests, RollingMigrationTests) install it under a
# real systemd; packaging/deb/check.sh checks the same file below.
mkdir -p "$results"
deb_status=0
deb=$(bash packaging/deb/build.sh "$results/deb" 2>"$results/deb.log") || deb_status=$?
export HBNET_DEB="$deb"
status=0
for project in tests/*/*.csproj bench/chaos/Heartbeat.Chaos.Tests/*.csproj; do
  name=$(basename "$project" .csproj)
  # One results directory per project, so no two .trx files can collide.
  dotnet test "$project" --no-build -c Release --nologo \
    --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=minimal" \
    --results-directory "$results/$name" || status=$?
done

bash tests/Heartbeat.Integration.Tests/lab/lab.sh sweep -

passed=0; failed=0; total=0
for trx in "$results"/*/*.trx; do
  [ -e "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*' "$trx" | head -n 1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
  f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  t=$(sed -n 's/.* total="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); total=$((total + ${t:-0}))
done
# The Debian package: built with NativeAOT binaries, installed, run and removed with dpkg in a private root (one test).
echo "packaging/deb (build, dpkg -i, run, dpkg -r/-P) ..."
if [ "$deb_status" = 0 ] && bash packaging/deb/check.sh "$deb" >>"$results/deb.log" 2>&1; then
  passed=$((passed + 1)); total=$((total + 1))
  tail -n 2 "$results/deb.log"
else
  echo "the .deb check failed:" >&2
  tail -n 20 "$results/deb.log" >&2
  failed=$((failed + 1)); total=$((total + 1))
fi

# The README's other command: the live demo must run to its end on this machine too (one test).
echo "scripts/demo.sh (the README demo) ..."
if bash scripts/demo.sh >"$results/demo.log" 2>&1; then
  passed=$((passed + 1)); total=$((total + 1))
  grep -A6 'takeover timeline' "$results/demo.log" || true
else
  echo "scripts/demo.sh failed; the end of its output:" >&2
  tail -n 40 "$results/demo.log" >&2
  failed=$((failed + 1)); total=$((total + 1))
fi
# The benchmark's smoke: every scenario once for ours, real 3.0.6 and keepalived, and a short footprint (one test;
# only our own trials must succeed). The full campaign is bench/run.sh, never CI.
echo "bench/run.sh --smoke (one trial per scenario and implementation, a 10 s footprint) ..."
if bash bench/run.sh --smoke --out "$results/bench" >"$results/bench.log" 2>&1; then
  passed=$((passed + 1)); total=$((total + 1))
  grep -E '^bench smoke:' "$results/bench.log" || true
else
  echo "the benchmark smoke failed; the end of its output:" >&2
  tail -n 30 "$results/bench.log" >&2
  failed=$((failed + 1)); total=$((total + 1))
fi
# The fuzz targets' smoke: each target 10 s under AFL++ (one test per target: no crash, no hang, no oracle
# disagreement, no allocation over its bound). Long campaigns are bench/fuzz/run.sh --seconds N, never CI.
echo "bench/fuzz/run.sh --smoke (10 s per fuzz target) ..."
fuzz_status=0
bash bench/fuzz/run.sh --smoke --out "$results/fuzz" >"$results/fuzz.log" 2>&1 || fuzz_status=$?
rows=$(grep -E '^\| [a-z0-9]+ \| [0-9]' "$results/fuzz/fuzz.md" 2>/dev/null || true)
if [ -z "$rows" ]; then
  echo "the fuzz smoke ran no target; the end of its output:" >&2
  tail -n 30 "$results/fuzz.log" >&2
  failed=$((failed + 1)); total=$((total + 1))
else
  fuzz_failed=0
  while IFS='|' read -r _ target _ execs _ _ _ crashes hangs _; do
    total=$((total + 1))
    if [ "$(echo $crashes)" = 0 ] && [ "$(echo $hangs)" = 0 ]; then
      passed=$((passed + 1))
    else
      fuzz_failed=$((fuzz_failed + 1))
      echo "fuzz target$target: $crashes crashes, $hangs hangs" >&2
    fi
  done <<<"$rows"
  grep -E '^\|' "$results/fuzz/fuzz.md" || true
  if [ "$fuzz_status" != 0 ]; then
    # A finding among the seeds, or a target afl-fuzz could not run: a failure even when every row is clean.
    [ "$fuzz_failed" -gt 0 ] || { fuzz_failed=1; total=$((total + 1)); }
    echo "bench/fuzz/run.sh exited $fuzz_status; the end of its output:" >&2
    tail -n 30 "$results/fuzz.log" >&2
  fi
  failed=$((failed + fuzz_failed))
fi
# A few minutes of the nemesis campaign with fixed seeds (one test each: zero violations of the checker's rules).
# Long campaigns are bench/chaos/run.sh --minutes N, never CI.
# ours+ours only (~4.5 minutes with the build): beside a real 3.0.6 the campaign meets 3.0.6's own races (a takeover
# racing its own release), timing-dependent, which would make the step flaky; those are for the long campaigns.
# Seed 20261207 found a planner bug (README, Chaos campaign), fixed: its schedule is CI's regression run.
for chaos in "ours+ours 3 20261207"; do
  read -r pairing minutes seed <<<"$chaos"
  echo "bench/chaos/run.sh --minutes $minutes --seed $seed --pairing $pairing ..."
  if bash bench/chaos/run.sh --minutes "$minutes" --seed "$seed" --pairing "$pairing" --out "$results/chaos-$pairing" >"$results/chaos-$pairing.log" 2>&1; then
    passed=$((passed + 1)); total=$((total + 1))
    grep -E '^chaos: seed' "$results/chaos-$pairing.log" || true
  else
    echo "the chaos campaign ($pairing, seed $seed) failed; the end of its output:" >&2
    tail -n 30 "$results/chaos-$pairing.log" >&2
    failed=$((failed + 1)); total=$((total + 1))
  fi
done
bash tests/Heartbeat.Integration.Tests/lab/lab.sh sweep -
if [ "$total" -eq 0 ]; then
  echo "scripts/test.sh: no test ran" >&2
  failed=$((failed + 1))
fi
echo "$passed passed, $failed failed"
if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ]; then
  exit 1
fi
