#!/usr/bin/env bash
# Realtime benchmark (not a test): pgchat against the yardstick (../shared/yardstick beside the
# repository: the original design on Express + Socket.IO + pg), one after the other in one run,
# with the same load generator (test/bench/bin/load, a libwebsockets Socket.IO client), all on
# 127.0.0.1. Only the ratios count: this machine's speed varies from day to day.
#   a. 100 direct pairs, 4 messages in flight per sender: delivered msgs/s;
#   b. 20 groups of 10, every member sending (1 in flight each): deliveries/s;
#   c. light load: 10 pairs, one message per sender every 100 ms; its p99 is printed beside the
#      fdatasync time of the disk under pgchat's data folder, measured in this run (pg_test_fsync),
#      and beside the p50/p99 of plain INSERT + pg_notify commits at the same rate (pgbench);
#   d. memory per idle authenticated socket (pgchat's bridge, the yardstick's node process);
# each with p50/p99 send-to-receive latency, lost, duplicated and failed acks, then the ratios and
# whether the targets hold (>= 3x msgs/s for pairs and groups; 0 lost, duplicated, failed or
# unanswered; light-load p99 <= 5 ms).
# pgchat runs on a private instance of its own (users seeded through SQL with tokens from
# issue_token); the yardstick is started and stopped here (its run.sh/stop.sh, bcrypt cost 4 so
# registering its users through REST is quick) and provisioned through REST alone.
#   test/bench/realtime_bench.sh [seconds per run (10)] [idle sockets (15000)]
# Environment: BENCH_SECONDS, BENCH_SOCKETS, BENCH_YARDSTICK_SOCKETS (2000: it connects slowly),
#   BENCH_GROUP_WINDOW (1), BENCH_FSYNC_SECONDS (2), BENCH_YARDSTICK=0 (pgchat alone),
#   BENCH_RUNS ("pairs groups light idle": the runs to make, e.g. "light" alone),
#   PGCHAT_YARDSTICK (the yardstick's folder); ports PGCHAT_PG_PORT / PGCHAT_REDIS_PORT /
#   PGCHAT_PORT (27520-27522) and YARDSTICK_PG_PORT / YARDSTICK_REDIS_PORT / YARDSTICK_PORT
#   (the yardstick's defaults, 24432 / 24379 / 24000).
# Every load run prints its JSON line as it ends; the summary comes last.
set -euo pipefail
export PGCHAT_INSTANCE=${PGCHAT_BENCH_INSTANCE:-benchrt}
export PGCHAT_PG_PORT=${PGCHAT_PG_PORT:-27520} PGCHAT_REDIS_PORT=${PGCHAT_REDIS_PORT:-27521}
export PGCHAT_PORT=${PGCHAT_PORT:-27522}
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/env.sh"
source "$PGCHAT_ROOT/test/bench/yardstick.sh"
cd "$PGCHAT_ROOT"
seconds=${1:-${BENCH_SECONDS:-10}}
sockets=${2:-${BENCH_SOCKETS:-15000}}
# the yardstick takes its sockets in slowly (about 150/s here): fewer of them
yardstick_sockets=${BENCH_YARDSTICK_SOCKETS:-2000}
group_window=${BENCH_GROUP_WINDOW:-1}
fsync_seconds=${BENCH_FSYNC_SECONDS:-2}
pairs=100 groups=20 group_size=10 light_pairs=10 light_interval_ms=100
LOAD=test/bench/bin/load
runs=" ${BENCH_RUNS:-pairs groups light idle} "
wanted() { [[ "$runs" == *" $1 "* ]]; }
make -s bridge/pgchat-bridge "$LOAD"

use_yardstick=$(yardstick_wanted)
if [ "$use_yardstick" = 1 ] && [ -f "$YARDSTICK_STATE" ]; then # fail now, not after pgchat's runs
  echo "realtime_bench: a yardstick is already running ($YARDSTICK_STATE); stop it with $YARDSTICK_DIR/stop.sh" >&2
  exit 1
fi

scripts/services.sh reset >/dev/null
work=$(mktemp -d)
bridge="" fsync_pid=""
cleanup() {
  [ -n "$fsync_pid" ] && kill "$fsync_pid" 2>/dev/null
  [ -n "$bridge" ] && kill -TERM "$bridge" 2>/dev/null && wait "$bridge" 2>/dev/null
  scripts/services.sh stop >/dev/null 2>&1
  yardstick_stop
  rm -f "$PGCHAT_DATA/pg_test_fsync.tmp"
  rm -rf "$work"
}
trap cleanup EXIT
# the bridge and the load generator hold thousands of sockets
ulimit -n "$(ulimit -Hn)"

