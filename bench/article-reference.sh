#!/usr/bin/env bash
# The article's system (ArticleTests) in all three setups, the reference with both nodes real Heartbeat 3.0.6 included
# (CI runs only ours+ours and real+ours: 3.0.6 alone sometimes never places the VIP at a legacy start-up). Prints the
# longest client gaps of each setup. Needs root and what scripts/test.sh installs.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build tests/Heartbeat.Integration.Tests -c Release --nologo -v quiet
rm -f "${TMPDIR:-/tmp}/heartbeatnet-tests/article-outages.txt"
HBNET_REFERENCE=1 dotnet test tests/Heartbeat.Integration.Tests -c Release --no-build --nologo \
  --filter "FullyQualifiedName~ArticleTests" --logger "console;verbosity=minimal" || true
cat "${TMPDIR:-/tmp}/heartbeatnet-tests/article-outages.txt"
