#!/usr/bin/env bash
# The private services of one pgchat instance: a PostgreSQL cluster and a redis-server under
# .data/<instance>, on their own ports, touching no system service.
#   services.sh start | stop | status | reset | env | run | bridge-start | bridge-stop
# "run" starts everything and stays in the foreground until Ctrl-C, then stops all of it.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

PGCTL="$PGCHAT_PGBIN/pg_ctl"
psql_admin() {
  "$PGCHAT_PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PGCHAT_SOCKET_DIR" -p "$PGCHAT_PG_PORT" \
    -U "$PGCHAT_SUPERUSER" "$@"
}

pg_running() { [ -f "$PGCHAT_PGDATA/postmaster.pid" ] && as_owner "$PGCTL" -D "$PGCHAT_PGDATA" status >/dev/null 2>&1; }

pg_init() {
  [ -f "$PGCHAT_PGDATA/PG_VERSION" ] && return 0
  mkdir -p "$PGCHAT_DATA" "$PGCHAT_SOCKET_DIR" "$PGCHAT_LOG_DIR"
  mkdir -p "$PGCHAT_PGDATA"
  [ -n "$PGCHAT_RUNAS" ] && chown "$PGCHAT_RUNAS" "$PGCHAT_PGDATA" "$PGCHAT_SOCKET_DIR" "$PGCHAT_LOG_DIR"
  chmod 700 "$PGCHAT_PGDATA"
  echo "services: creating the private cluster in $PGCHAT_PGDATA"
  as_owner "$PGCHAT_PGBIN/initdb" -D "$PGCHAT_PGDATA" -U "$PGCHAT_SUPERUSER" -E UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 >"$PGCHAT_LOG_DIR/initdb.log"
  # Only the owner's unix socket can log in without a password; TCP wants one, and none is set.
  as_owner tee -a "$PGCHAT_PGDATA/postgresql.conf" >/dev/null <<CONF
# pgchat private instance
port = $PGCHAT_PG_PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$PGCHAT_SOCKET_DIR'
max_connections = 200
shared_buffers = 256MB
CONF
}

pg_start() {
  pg_init
  if ! pg_running; then
    as_owner "$PGCTL" -D "$PGCHAT_PGDATA" -l "$PGCHAT_LOG_DIR/postgres.log" -w -t 60 \
      -o "-p $PGCHAT_PG_PORT -k $PGCHAT_SOCKET_DIR" start >/dev/null
  fi
  pg_setup
}

# The database, the extension and the bridge's role; each step is a no-op when already done.
pg_setup() {
  if [ -z "$(psql_admin -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$PGCHAT_DATABASE'")" ]; then
    psql_admin -d postgres -c "CREATE DATABASE $PGCHAT_DATABASE"
  fi
  psql_admin -d "$PGCHAT_DATABASE" <<SQL
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS chat;
-- data made by an older checkout: its database moves to the files' version (and the new API)
ALTER EXTENSION chat UPDATE;
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$PGCHAT_BRIDGE_ROLE') THEN
    CREATE ROLE $PGCHAT_BRIDGE_ROLE LOGIN;
  END IF;
  PERFORM chat.grant_api('$PGCHAT_BRIDGE_ROLE');
END \$\$;
-- only roles given the API (or the statistics) may connect: nobody else can LISTEN or NOTIFY;
-- the bridge's CONNECT is granted by name too, whatever version grant_api is
GRANT CONNECT ON DATABASE $PGCHAT_DATABASE TO $PGCHAT_BRIDGE_ROLE;
REVOKE CONNECT, TEMPORARY ON DATABASE $PGCHAT_DATABASE FROM PUBLIC;
SQL
}

pg_stop() {
  if pg_running; then
    as_owner "$PGCTL" -D "$PGCHAT_PGDATA" -m fast -w stop >/dev/null
  fi
}

redis_pidfile() { printf '%s/redis.pid' "$PGCHAT_REDIS_DIR"; }
redis_running() { [ -f "$(redis_pidfile)" ] && kill -0 "$(cat "$(redis_pidfile)")" 2>/dev/null; }

redis_start() {
  mkdir -p "$PGCHAT_REDIS_DIR" "$PGCHAT_LOG_DIR"
  redis_running && return 0
  # Presence and typing are ephemeral: no snapshots, no append-only file.
  redis-server --port "$PGCHAT_REDIS_PORT" --bind 127.0.0.1 --dir "$PGCHAT_REDIS_DIR" \
    --daemonize yes --pidfile "$(redis_pidfile)" --logfile "$PGCHAT_LOG_DIR/redis.log" \
    --save "" --appendonly no
  for _ in $(seq 50); do
    redis-cli -p "$PGCHAT_REDIS_PORT" ping >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "services: redis-server did not start, see $PGCHAT_LOG_DIR/redis.log" >&2
  return 1
}

