#!/usr/bin/env bash
# The bridge's integration suite: starts the bridge on this instance's port (in place of the one
# scripts/services.sh started, which is put back afterwards), runs node's test runner against it,
# then stops it with SIGTERM and checks it exited cleanly.
#   BRIDGE_ASAN=1      run bridge/pgchat-bridge-asan (AddressSanitizer + LeakSanitizer + UBSan)
#   BRIDGE_VALGRIND=1  run the bridge under valgrind --leak-check=full
# Expects the environment of scripts/test.sh (PG*, PGCHAT_*).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
source scripts/env.sh
ROOT=$PWD
: "${PGCHAT_ARTIFACTS:=${PGCHAT_TEST_ARTIFACTS:-$ROOT/test/artifacts}}"
mkdir -p "$PGCHAT_ARTIFACTS"
LOG="$PGCHAT_ARTIFACTS/bridge-test.log"

binary=bridge/pgchat-bridge
wrapper=()
if [ "${BRIDGE_ASAN:-0}" = 1 ]; then
  make -s bridge/pgchat-bridge-asan || exit 1
  binary=bridge/pgchat-bridge-asan
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=97
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=98
  export LSAN_OPTIONS="suppressions=$ROOT/test/bridge/lsan.supp:print_suppressions=0"
elif [ "${BRIDGE_VALGRIND:-0}" = 1 ]; then
  # "possible" leaks are shown, not failed: lws 4.1.6 on a foreign loop keeps its context
  # (and the http_server it points to) to the end of the process, reachable only inside.
  wrapper=(valgrind --quiet --leak-check=full --show-leak-kinds=definite,indirect,possible
           --errors-for-leak-kinds=definite,indirect --error-exitcode=99)
fi
[ -x "$binary" ] || { echo "bridge suite: $binary is not built (make bridge/pgchat-bridge)"; exit 1; }
# The tests register hundreds of users from one address: the credential limits are lifted for the
# suite's bridges (limits.test.mjs runs a bridge of its own with small ones).
export PGCHAT_REGISTER_ADDRESS_LIMIT=${PGCHAT_REGISTER_ADDRESS_LIMIT:-1000000}
export PGCHAT_LOGIN_ADDRESS_LIMIT=${PGCHAT_LOGIN_ADDRESS_LIMIT:-1000000}
# ... and every socket and session comes from 127.0.0.1: the caps per address are lifted too
# (abuse.test.mjs runs bridges of its own with small ones).
export PGCHAT_MAX_ADDRESS_CONNECTIONS=${PGCHAT_MAX_ADDRESS_CONNECTIONS:-0}
export PGCHAT_MAX_ADDRESS_SESSIONS=${PGCHAT_MAX_ADDRESS_SESSIONS:-0}
# The realtime tests start a bridge of their own too (restarts): the same binary, the same way.
export PGCHAT_TEST_BRIDGE="${wrapper[*]} $binary"
export PGCHAT_ARTIFACTS
if [ ! -d test/bridge/node_modules/socket.io-client ] || [ ! -d test/bridge/node_modules/parse-prometheus-text-format ]; then
  (cd test/bridge && npm ci --no-audit --no-fund --silent) || { echo "bridge suite: npm ci failed"; exit 1; }
fi

# A tiny web build, so static serving is tested whatever state web/ is in.
WEB_ROOT=$(mktemp -d)
mkdir -p "$WEB_ROOT/assets"
echo '<!doctype html><title>fixture index</title>' >"$WEB_ROOT/index.html"
echo 'console.log("fixture");' >"$WEB_ROOT/assets/app-1a2b3c.js"
echo 'outside the root' >"$WEB_ROOT.outside"
ln -s "$WEB_ROOT.outside" "$WEB_ROOT/outside.txt"

scripts/services.sh bridge-stop

bridge_pid=""
cleanup() {
  [ -n "$bridge_pid" ] && kill -0 "$bridge_pid" 2>/dev/null && kill -KILL "$bridge_pid" 2>/dev/null
  rm -rf "$WEB_ROOT" "$WEB_ROOT.outside"
  scripts/services.sh bridge-start >/dev/null || true
}
trap cleanup EXIT

PGCHAT_REDIS_URL=${PGCHAT_REDIS_URL:-redis://127.0.0.1:$PGCHAT_REDIS_PORT} \
PGCHAT_WEB_ROOT=$WEB_ROOT PGCHAT_CORS_ORIGINS=http://allowed.example PGCHAT_LISTEN=127.0.0.1 \
  "${wrapper[@]}" "$binary" >"$LOG" 2>&1 &
bridge_pid=$!

for _ in $(seq 300); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PGCHAT_PORT/health")" = 200 ] && break
  kill -0 "$bridge_pid" 2>/dev/null || { echo "bridge suite: the bridge exited at start"; tail -20 "$LOG"; exit 1; }
  sleep 0.1
done

export PGCHAT_URL="http://127.0.0.1:$PGCHAT_PORT"
# Every test file runs, except that these stop PostgreSQL (and kill a bridge of their own): a
# test after them would meet a database and a bridge still recovering, so they run last, in this
# order. node sorts the files it is given by name, so each of them is a run of its own.
RUN_LAST=(realtime_restart database_restart)
files=()
for file in test/bridge/*.test.mjs; do
  [[ " ${RUN_LAST[*]} " == *" $(basename "$file" .test.mjs) "* ]] || files+=("$file")
done
tests=0
node --test --test-concurrency=1 "${files[@]}" || tests=1
for name in "${RUN_LAST[@]}"; do
  node --test --test-concurrency=1 "test/bridge/$name.test.mjs" || tests=1
done

kill -TERM "$bridge_pid"
bridge_status=0
wait "$bridge_pid" || bridge_status=$?
bridge_pid=""
if [ "$bridge_status" -ne 0 ]; then
  echo "bridge suite: the bridge exited with status $bridge_status after SIGTERM (see $LOG)"
  grep -E 'ERROR SUMMARY|LeakSanitizer|AddressSanitizer|runtime error|definitely lost' "$LOG" | head -20
  echo "# fail 1"
fi
grep -q 'event=bridge_stopped status=0' "$LOG" || echo "bridge suite: no clean stop logged"
[ "$tests" -eq 0 ] && [ "$bridge_status" -eq 0 ]