# runs: NAME PORT CLIENTS_FILE load-options...; prints the JSON line and keeps it in $work/NAME
run_load() {
  local name=$1 port=$2 clients=$3
  shift 3
  "$LOAD" "$@" --port "$port" --clients "$clients" | tee "$work/$name" ||
    echo "realtime_bench: the $name run failed" >&2
}

# the four runs against one server; its pid for the memory figure
measure() {
  local who=$1 port=$2 pid=$3 idle=$4
  wanted pairs && run_load "$who-pairs" "$port" "$work/$who-pairs.tsv" throughput --group-size 2 \
    --window 4 --seconds "$seconds"
  wanted groups && run_load "$who-groups" "$port" "$work/$who-groups.tsv" throughput \
    --group-size "$group_size" --window "$group_window" --seconds "$seconds"
  wanted light && run_load "$who-light" "$port" "$work/$who-pairs.tsv" throughput \
    --users $((2 * light_pairs)) --group-size 2 --window 1 --interval "$light_interval_ms" --seconds "$seconds"
  wanted idle && run_load "$who-idle" "$port" "$work/$who-pairs.tsv" connections --count "$idle" \
    --hold 5 --pid "$pid"
  return 0
}

# ---- pgchat ----
scripts/services.sh start >/dev/null
scripts/services.sh bridge-stop
eval "$(scripts/services.sh env)"
q() { psql -X -q -A -t -v ON_ERROR_STOP=1 -c "$1"; }

# users straight into the table with one real hash (argon2id would measure hashing), tokens from
# issue_token; pairs and groups have users of their own, so no socket hears another run's chats
q "SELECT chat.register('rt_0', 'rt_0@example.com', 'bench password')" >/dev/null
q "INSERT INTO chat.users (username, email, password_hash, display_name)
   SELECT 'rt_' || n, 'rt_' || n || '@example.com', (SELECT password_hash FROM chat.users WHERE username = 'rt_0'), 'Rt ' || n
   FROM generate_series(1, $((2 * pairs + groups * group_size))) n"
q "CREATE TABLE public.rt_members AS
   SELECT n, u.id AS user_id, chat.issue_token(u.id) AS token
   FROM generate_series(1, $((2 * pairs + groups * group_size))) n JOIN chat.users u ON u.username = 'rt_' || n"
# pair p: users 2p-1 and 2p; group g: the next group_size users, created by the first
q "CREATE TABLE public.rt_chats AS
   SELECT p AS chat, ((chat.create_conversation(a.token, ARRAY[b.user_id]))->>'id')::uuid AS conversation_id
   FROM generate_series(1, $pairs) p
   JOIN public.rt_members a ON a.n = 2 * p - 1 JOIN public.rt_members b ON b.n = 2 * p
   UNION ALL
   SELECT $pairs + g, ((chat.create_conversation(first.token,
            ARRAY(SELECT m.user_id FROM public.rt_members m
                  WHERE m.n > first.n AND m.n < first.n + $group_size ORDER BY m.n),
            true, 'group ' || g))->>'id')::uuid
   FROM generate_series(1, $groups) g
   JOIN public.rt_members first ON first.n = $((2 * pairs)) + (g - 1) * $group_size + 1" >/dev/null
members_of() { # FROM TO: the clients file lines of members FROM..TO, in order
  q "SELECT m.token || E'\t' || c.conversation_id FROM public.rt_members m
     JOIN public.rt_chats c ON c.chat = CASE WHEN m.n <= $((2 * pairs)) THEN (m.n + 1) / 2
                                             ELSE $pairs + (m.n - $((2 * pairs)) - 1) / $group_size + 1 END
     WHERE m.n BETWEEN $1 AND $2 ORDER BY m.n"
}
members_of 1 $((2 * pairs)) >"$work/pgchat-pairs.tsv"
members_of $((2 * pairs + 1)) $((2 * pairs + groups * group_size)) >"$work/pgchat-groups.tsv"

# the disk under pgchat's data: fdatasync of one 8 kB write, the cost of one commit's WAL flush.
# Only the first comparison is needed, so pg_test_fsync is stopped once it has printed it.
"$PGCHAT_PGBIN/pg_test_fsync" -s "$fsync_seconds" -f "$PGCHAT_DATA/pg_test_fsync.tmp" >"$work/fsync.txt" 2>&1 &
fsync_pid=$!
while kill -0 "$fsync_pid" 2>/dev/null && ! grep -q '^ *fdatasync .*usecs/op' "$work/fsync.txt"; do sleep 0.2; done
kill "$fsync_pid" 2>/dev/null || true
wait "$fsync_pid" 2>/dev/null || true
fsync_pid=""
fdatasync_ms=$(awk '$1 == "fdatasync" && $3 == "ops/sec" { printf "%.3f", $4 / 1000; exit }' "$work/fsync.txt")

