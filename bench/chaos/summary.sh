#!/usr/bin/env bash
# Sums the chaos campaign's reports below a results folder into DIR/summary.md: minutes campaigned, faults per kind,
# violations, one row per chunk directory holding a report.md (any name: <seed>-<pairing>, <seed>-alternating, ...;
# a directory without one, e.g. a chunk still running, is named on stderr and left out).
#   bash bench/chaos/summary.sh bench/results/2026-12-07-chaos
#
# The hand-written findings are kept: everything from the line "## Findings" to the end of an existing DIR/summary.md
# is copied unchanged below the regenerated tables (write new findings there, by hand). Without that heading nothing
# is kept. The file is replaced only once the new one is complete.
set -euo pipefail
root=${1:?results folder}
summary="$root/summary.md"
next=$(mktemp "$root/.summary.md.XXXXXX"); chmod 644 "$next"
rows=$(mktemp)
trap 'rm -f "$next" "$rows"' EXIT
for dir in "$root"/*/; do
  [ -f "$dir/report.md" ] || echo "summary.sh: $(basename "$dir") has no report.md yet; left out" >&2
done
reports=$(find "$root" -mindepth 2 -maxdepth 2 -name report.md | sort)
{
  echo "# Chaos campaign summary"
  echo
  echo "Violations: counted against ours (3.0.6's own apart), by the chunk's recheck.txt (the final checker over its"
  echo "stored evidence) where it has one, else by its report.md (the checker of its day)."
  echo
  echo "| chunk | runs | minutes | faults | violations |"
  echo "|---|---|---|---|---|"
  for r in $reports; do
    chunk=$(basename "$(dirname "$r")")
    line=$(grep -m1 -E '^[0-9]+ runs, ' "$r")
    runs=$(sed -E 's/^([0-9]+) runs.*/\1/' <<<"$line")
    minutes=$(sed -E 's/.* runs, ([0-9.]+) minutes.*/\1/' <<<"$line")
    faults=$(sed -E 's/.* minutes, ([0-9]+) faults.*/\1/' <<<"$line")
    violations=$(sed -E 's/.*\*\*([0-9]+) violations\*\*.*/\1/' <<<"$line")
    # A chunk rechecked with a later checker (recheck.txt, --recheck) counts by that: the final rules' verdict.
    recheck="$(dirname "$r")/recheck.txt"
    if [ -f "$recheck" ] && tail -1 "$recheck" | grep -qE ': [0-9]+ violations counted'; then
      violations=$(tail -1 "$recheck" | sed -E 's/.*: ([0-9]+) violations counted.*/\1/')
    fi
    echo "| [$chunk]($chunk/report.md) | $runs | $minutes | $faults | $violations |"
  done | tee "$rows"
  awk -F'|' '{ r += $3; m += $4; f += $5; v += $6 } END { printf "| **total** | %d | %.1f | %d | %d |\n", r, m, f, v }' "$rows"
  echo
  echo "## Faults per kind (all chunks)"
  echo
  echo "| fault | count |"
  echo "|---|---|"
  for r in $reports; do
    # The last column of "Faults per kind and pairing" is the chunk's total for the kind.
    sed -n '/^## Faults per kind and pairing/,/^## /p' "$r" | grep -E '^\| [A-Z][A-Za-z]+ \|' | awk -F'|' '{ gsub(/ /, "", $2); gsub(/ /, "", $(NF-1)); print $2, $(NF-1) }'
  done | awk '{ n[$1] += $2; if (!($1 in seen)) { seen[$1] = 1; order[++k] = $1 } } END { for (i = 1; i <= k; i++) printf "| %s | %d |\n", order[i], n[order[i]] }'
  if [ -f "$summary" ] && grep -q '^## Findings' "$summary"; then
    echo
    sed -n '/^## Findings/,$p' "$summary"
  fi
} >"$next"
mv "$next" "$summary"
