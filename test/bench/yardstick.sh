# Sourced by the benchmarks that measure pgchat against the yardstick: the original design on
# Express + Socket.IO + pg, kept beside the repository in ../shared/yardstick (PGCHAT_YARDSTICK
# elsewhere), started and stopped only through its own run.sh and stop.sh.
#   yardstick_wanted     0 when BENCH_YARDSTICK=0 or there is none (says why), else 1
#   yardstick_start      starts it with bcrypt cost 4 (registering hundreds through REST stays
#                        quick); sets YARDSTICK_URL, YARDSTICK_PID (its node process) and
#                        YARDSTICK_PSQL (psql arguments for its private database)
#   yardstick_stop       stops it if this script started it (also safe from an EXIT trap)
# Ports: YARDSTICK_PG_PORT / YARDSTICK_REDIS_PORT / YARDSTICK_PORT (its own 24432 / 24379 / 24000).

YARDSTICK_DIR=${PGCHAT_YARDSTICK:-$PGCHAT_ROOT/../shared/yardstick}
YARDSTICK_STATE=/tmp/pgchat-yardstick/state
yardstick_started=0

yardstick_wanted() {
  if [ "${BENCH_YARDSTICK:-1}" = 0 ]; then
    echo 0
  elif [ ! -f "$YARDSTICK_DIR/run.sh" ]; then
    echo "no yardstick at $YARDSTICK_DIR (set PGCHAT_YARDSTICK); measuring pgchat alone" >&2
    echo 0
  else
    echo 1
  fi
}

yardstick_start() {
  if [ -f "$YARDSTICK_STATE" ]; then
    echo "a yardstick is already running ($YARDSTICK_STATE); stop it with $YARDSTICK_DIR/stop.sh" >&2
    return 1
  fi
  yardstick_started=1
  local log
  log=$(mktemp)
  # a pgchat instance's environment must not steer its tools
  if ! (unset PGHOST PGPORT PGDATABASE PGUSER
        BCRYPT_ROUNDS=4 PG_PORT=${YARDSTICK_PG_PORT:-24432} REDIS_PORT=${YARDSTICK_REDIS_PORT:-24379} \
          PEER_PORT=${YARDSTICK_PORT:-24000} bash "$YARDSTICK_DIR/run.sh") >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    return 1
  fi
  rm -f "$log"
  YARDSTICK_URL=$(. "$YARDSTICK_STATE" && echo "$PEER_URL")
  YARDSTICK_PID=$(. "$YARDSTICK_STATE" && echo "$PEER_PID")
  YARDSTICK_PSQL="-h $(. "$YARDSTICK_STATE" && echo "$PGHOST") -p $(. "$YARDSTICK_STATE" && echo "$PGPORT") -U chat -d chat"
}

yardstick_stop() {
  [ "$yardstick_started" = 1 ] || return 0
  bash "$YARDSTICK_DIR/stop.sh" >/dev/null 2>&1 || true
  yardstick_started=0
}
