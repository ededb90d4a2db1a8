#!/usr/bin/env bash
# Restores, builds and runs every test of the solution (unit, in-process API, end-to-end acceptance).
# Needs the .NET 10 SDK (every package comes from NuGet) and PostgreSQL's server binaries (installed when missing). The last line is "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")"

if ! command -v dotnet >/dev/null 2>&1; then
  echo "the .NET 10 SDK (dotnet) is required"
  echo "0 passed, 1 failed"
  exit 1
fi

# The link-injection acceptance test needs iproute2 (network namespaces); install it where it is missing.
if ! command -v ip >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iproute2) >/dev/null 2>&1 \
    || echo "could not install iproute2: the link-injection test will report why it could not run"
fi

# The PostgreSQL store tests start a real server (initdb + pg_ctl, as the postgres user when root); install it where it
# is missing. Without it those tests fail and say why: they do not skip.
if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
  && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >/dev/null 2>&1 \
    || echo "could not install postgresql: the PostgreSQL store tests will report why they could not run"
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
log=$(mktemp)
trap 'rm -f "$log"' EXIT

if ! dotnet build Doctor.slnx -c Release 2>&1 | tee "$log" | grep -E "error|Build succeeded|Time Elapsed"; then
  :
fi
if ! grep -q "Build succeeded" "$log"; then
  echo "build failed"
  echo "0 passed, 1 failed"
  exit 1
fi

# One test assembly at a time, the timed end-to-end suite last: run side by side, the 100k-request fuzz loop and the
# acceptance tests' latency measurements compete for the same two cores (CI saw a 1 s stall that way).
status=0
: >"$log"
for project in $(ls -d tests/Doctor.*.Tests) tests/Doctor.Acceptance; do
  dotnet test "$project" -c Release --no-build 2>&1 | tee -a "$log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
done

passed=$(grep -Eo 'Passed: +[0-9]+' "$log" | awk '{s += $2} END {print s + 0}')
failed=$(grep -Eo 'Failed: +[0-9]+' "$log" | awk '{s += $2} END {print s + 0}')
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  failed=1 # the runner failed without counting a test (a crash, a missing assembly)
fi
echo "$passed passed, $failed failed"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
