#!/usr/bin/env bash
# Realtime benchmark (not a test), on a private instance of its own, with the bridge started here
# (more file descriptors) and test/bench/bin/load as the clients, all on 127.0.0.1:
#  1. chat.send_message through pgbench (8 clients), the database's own ceiling in this run;
#  2. throughput: 100 pairs, 4 messages in flight per sender (acked/s, delivered/s, latency);
#  3. light load: 10 pairs, 1 in flight, back to back and paced at one message per sender
#     every 100 ms (p50/p99 latency);
#  4. connections: 15,000 authenticated idle sockets (bridge RSS per socket).
# Each load run prints one JSON line; a summary follows.
#   test/bench/realtime_bench.sh [seconds per run, default 10] [sockets, default 15000]
# Ports: PGCHAT_PG_PORT / PGCHAT_REDIS_PORT / PGCHAT_PORT (default 55520-55522).
set -euo pipefail
export PGCHAT_INSTANCE=${PGCHAT_BENCH_INSTANCE:-benchrt}
export PGCHAT_PG_PORT=${PGCHAT_PG_PORT:-55520} PGCHAT_REDIS_PORT=${PGCHAT_REDIS_PORT:-55521}
export PGCHAT_PORT=${PGCHAT_PORT:-55522}
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/env.sh"
cd "$PGCHAT_ROOT"
seconds=${1:-10}
sockets=${2:-15000}
pairs=100
LOAD=test/bench/bin/load
make -s bridge/pgchat-bridge "$LOAD"

scripts/services.sh reset >/dev/null
work=$(mktemp -d)
bridge=""
cleanup() {
  [ -n "$bridge" ] && kill -TERM "$bridge" 2>/dev/null && wait "$bridge" 2>/dev/null
  scripts/services.sh stop >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
scripts/services.sh start >/dev/null
scripts/services.sh bridge-stop
eval "$(scripts/services.sh env)"
q() { psql -X -q -A -t -v ON_ERROR_STOP=1 -c "$1"; }

# users straight into the table with one real hash (argon2id would measure hashing), tokens from
# issue_token, and one direct chat per pair; the clients file lists each pair's two users in turn
q "SELECT chat.register('rt_0', 'rt_0@example.com', 'bench password')" >/dev/null
q "INSERT INTO chat.users (username, email, password_hash, display_name)
   SELECT 'rt_' || n, 'rt_' || n || '@example.com', (SELECT password_hash FROM chat.users WHERE username = 'rt_0'), 'Rt ' || n
   FROM generate_series(1, $((2 * pairs))) n"
q "CREATE TABLE public.rt_pairs AS
   SELECT n, chat.issue_token(a.id) AS token_a, chat.issue_token(b.id) AS token_b,
          ((chat.create_conversation(chat.issue_token(a.id), ARRAY[b.id]))->>'id')::uuid AS conversation_id
   FROM generate_series(1, $pairs) n
   JOIN chat.users a ON a.username = 'rt_' || (2 * n - 1) JOIN chat.users b ON b.username = 'rt_' || (2 * n)" >/dev/null
q "SELECT token_a || E'\t' || conversation_id || E'\n' || token_b || E'\t' || conversation_id FROM public.rt_pairs ORDER BY n" >"$work/clients"

# the bridge, with as many descriptors as the hard limit allows (the sockets test needs them)
ulimit -n "$(ulimit -Hn)"
PGCHAT_LISTEN=127.0.0.1 PGCHAT_LOG_LEVEL=warn bridge/pgchat-bridge >"$work/bridge.log" 2>&1 &
bridge=$!
for _ in $(seq 100); do
  curl -s -o /dev/null "http://127.0.0.1:$PGCHAT_PORT/health" && break
  sleep 0.1
done

# 1. the database's ceiling: send_message through pgbench, with the bridge listening
echo "SELECT chat.send_message(p.token_a, p.conversation_id, 'a benchmark message of ordinary length') FROM public.rt_pairs p WHERE p.n = :client_id + 1;" >"$work/send.sql"
pgbench_tps=$(pgbench -n -M prepared -c 8 -j 2 -T "$seconds" -f "$work/send.sql" 2>&1 | sed -n 's/^tps = \([0-9.]*\).*/\1/p')

# 2-4. the bridge under load
heavy=$("$LOAD" throughput --port "$PGCHAT_PORT" --clients "$work/clients" --group-size 2 --window 4 --seconds "$seconds")
echo "$heavy"
light=$("$LOAD" throughput --port "$PGCHAT_PORT" --clients "$work/clients" --users 20 --group-size 2 --window 1 --seconds "$seconds")
echo "$light"
# light load proper: the same 20 senders, each sending once every 100 ms (200 messages/s)
paced=$("$LOAD" throughput --port "$PGCHAT_PORT" --clients "$work/clients" --users 20 --group-size 2 --window 1 --interval 100 --seconds "$seconds")
echo "$paced"
idle=$("$LOAD" connections --port "$PGCHAT_PORT" --clients "$work/clients" --count "$sockets" --hold 5 --pid "$bridge")
echo "$idle"

field() { printf '%s' "$1" | sed -n "s/.*\"$2\":\([0-9.]*\).*/\1/p"; }
# send-to-receive percentiles (latencyMs), not the ack's (ackLatencyMs)
p99() { printf '%s' "$1" | sed -n 's/.*"latencyMs":{[^}]*"p99":\([0-9.]*\).*/\1/p'; }
p50() { printf '%s' "$1" | sed -n 's/.*"latencyMs":{"p50":\([0-9.]*\).*/\1/p'; }
echo
printf 'realtime benchmark: %s s per run, 2 cores, everything on 127.0.0.1\n' "$seconds"
printf '%-58s %10.0f /s\n' 'pgbench chat.send_message (8 clients), same run' "$pgbench_tps"
printf '%-58s %10.0f /s\n' "$pairs pairs, 4 in flight: acked" "$(field "$heavy" ackedPerSec)"
printf '%-58s %10.0f /s\n' "$pairs pairs, 4 in flight: delivered" "$(field "$heavy" deliveredPerSec)"
printf '%-58s %10.2f ms\n' "$pairs pairs, 4 in flight: p99 send to receive" "$(p99 "$heavy")"
printf '%-58s %10.2f ms\n' '10 pairs, 1 in flight back to back: p99 send to receive' "$(p99 "$light")"
printf '%-58s %10.0f /s\n' '10 pairs, 1 in flight back to back: delivered' "$(field "$light" deliveredPerSec)"
printf '%-58s %10.2f ms\n' '10 pairs, each sender every 100 ms: p50 send to receive' "$(p50 "$paced")"
printf '%-58s %10.2f ms\n' '10 pairs, each sender every 100 ms: p99 send to receive' "$(p99 "$paced")"
printf '%-58s %10s\n' 'lost / duplicates (each run)' "$(field "$heavy" lost)/$(field "$heavy" duplicates), $(field "$light" lost)/$(field "$light" duplicates), $(field "$paced" lost)/$(field "$paced" duplicates)"
printf '%-58s %10.2f KiB\n' "bridge RSS per idle authenticated socket ($(field "$idle" connected) held)" "$(field "$idle" kibPerSocket)"
