#!/usr/bin/env bash
# REST benchmark (not a test): GET /api/conversations through wrk (50 connections, one user with
# 50 direct chats, each ending in a message) against pgchat and against the yardstick
# (../shared/yardstick, started and stopped here), one after the other in one run: requests/s and
# p99 side by side, and the ratio (the target is 3x). Also pgchat's REST send
# (POST /api/conversations/:id/messages), which the yardstick does not have.
# pgchat runs on a private instance of its own with a quiet bridge; the chats are seeded through
# SQL on both (the yardstick's users and chats through its REST, its messages as the rows its
# send_message writes).
#   test/bench/rest_bench.sh [seconds per run (10)] [connections (50)]
# Environment: BENCH_SECONDS, BENCH_CONNECTIONS, BENCH_YARDSTICK=0 (pgchat alone), and the ports
# PGCHAT_PG_PORT / PGCHAT_REDIS_PORT / PGCHAT_PORT (27530-27532) and those of yardstick.sh.
set -euo pipefail
export PGCHAT_INSTANCE=${PGCHAT_BENCH_INSTANCE:-bench-rest}
export PGCHAT_PG_PORT=${PGCHAT_PG_PORT:-27530} PGCHAT_REDIS_PORT=${PGCHAT_REDIS_PORT:-27531}
export PGCHAT_PORT=${PGCHAT_PORT:-27532}
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/env.sh"
source "$PGCHAT_ROOT/test/bench/yardstick.sh"
cd "$PGCHAT_ROOT"
seconds=${1:-${BENCH_SECONDS:-10}}
connections=${2:-${BENCH_CONNECTIONS:-50}}
chats=50
make -s bridge/pgchat-bridge
use_yardstick=$(yardstick_wanted)

scripts/services.sh reset >/dev/null
work=$(mktemp -d)
bridge=""
cleanup() {
  [ -n "$bridge" ] && kill -TERM "$bridge" 2>/dev/null && wait "$bridge" 2>/dev/null
  scripts/services.sh stop >/dev/null 2>&1
  yardstick_stop
  rm -rf "$work"
}
trap cleanup EXIT

# wrk against URL as TOKEN: writes "requests/s p99_ms errors" to $work/NAME
run_wrk() {
  local name=$1 mode=$2 url=$3 token=$4 conversations=$5 out
  out=$(BENCH_MODE=$mode BENCH_TOKEN=$token BENCH_CONVERSATIONS=$conversations \
    wrk -t2 -c"$connections" -d"${seconds}s" --latency -s test/bench/rest_bench.lua "$url")
  echo "$out" >"$work/wrk-$name.txt"
  awk '/^Requests\/sec/ { rps = $2 }
       $1 == "99%" { v = $2; if (v ~ /us$/) { sub(/us/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms/, "", v) }
                     else if (v ~ /s$/) { sub(/s/, "", v); v *= 1000 }; p99 = v }
       /^non_2xx_or_errors=/ { split($0, e, "="); errors = e[2] }
       END { printf "%.0f %.2f %s\n", rps, p99, errors }' <<<"$out" >"$work/$name"
  echo "rest_bench: $name: $(cat "$work/$name") (requests/s, p99 ms, errors)"
}

# ---- pgchat ----
scripts/services.sh start >/dev/null
scripts/services.sh bridge-stop
eval "$(scripts/services.sh env)"
q() { psql -X -q -A -t -v ON_ERROR_STOP=1 -c "$1"; }
# the hub and its peers straight into the table with one real hash (argon2id would measure
# hashing); each chat ends in a message from the peer
q "SELECT chat.register('rest_0', 'rest_0@example.com', 'bench password')" >/dev/null
q "INSERT INTO chat.users (username, email, password_hash, display_name)
   SELECT 'rest_' || n, 'rest_' || n || '@example.com', (SELECT password_hash FROM chat.users WHERE username = 'rest_0'), 'Rest ' || n
   FROM generate_series(1, $chats) n"
token=$(q "SELECT chat.issue_token(id) FROM chat.users WHERE username = 'rest_0'")
q "CREATE TABLE public.rest_chats AS
   SELECT n, (chat.create_conversation('$token', ARRAY[u.id])->>'id')::uuid AS id, chat.issue_token(u.id) AS peer
   FROM generate_series(1, $chats) n JOIN chat.users u ON u.username = 'rest_' || n"
# the session checks a token before it sends: as of this writing, a send that is the first token
# check of its session fails ("could not prepare the signing key query")
psql -X -q -A -t -v ON_ERROR_STOP=1 -c "SELECT chat.authenticate('$token') IS NULL" \
  -c "SELECT count(chat.send_message(peer, id, 'hello from ' || n)) FROM public.rest_chats" >/dev/null
