#!/usr/bin/env bash
# Tests of the protocol layer: the codec and chunked-body unit tests (C), then the node integration tests
# (raw Engine.IO, raw Socket.IO, the npm socket.io-client) against the conformance server on a
# private port (3300..3309). PROTOCOL_SANITIZE=1 runs that server built with AddressSanitizer
# and UBSan, and fails on any report or leak it prints when it stops.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

sanitize=${PROTOCOL_SANITIZE:-0}
server=test/protocol/bin/conformance-server
[ "$sanitize" = 1 ] && server=test/protocol/bin/conformance-server-asan
make -s test/protocol/bin/codec_test test/protocol/bin/http_chunked_test "$server" >/dev/null || { echo "protocol: build failed"; exit 1; }

status=0
test/protocol/bin/codec_test | grep -v '^ok ' || status=1
test/protocol/bin/http_chunked_test | grep -v '^ok ' || status=1

if [ ! -d test/protocol/node_modules ]; then
  (cd test/protocol && npm ci --no-audit --no-fund --silent) || { echo "protocol: npm ci failed"; exit 1; }
fi

port=""
for candidate in $(seq 3300 3309); do
  if ! ss -ltn "sport = :$candidate" | grep -q LISTEN; then port=$candidate; break; fi
done
[ -n "$port" ] || { echo "protocol: no free port in 3300..3309"; exit 1; }

log=$(mktemp)
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:exitcode=23"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=0"
"$server" --host 127.0.0.1 --port "$port" 2>"$log" &
pid=$!
stop_server() { kill -TERM "$pid" 2>/dev/null; wait "$pid"; }
for _ in $(seq 1 100); do
  curl -s -o /dev/null "http://127.0.0.1:$port/" && break
  sleep 0.05
done

(cd test/protocol && PROTOCOL_TEST_PORT=$port node --test --test-concurrency=1 *.test.mjs) || status=1

stop_server
server_status=$?
if [ "$server_status" -ne 0 ] || grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$log"; then
  echo "protocol: the server exited with $server_status or reported errors:"
  cat "$log"
  status=1
elif [ "$sanitize" = 1 ]; then
  echo "protocol: sanitizers reported no error and no leak"
fi
rm -f "$log"
exit $status
