#!/usr/bin/env bash
# First start of the database container (its entrypoint runs this once, on an empty data
# volume, as the database owner): the chat extension in $POSTGRES_DB and the bridge's login role,
# which may call the API and nothing else. The password comes from the environment only.
#   PGCHAT_BRIDGE_PASSWORD  the bridge role's password (required; docker/.env or the k8s secret)
#   PGCHAT_BRIDGE_ROLE      its name (default pgchat_bridge)
# The example files' change-me placeholders are refused for both passwords: they are public.
set -euo pipefail

export PGCHAT_BRIDGE_ROLE=${PGCHAT_BRIDGE_ROLE:-pgchat_bridge}
if [ -z "${PGCHAT_BRIDGE_PASSWORD:-}" ]; then
  echo "pgchat init: PGCHAT_BRIDGE_PASSWORD is not set (docker/.env or the pgchat-db secret)" >&2
  exit 1
fi
for name in POSTGRES_PASSWORD PGCHAT_BRIDGE_PASSWORD; do
  case "${!name:-}" in
    change-me*)
      echo "pgchat init: $name is still the example's placeholder; choose a password" >&2
      exit 1 ;;
  esac
done

# \getenv keeps the password out of every command line; %L and %I quote it and the role name.
psql -X -q -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname "${POSTGRES_DB:-postgres}" <<'SQL'
\getenv bridge_role PGCHAT_BRIDGE_ROLE
\getenv bridge_password PGCHAT_BRIDGE_PASSWORD
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS chat;
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', :'bridge_role', :'bridge_password')
 WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = :'bridge_role') \gexec
SELECT chat.grant_api(:'bridge_role') \gset
-- only roles given the API (or the statistics) may connect: nobody else can LISTEN or NOTIFY
SELECT format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), :'bridge_role') \gexec
SELECT format('REVOKE CONNECT, TEMPORARY ON DATABASE %I FROM PUBLIC', current_database()) \gexec
SQL
echo "pgchat init: extension chat $(psql -X -tA --username "${POSTGRES_USER:-postgres}" --dbname "${POSTGRES_DB:-postgres}" \
  -c "SELECT extversion FROM pg_extension WHERE extname = 'chat'") in ${POSTGRES_DB:-postgres}, role $PGCHAT_BRIDGE_ROLE"
