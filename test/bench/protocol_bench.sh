#!/usr/bin/env bash
# Benchmarks of the protocol layer on loopback: the conformance server's Socket.IO echo round
# trips/s, and its memory per idle websocket session at 15,000 sessions (heartbeat at the
# protocol's default 25 s so idle means idle). Ports 3390-3391.
#   test/bench/protocol_bench.sh [SESSIONS] [ECHO_SECONDS] [ECHO_CONCURRENCY]
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
sessions=${1:-15000}
seconds=${2:-10}
concurrency=${3:-50}
ulimit -n 20000 || { echo "bench: cannot raise the fd limit to 20000"; exit 1; }
make -s test/protocol/bin/conformance-server >/dev/null || exit 1
[ -d test/protocol/node_modules ] || (cd test/protocol && npm ci --no-audit --no-fund --silent)

run_server() {
  test/protocol/bin/conformance-server --host 127.0.0.1 --port "$1" --ping-interval 25000 --ping-timeout 20000 2>/dev/null &
  pid=$!
  for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$1/" && break; sleep 0.05; done
}

run_server 3390
node test/bench/protocol_bench.mjs echo 3390 "$seconds" "$concurrency"
kill -TERM "$pid"; wait "$pid"

run_server 3391
node test/bench/protocol_bench.mjs idle 3391 "$pid" "$sessions"
sleep 1
kill -TERM "$pid"; wait "$pid"
