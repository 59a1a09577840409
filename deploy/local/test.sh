#!/usr/bin/env bash
# The test command (README and .ci/run): start the local servers, run every test project against them,
# and print the totals as the last line: "N passed, N failed" (", N skipped" when any were skipped).
#   deploy/local/test.sh [extra dotnet test arguments, e.g. --filter FullyQualifiedName~Ledger]
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
data="${BANKING_DATA_DIR:-$root/.local}"
results="$root/TestResults/$(date -u +%Y%m%dT%H%M%S)"

"$here/servers.sh" up || { echo "0 passed, 1 failed"; exit 1; }
# shellcheck disable=SC1091
source "$data/servers.env"
export BANKING_MYSQL1 BANKING_MYSQL2 BANKING_RABBITMQ BANKING_RABBITMQ_MANAGEMENT BANKING_REDIS
export MASSTRANSIT_USAGE_TELEMETRY=false

mkdir -p "$results"
# Test assemblies run one after another (MaxCpuCount=1): several of them start service processes and
# stop servers of their own, and two cores do not gain from running them side by side.
dotnet test "$root/Banking.sln" -c Release \
  --logger "trx" --logger "console;verbosity=normal" --results-directory "$results" \
  "$@" -- RunConfiguration.MaxCpuCount=1
test_rc=$?

totals="$(python3 - "$results" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
passed = failed = skipped = 0
for path in glob.glob(sys.argv[1] + "/**/*.trx", recursive=True):
    counters = ET.parse(path).getroot().find(".//{*}ResultSummary/{*}Counters")
    if counters is None:
        continue
    get = lambda k: int(counters.get(k, "0"))
    passed += get("passed")
    failed += get("failed") + get("error") + get("timeout") + get("aborted")
    skipped += get("notExecuted") + get("inconclusive")
line = f"{passed} passed, {failed} failed"
if skipped:
    line += f", {skipped} skipped"
print(line)
PY
)"
[ -n "$totals" ] || totals="0 passed, 1 failed"
echo "$totals"

failed_count="$(echo "$totals" | sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/')"
passed_count="$(echo "$totals" | sed -E 's/^([0-9]+) passed.*/\1/')"
if [ "$test_rc" -ne 0 ] || [ "$failed_count" != 0 ] || [ "$passed_count" = 0 ]; then
  exit 1
fi
exit 0