conversations=$(q "SELECT string_agg(id::text, ',' ORDER BY n) FROM public.rest_chats")
q "ANALYZE" >/dev/null

PGCHAT_LISTEN=127.0.0.1 PGCHAT_LOG_LEVEL=warn bridge/pgchat-bridge >"$work/bridge.log" 2>&1 &
bridge=$!
for _ in $(seq 100); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PGCHAT_PORT/health")" = 200 ] && break
  sleep 0.1
done
url="http://127.0.0.1:$PGCHAT_PORT"
listed=$(curl -sf "$url/api/conversations" -H "authorization: Bearer $token" | grep -o '"content"' | wc -l)
echo "rest_bench: pgchat lists $listed last messages for its $chats chats"
run_wrk pgchat-list list "$url" "$token" "$conversations"
run_wrk pgchat-send send "$url" "$token" "$conversations"
kill -TERM "$bridge" 2>/dev/null && wait "$bridge" 2>/dev/null || true
bridge=""
scripts/services.sh stop >/dev/null

# ---- the yardstick ----
if [ "$use_yardstick" = 1 ]; then
  echo "rest_bench: starting the yardstick"
  yardstick_start
  # the hub is the first member of each "group" of 2; its token is on the first line
  node test/bench/rest_clients.mjs "$YARDSTICK_URL" ys_peer "$chats" 2 "$work/ys-peers.tsv" --hub ys_hub
  ys_token=$(head -1 "$work/ys-peers.tsv" | cut -f1)
  ys_conversations=$(cut -f2 "$work/ys-peers.tsv" | awk '!seen[$0]++' | paste -sd,)
  # one message from the peer in each chat: the rows the yardstick's send_message writes
  # shellcheck disable=SC2086
  (unset PGHOST PGPORT PGDATABASE PGUSER
   psql -X -q -v ON_ERROR_STOP=1 $YARDSTICK_PSQL <<SQL
WITH m AS (
  INSERT INTO messages (conversation_id, sender_id, content)
  SELECT p.conversation_id, p.user_id, 'hello from ' || u.username
  FROM conversation_participants p JOIN users u ON u.id = p.user_id
  WHERE u.username LIKE 'ys\_peer\_%' RETURNING conversation_id)
UPDATE conversations SET updated_at = now() WHERE id IN (SELECT conversation_id FROM m);
ANALYZE;
SQL
  )
  listed=$(curl -sf "$YARDSTICK_URL/api/conversations" -H "authorization: Bearer $ys_token" | grep -o '"content"' | wc -l)
  echo "rest_bench: the yardstick lists $listed last messages for its $chats chats"
  run_wrk yardstick-list list "$YARDSTICK_URL" "$ys_token" "$ys_conversations"
  yardstick_stop
fi

# ---- the summary ----
col() { [ -s "$work/$1" ] && cut -d' ' -f"$2" "$work/$1" || echo -; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.2fx", a / b }'; }
echo
printf 'REST benchmark: wrk, %s connections, %s s per run, one after the other on 127.0.0.1 (%s cores)\n' \
  "$connections" "$seconds" "$(nproc)"
printf '%-38s %12s %9s %12s %9s %8s\n' '' 'pgchat req/s' 'p99 ms' 'yardstick' 'p99 ms' 'ratio'
printf '%-38s %12s %9s %12s %9s %8s\n' "GET /api/conversations ($chats chats)" \
  "$(col pgchat-list 1)" "$(col pgchat-list 2)" "$(col yardstick-list 1)" "$(col yardstick-list 2)" \
  "$(ratio "$(col pgchat-list 1)" "$(col yardstick-list 1)")"
printf '%-38s %12s %9s %12s %9s %8s\n' "POST /api/conversations/:id/messages" \
  "$(col pgchat-send 1)" "$(col pgchat-send 2)" - - -
printf '%-38s %12s %9s %12s\n' 'non-2xx answers or socket errors' "$(col pgchat-list 3)+$(col pgchat-send 3)" '' \
  "$(col yardstick-list 3)"
verdict=$(awk -v a="$(col pgchat-list 1)" -v b="$(col yardstick-list 1)" \
  'BEGIN { print (a != "-" && b != "-" && b > 0 && a >= 3 * b) ? "holds" : "MISSED" }')
printf "target: GET /api/conversations >= 3x the yardstick's requests/s: %s\n" "$verdict"
