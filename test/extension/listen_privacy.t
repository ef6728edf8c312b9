#!/usr/bin/env bash
# What a LISTEN on "chat" tells a role that is not the product's: a plain login role that may
# connect hears the doorbells of a send, a batch, an edit and a delete, but never the text, and
# cannot fetch the messages a doorbell names. A role with no CONNECT granted (the deployment
# revokes it from PUBLIC) can't connect at all; grant_api and grant_stats give CONNECT back.
set -u
source "$(dirname "$0")/tap.sh"
plan 11

db=$PGDATABASE
q() { sql "$db" "$@" | tail -n 1; }
suffix=$$
role=eavesdropper_$suffix
stranger=stranger_$suffix
api_role=api_$suffix
stats_role=stats_$suffix
work=$(mktemp -d)
cleanup() {
  [ -n "${listener:-}" ] && kill "$listener" 2>/dev/null
  sql "$db" "REVOKE CONNECT ON DATABASE \"$db\" FROM $role" "DROP ROLE IF EXISTS $role" >/dev/null 2>&1
  sql "$db" "REVOKE ALL ON DATABASE \"$db\" FROM $stranger" "DROP ROLE IF EXISTS $stranger" >/dev/null 2>&1
  sql "$db" "DROP OWNED BY $api_role" "DROP ROLE IF EXISTS $api_role" "DROP OWNED BY $stats_role" "DROP ROLE IF EXISTS $stats_role" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
sql "$db" "CREATE ROLE $role LOGIN" "GRANT CONNECT ON DATABASE \"$db\" TO $role" >/dev/null

a=$(q "SELECT chat.register('lp_a$suffix', 'lp_a$suffix@example.com', 'a password')->>'token'")
b=$(q "SELECT chat.register('lp_b$suffix', 'lp_b$suffix@example.com', 'b password')->>'token'")
b_id=$(q "SELECT chat.authenticate('$b')->>'id'")
conv=$(q "SELECT chat.create_conversation('$a', ARRAY['$b_id']::uuid[])->>'id'")

# The listener prints what it heard when its sleep ends.
"$PGCHAT_PGBIN/psql" -X -q -A -t -U "$role" -d "$db" >"$work/heard" 2>&1 <<SQL &
LISTEN chat;
SELECT pg_sleep(3);
SELECT 'done';
SQL
listener=$!
for _ in $(seq 50); do
  [ "$(q "SELECT count(*) FROM pg_stat_activity WHERE usename = '$role' AND query LIKE '%pg_sleep%'")" = 1 ] && break
  sleep 0.1
done

secret="secret-$suffix"
sql "$db" \
  "SELECT chat.send_message('$a', '$conv', 'one $secret', 'lp-1')" \
  "SELECT chat.send_messages(jsonb_build_array(jsonb_build_object('token', '$b', 'conversationId', '$conv', 'content', 'two $secret')))" \
  "SELECT chat.edit_message('$a', (SELECT id FROM chat.messages WHERE conversation_id = '$conv' AND client_id = 'lp-1'), 'edited $secret')" \
  "SELECT chat.send_message('$a', '$conv', 'three $secret', 'lp-3')" \
  "SELECT chat.delete_message('$a', (SELECT id FROM chat.messages WHERE conversation_id = '$conv' AND client_id = 'lp-3'))" >/dev/null
wait "$listener"
listener=""
heard=$(sed -n 's/^Asynchronous notification "chat" with payload "\(.*\)" received from server process.*/\1/p' "$work/heard")

ok "the listener heard the doorbells of two sends, a batch, an edit and a delete" \
  test "$(grep -cE "\"type\":\"(messages|message_updated|message_deleted)\".*$conv" <<<"$heard")" = 5
ok "no notification carries the text" test "$(grep -c "$secret" "$work/heard")" = 0
ok "no notification carries a content key" test "$(grep -c '"content"' <<<"$heard")" = 0
# as the role: succeeds only when psql reports permission denied
denied() { "$PGCHAT_PGBIN/psql" -X -q -A -t -U "$role" -d "$db" -c "$1" 2>&1 | grep -q 'permission denied'; }
ok "the listener cannot fetch the messages a doorbell names" \
  denied "SELECT chat.event_messages(ARRAY['$conv']::uuid[], ARRAY[1], ARRAY[3])"
ok "nor one message by reference" denied "SELECT chat.event_message('$conv', 1)"
ok "nor read the table" denied "SELECT content FROM chat.messages LIMIT 1"
ok "nor call send_messages" denied "SELECT chat.send_messages('[]')"

# ---- who may connect at all ----
sql "$db" "CREATE ROLE $stranger LOGIN" "CREATE ROLE $api_role LOGIN" "CREATE ROLE $stats_role LOGIN" \
  "SELECT chat.grant_api('$api_role')" "SELECT chat.grant_stats('$stats_role')" >/dev/null
connects() { "$PGCHAT_PGBIN/psql" -X -q -A -t -U "$1" -d "$db" -c "SELECT 'in'" 2>&1; }
ok "the database does not let PUBLIC connect" \
  test "$(q "SELECT has_database_privilege('public', current_database(), 'CONNECT')")" = f
ok "a role without the API cannot connect (so cannot LISTEN or NOTIFY)" \
  grep -q 'permission denied for database' <<<"$(connects "$stranger")"
ok "a role given the API connects" test "$(connects "$api_role")" = in
ok "a role given the statistics connects" test "$(connects "$stats_role")" = in
