#!/usr/bin/env bash
# NOTIFY contract: every durable change notifies channel "chat" once, at commit, with JSON that
# fits the 8000-byte limit; message events are doorbells (conversation and seqs, never the text)
# that the bridge answers by fetching the rows; a rollback notifies nothing.
set -u
source "$(dirname "$0")/tap.sh"
plan 16

db=$PGDATABASE
q() { sql "$db" "$@" | tail -n 1; }
suffix=$$
a=$(q "SELECT chat.register('ev_a$suffix', 'ev_a$suffix@example.com', 'a password')->>'token'")
b=$(q "SELECT chat.register('ev_b$suffix', 'ev_b$suffix@example.com', 'b password')->>'token'")
c_id=$(q "SELECT chat.register('ev_c$suffix', 'ev_c$suffix@example.com', 'c password')->'user'->>'id'")
b_id=$(q "SELECT chat.authenticate('$b')->>'id'")
conv=$(q "SELECT chat.create_conversation('$a', ARRAY['$b_id']::uuid[])->>'id'")

# psql prints each notification after the statement whose commit delivered it
out=$("$PGCHAT_PGBIN/psql" -X -q -A -t -d "$db" <<SQL
LISTEN chat;
SELECT chat.send_message('$a', '$conv', 'hello events', 'ev-1') IS NOT NULL;
SELECT chat.send_message('$a', '$conv', 'hello events', 'ev-1') IS NOT NULL;
SELECT chat.send_message('$a', '$conv', repeat('L', 10000), 'ev-2') IS NOT NULL;
SELECT chat.send_messages(jsonb_build_array(
  jsonb_build_object('token', '$a', 'conversationId', '$conv', 'content', 'batch one'),
  jsonb_build_object('token', '$a', 'conversationId', '$conv', 'content', 'batch two'))) IS NOT NULL;
SELECT chat.edit_message('$a', (SELECT id FROM chat.messages WHERE conversation_id = '$conv' AND client_id = 'ev-1'), 'edited events') IS NOT NULL;
SELECT chat.delete_message('$a', (SELECT id FROM chat.messages WHERE conversation_id = '$conv' AND client_id = 'ev-1')) IS NOT NULL;
SELECT chat.mark_read('$b', '$conv', 1) IS NOT NULL;
SELECT chat.create_conversation('$a', ARRAY['$b_id']::uuid[], true, 'Events group')->>'id' AS group_id \gset
SELECT chat.add_participants('$a', :'group_id', ARRAY['$c_id']::uuid[]) IS NOT NULL;
SELECT chat.leave_conversation('$b', :'group_id') IS NOT NULL;
BEGIN;
SELECT chat.send_message('$a', '$conv', 'rolled back', 'ev-3') IS NOT NULL;
ROLLBACK;
SELECT pg_sleep(0.1);
SQL
)
payloads=$(sed -n 's/^Asynchronous notification "chat" with payload "\(.*\)" received from server process.*/\1/p' <<<"$out")
count() { grep -c "$1" <<<"$payloads"; }

ok "every payload is valid JSON" node -e '
  const lines = require("fs").readFileSync(0, "utf8").trim().split("\n");
  for (const l of lines) JSON.parse(l);
  if (lines.length < 8) process.exit(1);' <<<"$payloads"
ok "a sent message rings a doorbell naming its conversation and seq" \
  test "$(count "^{\"type\":\"messages\",\"ranges\":\[\[\"$conv\",1,1\]\]}$")" = 1
ok "a resend with the same client id notifies nothing" test "$(count '"type":"messages"')" = 3
ok "a large message rings the same small doorbell" test "$(count "\"ranges\":\[\[\"$conv\",2,2\]\]")" = 1
ok "a batch of two rings one doorbell with their seq range" test "$(count "\"ranges\":\[\[\"$conv\",3,4\]\]")" = 1
ok "no payload carries what a user wrote" test "$(grep -cE 'hello events|LLLL|batch one|batch two|edited events' <<<"$payloads")" = 0
ok "every payload fits NOTIFY's limit" test "$(awk '{ if (length($0) > 7900) n++ } END { print n+0 }' <<<"$payloads")" = 0
ok "the bridge fetches the messages a doorbell names" \
  test "$(q "SELECT string_agg(m->>'seq', ',') || ':' || length(string_agg(m->>'content', '')) FROM jsonb_array_elements(chat.event_messages(ARRAY['$conv']::uuid[], ARRAY[2], ARRAY[4])) m")" = "2,3,4:10018"
ok "the bridge fetches one message by reference" test "$(q "SELECT length(chat.event_message('$conv', 2)->>'content')")" = 10000
ok "an edit notifies message_updated with conversation and seq only" \
  test "$(count "^{\"type\":\"message_updated\",\"conversationId\":\"$conv\",\"seq\":1}$")" = 1
ok "a delete notifies message_deleted with conversation and seq only" \
  test "$(count "^{\"type\":\"message_deleted\",\"conversationId\":\"$conv\",\"seq\":1}$")" = 1
ok "mark_read notifies a receipt" test "$(count '"type":"receipt".*"readSeq":1')" = 1
ok "a new group notifies conversation_created with its members" test "$(count '"type":"conversation_created","conversationId":"[^"]*","added":\[')" = 1
ok "adding a member notifies membership_changed with the added" test "$(count "\"type\":\"membership_changed\".*\"added\":\[\"$c_id\"\]")" = 1
ok "leaving notifies membership_changed with the removed" test "$(count "\"type\":\"membership_changed\".*\"removed\":\[\"$b_id\"\]")" = 1
ok "a rolled back send notifies nothing" test "$(count 'rolled back')" = 0
