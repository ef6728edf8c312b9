# Sourced by the other scripts: where an instance of pgchat keeps its data and which ports it uses.
# Two instances by default: "dev" (make run/start) and "test" (make test), so tests never touch
# the data of a running product. Every value can be overridden from the environment.

PGCHAT_ROOT=${PGCHAT_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
PGCHAT_INSTANCE=${PGCHAT_INSTANCE:-dev}
# The ports sit below Linux's ephemeral range (32768-60999), so an outgoing connection can never
# hold one of them when a server starts.
case "$PGCHAT_INSTANCE" in
  dev)  default_pg=25432; default_redis=26379; default_http=5000 ;;
  test) default_pg=25442; default_redis=26389; default_http=5100 ;;
  *)    default_pg=25452; default_redis=26399; default_http=5200 ;;
esac
PGCHAT_PG_PORT=${PGCHAT_PG_PORT:-$default_pg}
PGCHAT_REDIS_PORT=${PGCHAT_REDIS_PORT:-$default_redis}
PGCHAT_PORT=${PGCHAT_PORT:-$default_http}
PGCHAT_DATABASE=${PGCHAT_DATABASE:-pgchat}
PGCHAT_SUPERUSER=postgres
PGCHAT_BRIDGE_ROLE=pgchat_bridge
PGCHAT_PGBIN=${PGCHAT_PGBIN:-$(pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)}

# PostgreSQL refuses to run as root: as root, the cluster belongs to the unprivileged "postgres"
# user, which must be able to reach the data folder. A checkout it can't traverse (say under
# /root) keeps its data in a folder of its own under /var/tmp, linked from .data.
PGCHAT_RUNAS=""
if [ "$(id -u)" -eq 0 ]; then
  PGCHAT_RUNAS=postgres
fi
pgchat_data_root() {
  local link="$PGCHAT_ROOT/.data"
  if [ -n "$PGCHAT_RUNAS" ] && [ ! -e "$link" ] && ! runuser -u "$PGCHAT_RUNAS" -- test -x "$PGCHAT_ROOT" 2>/dev/null; then
    local away
    away="/var/tmp/pgchat-$(printf '%s' "$PGCHAT_ROOT" | md5sum | cut -c1-12)"
    mkdir -p "$away" && chmod 755 "$away" && ln -s "$away" "$link"
  fi
  mkdir -p "$link"
  # the real path: the cluster's owner may not traverse the checkout to follow the link
  readlink -f "$link"
}
PGCHAT_DATA=${PGCHAT_DATA:-$(pgchat_data_root)/$PGCHAT_INSTANCE}
PGCHAT_PGDATA=$PGCHAT_DATA/postgres
PGCHAT_SOCKET_DIR=$PGCHAT_DATA/run
PGCHAT_LOG_DIR=$PGCHAT_DATA/log
PGCHAT_REDIS_DIR=$PGCHAT_DATA/redis

# Runs a command as the cluster's owner (itself when not root).
as_owner() {
  if [ -n "$PGCHAT_RUNAS" ]; then
    # from /, since the owner may not be allowed into the current directory
    (cd / && runuser -u "$PGCHAT_RUNAS" -- "$@")
  else
    "$@"
  fi
}

export PGCHAT_ROOT PGCHAT_INSTANCE PGCHAT_PG_PORT PGCHAT_REDIS_PORT PGCHAT_PORT PGCHAT_DATABASE \
  PGCHAT_SUPERUSER PGCHAT_BRIDGE_ROLE PGCHAT_PGBIN PGCHAT_RUNAS PGCHAT_DATA PGCHAT_PGDATA \
  PGCHAT_SOCKET_DIR PGCHAT_LOG_DIR PGCHAT_REDIS_DIR