redis_stop() {
  redis_running || return 0
  local pid
  pid=$(cat "$(redis_pidfile)")
  redis-cli -p "$PGCHAT_REDIS_PORT" shutdown nosave >/dev/null 2>&1 || kill "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
}

# The bridge (bridge/pgchat-bridge, built by make), in the background with a pid file; its
# settings come from this instance's environment (see bridge/config.c).
bridge_pidfile() { printf '%s/bridge.pid' "$PGCHAT_DATA"; }
bridge_running() { [ -f "$(bridge_pidfile)" ] && kill -0 "$(cat "$(bridge_pidfile)")" 2>/dev/null; }

bridge_start() {
  local binary="$PGCHAT_ROOT/bridge/pgchat-bridge"
  bridge_running && return 0
  if [ ! -x "$binary" ]; then
    echo "services: no bridge binary yet (make bridge/pgchat-bridge); not starting it" >&2
    return 0
  fi
  mkdir -p "$PGCHAT_LOG_DIR"
  PGCHAT_REDIS_URL=${PGCHAT_REDIS_URL:-redis://127.0.0.1:$PGCHAT_REDIS_PORT} \
  PGCHAT_WEB_ROOT=${PGCHAT_WEB_ROOT:-$PGCHAT_ROOT/web/dist} \
    "$binary" >>"$PGCHAT_LOG_DIR/bridge.log" 2>&1 &
  echo $! >"$(bridge_pidfile)"
  for _ in $(seq 100); do
    curl -s -o /dev/null "http://127.0.0.1:$PGCHAT_PORT/health" && return 0
    kill -0 "$(cat "$(bridge_pidfile)")" 2>/dev/null || break
    sleep 0.1
  done
  echo "services: the bridge did not start, see $PGCHAT_LOG_DIR/bridge.log" >&2
  return 1
}

bridge_stop() {
  bridge_running || { rm -f "$(bridge_pidfile)"; return 0; }
  local pid
  pid=$(cat "$(bridge_pidfile)")
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  rm -f "$(bridge_pidfile)"
}

print_env() {
  cat <<ENV
export PGHOST='$PGCHAT_SOCKET_DIR'
export PGPORT='$PGCHAT_PG_PORT'
export PGDATABASE='$PGCHAT_DATABASE'
export PGUSER='$PGCHAT_SUPERUSER'
export PGCHAT_URL='http://localhost:$PGCHAT_PORT'
export PGCHAT_REDIS_URL='redis://127.0.0.1:$PGCHAT_REDIS_PORT'
ENV
}

case "${1:-}" in
  start)
    pg_start
    redis_start
    bridge_start
    echo "services: postgres on port $PGCHAT_PG_PORT (socket $PGCHAT_SOCKET_DIR), redis on port $PGCHAT_REDIS_PORT, bridge on port $PGCHAT_PORT"
    ;;
  stop)
    bridge_stop
    redis_stop
    pg_stop
    ;;
  status)
    pg_running && echo "postgres: running on port $PGCHAT_PG_PORT" || echo "postgres: stopped"
    redis_running && echo "redis: running on port $PGCHAT_REDIS_PORT" || echo "redis: stopped"
    bridge_running && echo "bridge: running on port $PGCHAT_PORT" || echo "bridge: stopped"
    ;;
  reset)
    bridge_stop
    redis_stop
    pg_stop
    rm -rf "$PGCHAT_DATA"
    echo "services: wiped $PGCHAT_DATA"
    ;;
  env)
    print_env
    ;;
  run)
    sleeper=""
    trap 'echo; echo "services: stopping"; [ -n "$sleeper" ] && kill "$sleeper" 2>/dev/null; bridge_stop; redis_stop; pg_stop; exit 0' INT TERM
    pg_start
    redis_start
    bridge_start
    echo "services: postgres on port $PGCHAT_PG_PORT, redis on port $PGCHAT_REDIS_PORT"
    echo "pgchat is at http://localhost:$PGCHAT_PORT (Ctrl-C stops all of it)"
    while true; do sleep 3600 & sleeper=$!; wait "$sleeper"; done
    ;;
  bridge-start)
    bridge_start
    ;;
  bridge-stop)
    bridge_stop
    ;;
  *)
    echo "usage: $0 start|stop|status|reset|env|run|bridge-start|bridge-stop" >&2
    exit 2
    ;;
esac
