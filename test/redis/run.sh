#!/usr/bin/env bash
# Module tests of the bridge's Redis link, presence and typing (test/redis/presence_test.c),
# built with AddressSanitizer, LeakSanitizer and UBSan, against the instance's PostgreSQL and a
# redis-server of their own (the test stops and restarts it), on PRESENCE_TEST_REDIS_PORT
# (default: the instance's Redis port + 8). Prints TAP.
# Expects the environment of scripts/test.sh (PG*, PGCHAT_*), or run it after
#   eval "$(scripts/services.sh env)".
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
source scripts/env.sh

PORT=${PRESENCE_TEST_REDIS_PORT:-$((PGCHAT_REDIS_PORT + 8))}
BIN=bridge/build/redis-test
mkdir -p "$BIN"
export PRESENCE_TEST_DIR
PRESENCE_TEST_DIR=$(mktemp -d)

cleanup() {
  if [ -f "$PRESENCE_TEST_DIR/redis.pid" ]; then
    kill "$(cat "$PRESENCE_TEST_DIR/redis.pid")" 2>/dev/null
  fi
  rm -rf "$PRESENCE_TEST_DIR"
}
trap cleanup EXIT

if redis-cli -p "$PORT" ping >/dev/null 2>&1; then
  echo "redis suite: port $PORT is taken; set PRESENCE_TEST_REDIS_PORT"
  echo "# fail 1"
  exit 1
fi

CFLAGS=(-std=c11 -O1 -g -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wno-missing-field-initializers
        -fsanitize=address,undefined -fno-omit-frame-pointer -Ibridge -I"$(pg_config --includedir)")
cc "${CFLAGS[@]}" -o "$BIN/presence_test" test/redis/presence_test.c bridge/presence/redis.c \
  bridge/presence/presence.c bridge/presence/typing.c bridge/core/db.c bridge/core/metrics.c bridge/core/log.c bridge/core/eio_map.c bridge/core/ids.c bridge/core/pg_conn.c \
  -luv -ljansson -lhiredis -L"$(pg_config --libdir)" -lpq || { echo "# fail 1"; exit 1; }

redis-server --port "$PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
  --pidfile "$PRESENCE_TEST_DIR/redis.pid" --logfile "$PRESENCE_TEST_DIR/redis.log"
for _ in $(seq 50); do redis-cli -p "$PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done

# Three users; 1 and 2 keep each other as contacts (each is in the other's presence audience),
# 3 knows nobody. The
# conversation id only labels typing, which never asks the database.
ids=$(psql -X -At -q -v ON_ERROR_STOP=1 <<'SQL'
SET client_min_messages = warning;
CREATE TEMP TABLE t AS
  SELECT n, s->>'token' AS token, s->'user'->>'id' AS id
  FROM (SELECT 'pt' || substr(md5(random()::text), 1, 10) || g AS n FROM generate_series(1, 3) g) v,
  LATERAL chat.register(n, n || '@example.test', 'presence test password') s;
SELECT string_agg(id, ' ' ORDER BY n) FROM t;
SELECT count(*) FROM (
  SELECT chat.add_contact((SELECT token FROM t ORDER BY n OFFSET 1 LIMIT 1), (SELECT id FROM t ORDER BY n LIMIT 1)::uuid)
  UNION ALL
  SELECT chat.add_contact((SELECT token FROM t ORDER BY n LIMIT 1), (SELECT id FROM t ORDER BY n OFFSET 1 LIMIT 1)::uuid)) x;
SELECT gen_random_uuid();
SQL
) || { echo "redis suite: cannot create the test users"; echo "# fail 1"; exit 1; }
read -r -a users <<<"$(echo "$ids" | sed -n 1p)"
conversation=$(echo "$ids" | sed -n 3p)

conninfo="host=${PGHOST:-$PGCHAT_SOCKET_DIR} port=${PGPORT:-$PGCHAT_PG_PORT} dbname=${PGDATABASE:-$PGCHAT_DATABASE} user=${PGUSER:-$PGCHAT_SUPERUSER}"
export ASAN_OPTIONS=detect_leaks=1:exitcode=97
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=98
"$BIN/presence_test" "$PORT" "$conninfo" "${users[@]}" "$conversation"