# The load generator is one client per user at machine speed, like the yardstick's (which has no
# limits): the per-socket event rate and calls in flight, the sockets per user (the memory run
# opens thousands for a few users) and the caps per address (every client is 127.0.0.1) are lifted
# so the figures measure the stack, not the limiters.
PGCHAT_SOCKET_EVENT_RATE=${PGCHAT_SOCKET_EVENT_RATE:-100000} \
PGCHAT_SOCKET_MAX_CALLS=${PGCHAT_SOCKET_MAX_CALLS:-100000} \
PGCHAT_MAX_USER_SOCKETS=${PGCHAT_MAX_USER_SOCKETS:-100000} \
PGCHAT_MAX_CONNECTIONS=${PGCHAT_MAX_CONNECTIONS:-0} \
PGCHAT_MAX_ADDRESS_CONNECTIONS=${PGCHAT_MAX_ADDRESS_CONNECTIONS:-0} \
PGCHAT_MAX_ADDRESS_SESSIONS=${PGCHAT_MAX_ADDRESS_SESSIONS:-0} \
PGCHAT_LISTEN=127.0.0.1 PGCHAT_LOG_LEVEL=warn bridge/pgchat-bridge >"$work/bridge.log" 2>&1 &
bridge=$!
# ready: /health answers 200 (the database is reachable), then a socket's CONNECT is accepted
for _ in $(seq 100); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PGCHAT_PORT/health")" = 200 ] && break
  sleep 0.1
done
for _ in $(seq 30); do
  "$LOAD" connections --port "$PGCHAT_PORT" --clients "$work/pgchat-pairs.tsv" --count 1 --hold 0 2>/dev/null |
    grep -q '"connected":1,' && break
  sleep 0.5
done
echo "realtime_bench: pgchat"
measure pgchat "$PGCHAT_PORT" "$bridge" "$sockets"
if grep -qv '"lost":0,"duplicates":0,"failedAcks":0,"unacked":0,"errors":0' "$work"/pgchat-{pairs,groups,light} 2>/dev/null; then
  echo "realtime_bench: pgchat had failures; the bridge's log ends:" >&2
  tail -20 "$work/bridge.log" >&2
fi
kill -TERM "$bridge" 2>/dev/null && wait "$bridge" 2>/dev/null || true
bridge=""
# The floor of the light load: the same rate of one-row INSERT + pg_notify commits (pgbench, one
# client per light sender) on the same cluster, its p50/p99 from pgbench's per-transaction log. A
# commit that waits on an idle disk's fdatasync costs more than pg_test_fsync's back-to-back figure.
if wanted light; then
  q "CREATE TABLE public.rt_floor (id bigserial PRIMARY KEY, body text NOT NULL)"
  echo "INSERT INTO public.rt_floor (body) VALUES ('a message of some forty bytes, more or less'); SELECT pg_notify('rt_floor', 'x');" >"$work/floor.sql"
  (cd "$work" && "$PGCHAT_PGBIN/pgbench" -n -M prepared -c $((2 * light_pairs)) -j 2 \
     -R $((2 * light_pairs * 1000 / light_interval_ms)) -T "$seconds" -l --log-prefix=floor \
     -f floor.sql >/dev/null 2>&1) || echo "realtime_bench: the commit floor run failed" >&2
  read -r floor_p50 floor_p99 < <(awk '{ print $3 / 1000 }' "$work"/floor.* 2>/dev/null | sort -n |
    awk '{ v[NR] = $1 } END { if (NR) printf "%.2f %.2f\n", v[int((NR + 1) / 2)], v[int(NR * 0.99 + 0.5)]; else print "- -" }')
fi
# the yardstick gets the machine to itself, as pgchat did
scripts/services.sh stop >/dev/null

# ---- the yardstick ----
if [ "$use_yardstick" = 1 ]; then
  echo "realtime_bench: the yardstick (starting it)"
  yardstick_start
  node test/bench/rest_clients.mjs "$YARDSTICK_URL" ys_pair "$pairs" 2 "$work/yardstick-pairs.tsv"
  node test/bench/rest_clients.mjs "$YARDSTICK_URL" ys_group "$groups" "$group_size" "$work/yardstick-groups.tsv"
  measure yardstick "${YARDSTICK_URL##*:}" "$YARDSTICK_PID" "$yardstick_sockets"
  yardstick_stop
fi

