#!/usr/bin/env bash
# pg_dump keeps the accounts (config-dump marks) but not the signing secret: a restored database
# logs its users in again with a new secret, and tokens from before the restore are refused.
set -u
source "$(dirname "$0")/tap.sh"
plan 6

db="chat_dump_$$"
restored="chat_restored_$$"
dump=$(mktemp)
trap 'sql postgres "DROP DATABASE IF EXISTS $db" "DROP DATABASE IF EXISTS $restored" >/dev/null 2>&1; rm -f "$dump"' EXIT

sql postgres "CREATE DATABASE $db" "CREATE DATABASE $restored" >/dev/null
token=$(sql "$db" "CREATE EXTENSION chat" \
  "SELECT chat.register('dumped', 'dumped@example.com', 'dumped password')->>'token'" | tail -n 1)
"$PGCHAT_PGBIN/pg_dump" -d "$db" >"$dump" 2>/dev/null
ok "pg_dump of a database with the extension succeeds" test -s "$dump"
ok "the dump holds the users" grep -q 'dumped@example.com' "$dump"
ok "the dump does not hold the signing secret" bash -c "! grep -A2 'COPY chat.signing_key' '$dump' | grep -q '\\\\x'"
ok "the dump restores into a new database" "$PGCHAT_PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -d "$restored" -f "$dump" -o /dev/null
ok "a restored user logs in" test "$(sql "$restored" "SELECT chat.login('dumped', 'dumped password')->'user'->>'username'")" = dumped
ok "a token from before the restore is refused" bash -c "! '$PGCHAT_PGBIN/psql' -X -q -d '$restored' -c \"SELECT chat.authenticate('$token')\" >/dev/null 2>&1"
