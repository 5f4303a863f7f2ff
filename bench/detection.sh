#!/usr/bin/env bash
# Failure-detection figures: ours beside a real Heartbeat 3.0.6 node in network namespaces (keepalive 200 ms,
# deadtime 1 s), ten SIGKILLs each way; prints min / median / max from the kill to "node X: is dead" on the other
# side, and ours' own measured silence at declaration. Needs root, heartbeat and iproute2 (scripts/test.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build tests/Heartbeat.Integration.Tests -c Release --nologo -v quiet
dotnet test tests/Heartbeat.Integration.Tests -c Release --no-build --nologo \
  --filter "FullyQualifiedName~Kills_are_detected_within_the_advertised_deadtime" --logger "console;verbosity=minimal"
cat "${TMPDIR:-/tmp}/heartbeatnet-tests/detection-times.txt"
