#!/usr/bin/env bash
# Presence and typing events per second through Redis across two bridges, and Redis memory per
# connected user (test/bench/presence_bench.c), against a redis-server of its own on
# PRESENCE_BENCH_REDIS_PORT (default: the instance's Redis port + 6) and the instance's
# PostgreSQL (for audience look-ups). Run with the instance's services started:
#   make start && eval "$(make -s env)" && test/bench/presence_bench.sh [USERS] [ROUNDS]
# then the same end to end through two real bridges (test/bench/presence_e2e.mjs; its users and
# rounds from PRESENCE_E2E_USERS, PRESENCE_E2E_ROUNDS).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
source scripts/env.sh

USERS=${1:-2000}
ROUNDS=${2:-5}
PORT=${PRESENCE_BENCH_REDIS_PORT:-$((PGCHAT_REDIS_PORT + 6))}
BIN=bridge/build/redis-test
DIR=$(mktemp -d)
trap '[ -f "$DIR/redis.pid" ] && kill "$(cat "$DIR/redis.pid")" 2>/dev/null; rm -rf "$DIR"' EXIT

if redis-cli -p "$PORT" ping >/dev/null 2>&1; then
  echo "presence bench: port $PORT is taken; set PRESENCE_BENCH_REDIS_PORT" >&2
  exit 1
fi
mkdir -p "$BIN"
cc -std=c11 -O2 -g -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wno-missing-field-initializers \
  -Ibridge -I"$(pg_config --includedir)" -o "$BIN/presence_bench" test/bench/presence_bench.c \
  bridge/presence/redis.c bridge/presence/presence.c bridge/presence/typing.c bridge/core/db.c bridge/core/metrics.c bridge/core/log.c bridge/core/eio_map.c bridge/core/ids.c bridge/core/pg_conn.c \
  -luv -ljansson -lhiredis -L"$(pg_config --libdir)" -lpq || exit 1

redis-server --port "$PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
  --pidfile "$DIR/redis.pid" --logfile "$DIR/redis.log"
for _ in $(seq 50); do redis-cli -p "$PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done

conninfo="host=${PGHOST:-$PGCHAT_SOCKET_DIR} port=${PGPORT:-$PGCHAT_PG_PORT} dbname=${PGDATABASE:-$PGCHAT_DATABASE} user=${PGUSER:-$PGCHAT_SUPERUSER}"
echo "presence bench: $USERS users, $ROUNDS rounds, redis-server $(redis-server --version | sed -E 's/.*v=([0-9.]+).*/\1/') on 127.0.0.1:$PORT"
"$BIN/presence_bench" "$PORT" "$conninfo" "$USERS" "$ROUNDS"

# The same through two real bridges and Socket.IO clients (needs bridge/pgchat-bridge built).
if [ -x bridge/pgchat-bridge ]; then
  node test/bench/presence_e2e.mjs "${PRESENCE_E2E_USERS:-200}" "${PRESENCE_E2E_ROUNDS:-20}"
else
  echo "presence bench: bridge/pgchat-bridge not built; skipping the end-to-end part"
fi
