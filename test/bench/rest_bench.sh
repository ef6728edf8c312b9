#!/usr/bin/env bash
# REST against direct SQL: requests/s and p99 latency of the bridge on GET /api/conversations and
# on a REST send (POST /api/conversations/:id/messages), 50 connections (wrk), beside pgbench
# calling the same SQL functions with 50 clients, and the ratio. Needs a running instance
# (make start, or PGCHAT_INSTANCE=... make start); starts its own quiet bridge on BENCH_PORT.
#   test/bench/rest_bench.sh            BENCH_SECONDS=10 BENCH_CONNECTIONS=50 BENCH_PORT=...
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
source scripts/env.sh
eval "$(scripts/services.sh env)"
SECONDS_EACH=${BENCH_SECONDS:-10}
CONNECTIONS=${BENCH_CONNECTIONS:-50}
PORT=${BENCH_PORT:-$((PGCHAT_PORT + 1))}
URL="http://127.0.0.1:$PORT"
WORK=$(mktemp -d)
bridge_pid=""
cleanup() {
  [ -n "$bridge_pid" ] && kill -TERM "$bridge_pid" 2>/dev/null && wait "$bridge_pid" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

PGCHAT_PORT=$PORT PGCHAT_LISTEN=127.0.0.1 PGCHAT_LOG_LEVEL=warn PGCHAT_REDIS_URL="redis://127.0.0.1:$PGCHAT_REDIS_PORT" \
  bridge/pgchat-bridge >"$WORK/bridge.log" 2>&1 &
bridge_pid=$!
for _ in $(seq 100); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$URL/health")" = 200 ] && break
  sleep 0.1
done

json() { node -e "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>{const v=JSON.parse(s);console.log($1)})"; }
register() {
  curl -sf -X POST "$URL/api/auth/register" -H 'content-type: application/json' \
    -d "{\"username\":\"$1\",\"email\":\"$1@bench.test\",\"password\":\"bench password\"}"
}

echo "rest_bench: setting up one user with $CONNECTIONS direct chats"
tag=$(date +%s%N | tail -c 9)
owner=$(register "bench$tag")
TOKEN=$(echo "$owner" | json v.token)
ids=()
for i in $(seq "$CONNECTIONS"); do
  peer=$(register "peer${tag}_$i" | json v.user.id)
  ids+=("$(curl -sf -X POST "$URL/api/conversations" -H "authorization: Bearer $TOKEN" \
    -H 'content-type: application/json' -d "{\"participantIds\":[\"$peer\"]}" | json v.id)")
done
CONVERSATIONS=$(IFS=,; echo "${ids[*]}")
PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 <<SQL
DROP TABLE IF EXISTS bench_conversations;
CREATE TABLE bench_conversations (n int PRIMARY KEY, id uuid NOT NULL);
INSERT INTO bench_conversations SELECT n, id::uuid FROM unnest(string_to_array('$CONVERSATIONS', ',')) WITH ORDINALITY AS t(id, n);
SQL

# wrk: prints "requests_per_s p99_ms"
run_wrk() {
  local mode=$1 out
  out=$(BENCH_MODE=$mode BENCH_TOKEN=$TOKEN BENCH_CONVERSATIONS=$CONVERSATIONS \
    wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_EACH}s" --latency -s test/bench/rest_bench.lua "$URL")
  echo "$out" >"$WORK/wrk-$mode.txt"
  local rps p99
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; print v}' <<<"$out")
  grep -q 'non_2xx_or_errors=0' <<<"$out" || echo "rest_bench: wrk saw errors: $(grep non_2xx <<<"$out")" >&2
  echo "$rps $p99"
}

# pgbench with the same SQL call: prints "tps p99_ms"
run_pgbench() {
  local name=$1 sql=$2 out
  echo "$sql" >"$WORK/$name.sql"
  mkdir -p "$WORK/log-$name"
  out=$(cd "$WORK/log-$name" && pgbench -n -M prepared -c "$CONNECTIONS" -j 2 -T "$SECONDS_EACH" \
    -D token="$TOKEN" -l -f "$WORK/$name.sql" 2>&1)
  local tps p99
  tps=$(awk '/^tps = / {print $3}' <<<"$out")
  p99=$(cat "$WORK/log-$name"/pgbench_log.* | awk '{print $3}' | sort -n |
    awk '{a[NR]=$1} END {i=int(NR*0.99); if (i<1) i=1; printf "%.2f", a[i]/1000}')
  echo "$tps $p99"
}

echo "rest_bench: $CONNECTIONS connections, ${SECONDS_EACH}s per run"
read -r list_rps list_p99 < <(run_wrk list)
read -r list_tps list_pg99 < <(run_pgbench list "SELECT chat.conversations(:token);")
read -r send_rps send_p99 < <(run_wrk send)
read -r send_tps send_pg99 < <(run_pgbench send \
  "SELECT chat.send_message(:token, c.id, 'bench message') FROM bench_conversations c WHERE c.n = :client_id % $CONNECTIONS + 1;")

printf '\n%-28s %12s %10s %14s %10s %8s\n' "" "bridge req/s" "p99 ms" "pgbench tps" "p99 ms" "ratio"
printf '%-28s %12.0f %10.2f %14.0f %10.2f %7.0f%%\n' "GET /api/conversations" "$list_rps" "$list_p99" "$list_tps" "$list_pg99" \
  "$(awk -v a="$list_rps" -v b="$list_tps" 'BEGIN {print 100*a/b}')"
printf '%-28s %12.0f %10.2f %14.0f %10.2f %7.0f%%\n' "POST .../messages (send)" "$send_rps" "$send_p99" "$send_tps" "$send_pg99" \
  "$(awk -v a="$send_rps" -v b="$send_tps" 'BEGIN {print 100*a/b}')"
psql -X -q -c 'DROP TABLE bench_conversations'
