#!/usr/bin/env bash
# Fuzzes `audiospecnet serve` against its own OpenAPI document with schemathesis (PyPI), on loopback only,
# bounded in time: every generated request must get a documented status (never 5xx), and the server must
# still answer /health at the end.
#
#   Scripts/fuzz_service.sh MODEL.safetensors [SECONDS=300] [BINARY=.build/release/audiospecnet]
set -euo pipefail
model=${1:?usage: fuzz_service.sh MODEL [SECONDS] [BINARY]}
seconds=${2:-300}
binary=${3:-"$(dirname "$0")/../.build/release/audiospecnet"}
port=8131
python3 -m pip install -q schemathesis >/dev/null
"$binary" serve --model "$model" --port $port --max-body 2MB --max-seconds 30 2>/tmp/fuzz-serve.log &
server=$!
trap 'kill -TERM $server 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.2; done
status=0
timeout "$seconds" schemathesis run "http://127.0.0.1:$port/openapi.json" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --max-examples 300 --request-timeout 60 || status=$?
curl -fs "http://127.0.0.1:$port/health" >/dev/null && echo "server still healthy after fuzzing"
kill -TERM $server; wait $server; echo "server exited with $?"
# timeout's 124 only means the time bound ended the run
[ $status -eq 124 ] && status=0
exit $status