# ---- the summary ----
# field RUN KEY: a number from a run's JSON line ("-" when the run is missing)
field() {
  [ -s "$work/$1" ] || { echo -; return; }
  sed -n "s/.*\"$2\":\([0-9.]*\).*/\1/p" "$work/$1"
}
latency() { # RUN p50|p99: send to receive ("-" when nothing was delivered)
  [ -s "$work/$1" ] && [ "$(field "$1" delivered)" != 0 ] || { echo -; return; }
  sed -n "s/.*\"latencyMs\":{[^}]*\"$2\":\([0-9.]*\).*/\1/p" "$work/$1"
}
faults() { # RUN: lost/duplicated/failed acks (+ unanswered sends, when any)
  [ -s "$work/$1" ] || { echo -; return; }
  local unacked
  unacked=$(field "$1" unacked)
  printf '%s/%s/%s' "$(field "$1" lost)" "$(field "$1" duplicates)" "$(field "$1" failedAcks)"
  [ "$unacked" = 0 ] || printf ' +%s unanswered' "$unacked"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.2fx", a / b }'; }
row() { printf '%-42s %19s %19s %8s\n' "$@"; }

echo
printf 'realtime benchmark: %s s per run, one after the other on 127.0.0.1 (%s cores), same load generator\n' \
  "$seconds" "$(nproc)"
row '' pgchat yardstick ratio
for run in pairs groups; do
  if [ $run = pairs ]; then
    title="$pairs pairs, 4 in flight"
    what='delivered msgs/s'
  else
    title="$groups groups of $group_size, $group_window in flight per member"
    what='deliveries/s'
  fi
  echo "$title"
  row "  $what" "$(field pgchat-$run deliveredPerSec)" "$(field yardstick-$run deliveredPerSec)" \
    "$(ratio "$(field pgchat-$run deliveredPerSec)" "$(field yardstick-$run deliveredPerSec)")"
  row "  send to receive p50 / p99, ms" "$(latency pgchat-$run p50) / $(latency pgchat-$run p99)" \
    "$(latency yardstick-$run p50) / $(latency yardstick-$run p99)" ''
  row "  lost / duplicated / failed acks" "$(faults pgchat-$run)" "$(faults yardstick-$run)" ''
done
echo "$light_pairs pairs, one message per sender every $light_interval_ms ms"
row "  send to receive p50 / p99, ms" "$(latency pgchat-light p50) / $(latency pgchat-light p99)" \
  "$(latency yardstick-light p50) / $(latency yardstick-light p99)" ''
row "  lost / duplicated / failed acks" "$(faults pgchat-light)" "$(faults yardstick-light)" ''
row "  fdatasync of pgchat's data disk, ms" "${fdatasync_ms:--}" '' ''
row "  INSERT + pg_notify commits, same rate, p50 / p99" "${floor_p50:--} / ${floor_p99:--}" '' ''
row "memory per idle authenticated socket, KiB" "$(field pgchat-idle kibPerSocket)" \
  "$(field yardstick-idle kibPerSocket)" "$(ratio "$(field pgchat-idle kibPerSocket)" "$(field yardstick-idle kibPerSocket)")"
row "  sockets held" "$(field pgchat-idle connected)" "$(field yardstick-idle connected)" ''

# the targets
verdict() { if [ "$1" = 1 ]; then echo holds; else echo MISSED; fi; }
at_least() { awk -v a="$1" -v b="$2" -v k="$3" 'BEGIN { print (a != "-" && b != "-" && b > 0 && a >= k * b) ? 1 : 0 }'; }
clean=1
for run in pairs groups light; do
  wanted $run || continue
  [ -s "$work/pgchat-$run" ] || { clean=0; continue; }
  for key in lost duplicates failedAcks unacked errors; do
    [ "$(field "pgchat-$run" "$key")" = 0 ] || clean=0
  done
done
echo
echo "targets"
printf '  %-62s %s\n' ">= 3x the yardstick's delivered msgs/s, pairs" \
  "$(verdict "$(at_least "$(field pgchat-pairs deliveredPerSec)" "$(field yardstick-pairs deliveredPerSec)" 3)")"
printf '  %-62s %s\n' ">= 3x the yardstick's deliveries/s, groups" \
  "$(verdict "$(at_least "$(field pgchat-groups deliveredPerSec)" "$(field yardstick-groups deliveredPerSec)" 3)")"
printf '  %-62s %s\n' "pgchat: 0 lost, duplicated, failed or unanswered, every run" "$(verdict "$clean")"
printf '  %-62s %s\n' "pgchat: light-load p99 <= 5 ms (a plain commit's p99: ${floor_p99:--} ms)" \
  "$(verdict "$(awk -v p="$(latency pgchat-light p99)" 'BEGIN { print (p != "-" && p != "" && p <= 5) ? 1 : 0 }')")"
