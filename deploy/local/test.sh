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
# The dashboard's browser tests drive Debian's chromium (Playwright's own browser download is not used); the alert
# rules' tests run promtool, from Debian's prometheus package.
need=()
command -v chromium >/dev/null || need+=(chromium)
command -v promtool >/dev/null || need+=(prometheus)
if [ ${#need[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || { echo "${need[*]} missing; run as root so it can be installed"; echo "0 passed, 1 failed"; exit 1; }
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null \
    || { echo "could not install ${need[*]}"; echo "0 passed, 1 failed"; exit 1; }
  # Only promtool is wanted: the package also starts a Prometheus server where its init script may run.
  if [[ " ${need[*]} " == *" prometheus "* ]]; then service prometheus stop >/dev/null 2>&1 || true; fi
fi
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

# Sum the Counters of every .trx (plain shell and awk: a fresh machine need not have anything else).
totals="$(find "$results" -name '*.trx' -print0 | xargs -0 -r grep -ho '<Counters [^>]*>' | awk '
  function attr(name,   m) { if (match($0, name "=\"[0-9]+\"")) { m = substr($0, RSTART, RLENGTH); gsub(/[^0-9]/, "", m); return m + 0 } return 0 }
  { passed += attr("passed"); failed += attr("failed") + attr("error") + attr("timeout") + attr("aborted");
    skipped += attr("notExecuted") + attr("inconclusive"); files++ }
  END { if (files == 0) exit; line = passed " passed, " failed " failed"; if (skipped) line = line ", " skipped " skipped"; print line }')"
[ -n "$totals" ] || totals="0 passed, 1 failed"
echo "$totals"

failed_count="$(echo "$totals" | sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/')"
passed_count="$(echo "$totals" | sed -E 's/^([0-9]+) passed.*/\1/')"
if [ "$test_rc" -ne 0 ] || [ "$failed_count" != 0 ] || [ "$passed_count" = 0 ]; then
  exit 1
fi
exit 0
