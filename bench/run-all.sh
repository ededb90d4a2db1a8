#!/usr/bin/env bash
# Runs every benchmark scenario and writes its JSON report to bench/results/. Takes about five minutes on the
# 2-core reference machine; run it on a quiet machine (nothing else building or testing) and record the numbers,
# with the machine and date, in docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build src/Doctor.Cli -c Release -v q -nologo >/dev/null
doctor=(dotnet src/Doctor.Cli/bin/Release/net10.0/doctor.dll)
out=bench/results
mkdir -p "$out"

for vms in 1 10 50 500; do
  owners=$(( vms < 10 ? vms : 10 ))
  "${doctor[@]}" bench fault --vms "$vms" --projects "$owners" --runs 300 --warmup 30 --json "$out/fault-$vms.json"
done
"${doctor[@]}" bench fault --vms 2000 --projects 100 --hosts 2 --runs 100 --warmup 10 --json "$out/fault-2000.json"
"${doctor[@]}" bench engine
"${doctor[@]}" test fault --runs 30 --json "$out/test-fault.json" || true
for clients in 1 2 4; do
  "${doctor[@]}" bench ingest --clients "$clients" --events 500000 --json "$out/ingest-$clients.json"
done
"${doctor[@]}" bench scale --json "$out/scale.json"
# Side by side with OpenStack's own path: needs the all-in-one OpenStack of scripts/openstack-aio.sh (or OS_AUTH_URL
# and DOCTOR_TRANSPORT_URL of another test cloud); skipped when Keystone does not answer.
if curl -sf -o /dev/null "${OS_AUTH_URL:-http://127.0.0.1:5000/v3}"; then
  "${doctor[@]}" bench openstack --vms 1,10,50 --runs 10 --warmup 2 --json "$out/openstack.json"
else
  echo "bench openstack skipped: no Keystone at ${OS_AUTH_URL:-http://127.0.0.1:5000/v3} (scripts/openstack-aio.sh ensure)"
fi
