#!/bin/bash
# The database image's entrypoint, on Debian's PostgreSQL 15, with the variables users of the
# official image know:
#   POSTGRES_PASSWORD     the superuser's password (required on the first start; change-me* refused)
#   POSTGRES_USER         the superuser (postgres)
#   POSTGRES_DB           a database made on the first start (default: POSTGRES_USER)
#   POSTGRES_INITDB_ARGS  more initdb options (e.g. --encoding=UTF8 --locale=C.UTF-8)
#   PGDATA                the data folder (/var/lib/postgresql/data)
#   /docker-entrypoint-initdb.d/  *.sh (run, or sourced when not executable) and *.sql, in name
#                         order, once, against a server listening on its socket only
# On an empty data folder: initdb (local socket trusted, every TCP login by scram-sha-256
# password), then the init folder, then the server. A first start that fails empties the folder
# again, so the next start begins anew instead of running on a database half made.
set -euo pipefail

say() { echo "pgchat postgres: $*" >&2; }

# `docker run image -c key=value` means options of the server
if [ "${1:0:1}" = - ]; then set -- postgres "$@"; fi
[ "$1" = postgres ] || exec "$@"

export PGDATA=${PGDATA:-/var/lib/postgresql/data}
export POSTGRES_USER=${POSTGRES_USER:-postgres}
export POSTGRES_DB=${POSTGRES_DB:-$POSTGRES_USER}

# As root (compose): make the folders the postgres user's, then become it. Run as that user from
# the start (the manifests), nothing here needs a privilege.
if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chown postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 700 "$PGDATA"
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi
mkdir -p "$PGDATA"
chmod 700 "$PGDATA" 2>/dev/null || true

first_start() {
  case "${POSTGRES_PASSWORD:-}" in
    "") say "POSTGRES_PASSWORD is not set"; return 1 ;;
    change-me*) say "POSTGRES_PASSWORD is still the example's placeholder; choose a password"; return 1 ;;
  esac
  if [ -n "$(ls -A "$PGDATA")" ]; then
    say "$PGDATA holds files but no database; point PGDATA at an empty folder (a volume's lost+found counts)"
    return 1
  fi
  # the password from a pipe, never on a command line
  # shellcheck disable=SC2086 # POSTGRES_INITDB_ARGS is a list of options
  initdb --username="$POSTGRES_USER" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") \
    --auth-local=trust --auth-host=scram-sha-256 ${POSTGRES_INITDB_ARGS:-} >/dev/null
  echo "listen_addresses = '*'" >>"$PGDATA/postgresql.conf"
  echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"

  pg_ctl -D "$PGDATA" -w -o "-c listen_addresses=''" start >/dev/null
  if [ "$POSTGRES_DB" != postgres ]; then
    psql -X -q -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres -v db="$POSTGRES_DB" <<<'CREATE DATABASE :"db";'
  fi
  local f
  for f in /docker-entrypoint-initdb.d/*; do
    case "$f" in
      *.sh) say "running $f"; if [ -x "$f" ]; then "$f"; else . "$f"; fi ;;
      *.sql) say "running $f"; psql -X -q -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" -f "$f" ;;
      *) ;;
    esac
  done
  pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
}

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  say "first start: initdb in $PGDATA"
  # a subshell outside any condition, so that `set -e` holds inside it
  set +e
  (set -e; first_start)
  status=$?
  set -e
  if [ "$status" -ne 0 ]; then
    pg_ctl -D "$PGDATA" -m immediate -w stop >/dev/null 2>&1 || true
    find "$PGDATA" -mindepth 1 -delete 2>/dev/null || true
    say "the first start failed; $PGDATA is empty again"
    exit 1
  fi
  say "first start done"
fi

exec "$@"
