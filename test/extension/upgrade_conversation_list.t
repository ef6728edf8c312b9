#!/usr/bin/env bash
# 1.1 -> 1.2 keeps chat.conversations(text) and adds the paged chat.conversations(token,
# before_updated_at, before_id, lim) and conversation_page: the roles that could list can page,
# a one-argument call still means the 1.0 function, and a dump of 1.1 (with its grants on
# chat.conversations(text)) restores onto the 1.2 files.
set -u
source "$(dirname "$0")/tap.sh"
plan 9

db="chat_upgrade_list_$$"
role="chat_upgrade_list_bridge_$$"
reader="chat_upgrade_list_reader_$$"
late="chat_upgrade_list_late_$$"
restored="chat_upgrade_list_restored_$$"
dump=$(mktemp)
cleanup() {
  sql postgres "DROP DATABASE IF EXISTS $db" "DROP DATABASE IF EXISTS $restored" "DROP ROLE IF EXISTS $role" "DROP ROLE IF EXISTS $reader" \
    "DROP ROLE IF EXISTS $late" >/dev/null 2>&1
  rm -f "$dump"
}
trap cleanup EXIT
q() { sql "$db" "$@" | tail -n 1; }

sql postgres "CREATE DATABASE $db" "CREATE DATABASE $restored" "CREATE ROLE $role LOGIN" "CREATE ROLE $reader LOGIN" \
  "CREATE ROLE $late LOGIN" >/dev/null
sql "$db" "SET client_min_messages = warning" "CREATE EXTENSION chat VERSION '1.1'" \
  "SELECT chat.grant_api('$role')" "GRANT USAGE ON SCHEMA chat TO $reader" \
  "GRANT EXECUTE ON FUNCTION chat.conversations(text) TO $reader" >/dev/null
alice=$(q "SELECT chat.register('list_alice', 'list_alice@example.com', 'alice password')->>'token'")
bob_id=$(q "SELECT chat.register('list_bob', 'list_bob@example.com', 'bob password')->'user'->>'id'")
conv=$(q "SELECT chat.create_conversation('$alice', ARRAY['$bob_id']::uuid[])->>'id'")
"$PGCHAT_PGBIN/pg_dump" -d "$db" >"$dump" 2>/dev/null

ok "ALTER EXTENSION chat UPDATE TO '1.2' succeeds" sql "$db" "ALTER EXTENSION chat UPDATE TO '1.2'"
ok "chat.conversations keeps its 1.0 signature and gains the paged one" \
  test "$(q "SELECT string_agg(oid::regprocedure::text, ',' ORDER BY pronargs) FROM pg_proc WHERE proname = 'conversations' AND pronamespace = 'chat'::regnamespace")" \
  = "chat.conversations(text),chat.conversations(text,timestamp with time zone,uuid,integer)"
ok "the bridge role still lists with one argument" \
  test "$(q "SET ROLE $role" "SELECT chat.conversations('$alice')->0->>'id'")" = "$conv"
ok "the bridge role lists by keyset pages" \
  test "$(q "SET ROLE $role" "SELECT chat.conversations('$alice', NULL, NULL, 1)->0->>'id'")" = "$conv"
ok "the bridge role lists by conversation_page" \
  test "$(q "SET ROLE $role" "SELECT chat.conversation_page('$alice', NULL, 1)->'conversations'->0->>'id'")" = "$conv"
ok "a role granted only the old list keeps it and gets the pages" \
  test "$(q "SET ROLE $reader" "SELECT chat.conversation_page('$alice')->'conversations'->0->>'id'")" = "$conv"
ok "PUBLIC cannot call the new functions" \
  test "$(q "SELECT bool_or(has_function_privilege('public', p.oid, 'EXECUTE')) FROM pg_proc p WHERE p.proname IN ('conversations', 'conversation_page') AND p.pronamespace = 'chat'::regnamespace")" = f
ok "grant_api after the update grants the pages too" \
  test "$(q "SELECT chat.grant_api('$late')" "SELECT has_function_privilege('$late', 'chat.conversation_page(text, text, integer)', 'EXECUTE')")" = t
ok "a dump of 1.1 with grants on chat.conversations(text) restores onto the 1.2 files" \
  "$PGCHAT_PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -d "$restored" -f "$dump" -o /dev/null
