#!/usr/bin/env bash
# The extension updates in place: a database on 1.0 with users, a conversation and messages runs
# ALTER EXTENSION chat UPDATE TO '1.1' and keeps every row, every token and every right; the new
# statistics views count what is there; the result is the same as a fresh install of 1.1. Then
# UPDATE TO '1.2' re-keys the tables by conversation_id and keeps the data: the direct chat made
# with a random id is still the pair's one chat. The result is a fresh 1.2. UPDATE TO '1.3'
# gives each membership its conversation's list_at, so the list keeps its order, and puts sessions
# behind tokens (tokens from before are refused); the result is a fresh 1.3. The current library
# still serves that 1.3 database (whole history to everyone, every last seen shown). UPDATE TO
# '1.4' keeps every membership's history (joined_seq 0) while members added afterwards see from
# their joining on, and hides last seen by the default setting; the result is a fresh 1.4. UPDATE
# TO '1.5' indexes the messages already there for search; the result is a fresh 1.5. The current
# library serves 1.5 as before (no chat state, no reactions); UPDATE TO '1.6' leaves every
# membership unmuted, unarchived and unpinned, and blocks, reactions and delete for me work; the
# result is a fresh 1.6. The current library serves 1.6 as before (no forwarded key, no
# attachments); UPDATE TO '1.7' marks every message from before as not forwarded, adds
# attachments, and the bridge role granted before can forward, ask a message's info, upload, send
# and read files; the result is a fresh 1.7, and it dumps and restores (blocks, reactions, hidden
# and forwarded messages and the files too).
set -u
source "$(dirname "$0")/tap.sh"
plan 87

db="chat_upgrade_$$"
fresh="chat_upgrade_fresh_$$"
restored="chat_upgrade_restored_$$"
restored_old="chat_upgrade_restored_old_$$"
role="chat_upgrade_bridge_$$"
monitor="chat_upgrade_monitor_$$"
dump=$(mktemp)
old_dump=$(mktemp)
cleanup() {
  sql postgres "DROP DATABASE IF EXISTS $db" "DROP DATABASE IF EXISTS $fresh" \
    "DROP DATABASE IF EXISTS $restored" "DROP DATABASE IF EXISTS $restored_old" "DROP ROLE IF EXISTS $role" "DROP ROLE IF EXISTS $monitor" >/dev/null 2>&1
  rm -f "$dump" "$old_dump"
}
trap cleanup EXIT
q() { sql "$db" "$@" | tail -n 1; }

sql postgres "CREATE DATABASE $db" "CREATE DATABASE $fresh" "CREATE DATABASE $restored" "CREATE DATABASE $restored_old" \
  "CREATE ROLE $role LOGIN" "CREATE ROLE $monitor LOGIN" >/dev/null

# ---- a 1.0 database in use ----
sql "$db" "SET client_min_messages = warning" "CREATE EXTENSION chat VERSION '1.0'" \
  "SELECT chat.grant_api('$role')" >/dev/null
alice=$(q "SELECT chat.register('up_alice', 'up_alice@example.com', 'alice password')->>'token'")
bob_id=$(q "SELECT chat.register('up_bob', 'up_bob@example.com', 'bob password')->'user'->>'id'")
conv=$(q "SELECT chat.create_conversation('$alice', ARRAY['$bob_id']::uuid[])->>'id'")
for i in 1 2 3; do q "SELECT chat.send_message('$alice', '$conv', 'before update $i', 'up-$i')->>'seq'" >/dev/null; done
q "SELECT chat.add_contact('$alice', '$bob_id')" >/dev/null
ok "the database starts on 1.0" test "$(q "SELECT extversion FROM pg_extension WHERE extname = 'chat'")" = 1.0
"$PGCHAT_PGBIN/pg_dump" -d "$db" >"$old_dump" 2>/dev/null

# ---- the update ----
ok "ALTER EXTENSION chat UPDATE TO '1.1' succeeds" sql "$db" "ALTER EXTENSION chat UPDATE TO '1.1'"
ok "the extension is now 1.1" test "$(q "SELECT extversion FROM pg_extension WHERE extname = 'chat'")" = 1.1

# ---- the data and rights are kept ----
ok "a user from before logs in" \
  test "$(q "SELECT chat.login('up_alice', 'alice password')->'user'->>'username'")" = up_alice
ok "a token from before is still valid (the secret is kept)" \
  test "$(q "SELECT chat.authenticate('$alice')->>'username'")" = up_alice
ok "the messages from before are there, in order" \
  test "$(q "SELECT string_agg(m->>'content', '|' ORDER BY (m->>'seq')::int) FROM jsonb_array_elements(chat.messages('$alice', '$conv')) m")" \
  = "before update 1|before update 2|before update 3"
ok "a resend of a message from before is still recognised" \
  test "$(q "SELECT chat.send_message('$alice', '$conv', 'before update 2', 'up-2')->>'seq'")" = 2
ok "sending goes on with the next seq" \
  test "$(q "SELECT chat.send_message('$alice', '$conv', 'after update', 'up-4')->>'seq'")" = 4
ok "the contacts from before are there" \
  test "$(q "SELECT jsonb_array_length(chat.contacts('$alice'))")" = 1
ok "the bridge role granted before the update still calls the API" \
  test "$(q "SET ROLE $role" "SELECT chat.me('$alice')->>'username'")" = up_alice
ok "the bridge role granted before the update can call the function 1.1 adds" \
  test "$(q "SET ROLE $role" "SELECT jsonb_array_length(chat.presence_visible((chat.authenticate('$alice')->>'id')::uuid))")" = 1

# ---- the new objects work ----
ok "chat.stats counts users, conversations and messages" \
  test "$(q "SELECT concat_ws(',', users, conversations, direct_conversations, groups, memberships, contacts, messages, messages_last_hour, messages_last_day, senders_last_day) FROM chat.stats")" \
  = "2,1,1,0,2,1,4,4,4,1"
ok "chat.largest_conversations lists the conversation with its messages and members" \
  test "$(q "SELECT concat_ws(',', messages, members) FROM chat.largest_conversations WHERE id = '$conv'")" = "4,2"
ok "chat.messages_per_hour has 24 hours holding the 4 messages" \
  test "$(q "SELECT count(*) || ',' || sum(messages) FROM chat.messages_per_hour")" = "24,4"
ok "chat.table_sizes lists the 7 tables" \
  test "$(q "SELECT count(*) FROM chat.table_sizes WHERE total_bytes > 0")" = 7
ok "the bridge role cannot read the statistics" \
  test "$(q "SELECT has_table_privilege('$role', 'chat.stats', 'SELECT')")" = f
ok "grant_stats lets a role read the statistics and no table" \
  test "$(q "SELECT chat.grant_stats('$monitor')" "SET ROLE $monitor" \
    "SELECT (SELECT users FROM chat.stats) || ',' || has_table_privilege('chat.users', 'SELECT')")" = "2,false"

# ---- the same as a fresh install, and it dumps ----
members() {
  # ordered by the description itself: ORDER BY 1 inside an aggregate orders by the constant 1
  sql "$1" "SELECT string_agg(d, E'\n' ORDER BY d) FROM (SELECT pg_describe_object(classid, objid, objsubid) AS d
    FROM pg_depend WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
      AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'chat')) o"
}
sql "$fresh" "SET client_min_messages = warning" "CREATE EXTENSION chat VERSION '1.1'" >/dev/null
ok "the updated extension has the same objects as a fresh 1.1" test "$(members "$db")" = "$(members "$fresh")"
ok "DROP EXTENSION and CREATE EXTENSION at 1.1 work on the fresh database" \
  sql "$fresh" "DROP EXTENSION chat" "CREATE EXTENSION chat VERSION '1.1'"

# ---- 1.1 -> 1.2: keys that distribute by conversation_id ----
# an attachment (no API writes media yet), to be re-keyed by its message's conversation
q "INSERT INTO chat.media (message_id, file_url, file_type, file_size)
  SELECT id, 'https://example.com/up.png', 'image/png', 42 FROM chat.messages WHERE client_id = 'up-1'" >/dev/null
bob=$(q "SELECT chat.issue_token('$bob_id')")
ok "ALTER EXTENSION chat UPDATE TO '1.2' succeeds" sql "$db" "ALTER EXTENSION chat UPDATE TO '1.2'"
ok "the extension is now 1.2" test "$(q "SELECT extversion FROM pg_extension WHERE extname = 'chat'")" = 1.2
ok "the messages from before 1.2 are there, in order" \
  test "$(q "SELECT string_agg(m->>'content', '|' ORDER BY (m->>'seq')::int) FROM jsonb_array_elements(chat.messages('$alice', '$conv')) m")" \
  = "before update 1|before update 2|before update 3|after update"
ok "the direct chat from before (its id random) is found again, from either side" \
  test "$(q "SELECT chat.create_conversation('$alice', ARRAY['$bob_id']::uuid[])->>'id'") $(q "SELECT chat.create_conversation('$bob', ARRAY[(chat.authenticate('$alice')->>'id')::uuid])->>'id'")" \
  = "$conv $conv"
ok "and it is still the pair's only chat" \
  test "$(q "SELECT count(*) FROM chat.conversations WHERE NOT is_group")" = 1
ok "messages are keyed by (id, conversation_id)" \
  test "$(q "SELECT pg_get_indexdef('chat.messages_pkey'::regclass)")" \
  = "CREATE UNIQUE INDEX messages_pkey ON chat.messages USING btree (id, conversation_id)"
ok "the pair of a direct chat is no longer a unique key" \
  test "$(q "SELECT count(*) FROM pg_constraint WHERE conrelid = 'chat.conversations'::regclass AND contype = 'u'")" = 0
ok "the attachment from before took its message's conversation and keeps its message" \
  test "$(q "SELECT f.conversation_id || '|' || m.client_id FROM chat.media f JOIN chat.messages m ON m.id = f.message_id")" = "$conv|up-1"
ok "a reply to a message from before is stored" \
  test "$(q "SELECT chat.send_message('$bob', '$conv', 'a reply', 'up-5', (SELECT id FROM chat.messages WHERE client_id = 'up-1'))->>'replyTo'")" \
  = "$(q "SELECT id FROM chat.messages WHERE client_id = 'up-1'")"
carol_id=$(q "SELECT chat.register('up_carol', 'up_carol@example.com', 'carol password')->'user'->>'id'")
ok "a direct chat made after the update has an id derived from its pair (version 5)" \
  test "$(q "SELECT substr(chat.create_conversation('$alice', ARRAY['$carol_id']::uuid[])->>'id', 15, 1)")" = 5
sql "$fresh" "SET client_min_messages = warning" "DROP EXTENSION chat" "CREATE EXTENSION chat VERSION '1.2'" >/dev/null
ok "the updated extension has the same objects as a fresh 1.2" test "$(members "$db")" = "$(members "$fresh")"

# ---- 1.2 -> 1.3: the list read in order from each membership's list_at; sessions behind tokens ----
group=$(q "SELECT chat.create_conversation('$alice', ARRAY['$bob_id', '$carol_id']::uuid[], true, 'Up')->>'id'")
q "SELECT chat.send_message('$bob', '$group', 'in the group')" >/dev/null
list() { q "SELECT string_agg(c->>'id' || ':' || (c->>'unreadCount'), ',' ORDER BY i) FROM jsonb_array_elements(chat.conversations('$1')) WITH ORDINALITY e(c, i)"; }
alice_list=$(list "$alice")
bob_list=$(list "$bob")
ok "ALTER EXTENSION chat UPDATE TO '1.3' succeeds" sql "$db" "ALTER EXTENSION chat UPDATE TO '1.3'"
ok "the extension is now 1.3" test "$(q "SELECT extversion FROM pg_extension WHERE extname = 'chat'")" = 1.3
ok "every membership holds its conversation's list_at (updated_at, the minute of it for a group)" \
  test "$(q "SELECT count(*) FROM chat.conversation_participants p JOIN chat.conversations c ON c.id = p.conversation_id WHERE p.list_at <> CASE WHEN c.is_group THEN date_bin('1 minute', c.updated_at, timestamptz '1970-01-01 00:00:00+00') ELSE c.updated_at END")" = 0
ok "a token from before 1.3 names no session and is refused (users log in again)" \
  test "$(q "SELECT chat.authenticate('$alice') IS NULL" 2>&1 | grep -c 'invalid or expired token')" = 1
alice=$(q "SELECT chat.login('up_alice', 'alice password')->>'token'")
bob=$(q "SELECT chat.login('up_bob', 'bob password')->>'token'")
ok "a login after the update opens a session whose token works" \
  test "$(q "SELECT chat.authenticate('$alice')->>'username'")" = up_alice
ok "the lists keep their order and unread counts" test "$(list "$alice") $(list "$bob")" = "$alice_list $bob_list"
ok "a send after the update puts the chat on top of the receiver's list" \
  test "$(q "SELECT chat.send_message('$bob', '$conv', 'after 1.3')" >/dev/null; q "SELECT chat.conversations('$alice')->0->>'id'")" = "$conv"
ok "the bridge role lists the whole list as json text" \
  test "$(q "SET ROLE $role" "SELECT json_array_length(chat.conversations_json('$alice'))")" = 3
ok "the bridge role granted before the update can call the session functions 1.3 adds" \
  test "$(sql "$db" "SET ROLE $role" "SELECT chat.session('$alice')->'user'->>'username'" | tail -n 1)" = up_alice
ok "logout ends that session" \
  test "$(q "SELECT chat.logout('$alice')->>'loggedOut'")" = true
alice=$(q "SELECT chat.login('up_alice', 'alice password')->>'token'")
sql "$fresh" "SET client_min_messages = warning" "DROP EXTENSION chat" "CREATE EXTENSION chat VERSION '1.3'" >/dev/null
ok "the updated extension has the same objects as a fresh 1.3" test "$(members "$db")" = "$(members "$fresh")"

# ---- the current library on a database still on 1.3 ----
dave_id=$(q "SELECT chat.register('up_dave', 'up_dave@example.com', 'dave password')->'user'->>'id'")
dave=$(q "SELECT chat.login('up_dave', 'dave password')->>'token'")
q "SELECT chat.set_last_seen('$bob_id', now())" >/dev/null
ok "on 1.3 a member added to a group sees its whole history (as 1.3 promised)" \
  test "$(q "SELECT chat.add_participants('$alice', '$group', ARRAY['$dave_id']::uuid[])" >/dev/null; q "SELECT jsonb_array_length(chat.messages('$dave', '$group'))")" = 1
ok "on 1.3 the list and the conversation show the last message to them" \
  test "$(q "SELECT (chat.conversation_page('$dave', NULL, 50)::jsonb->'conversations'->0->'lastMessage'->>'content') || '|' || (chat.conversation('$dave', '$group')->'lastMessage'->>'content')")" = "in the group|in the group"
ok "on 1.3 every last seen is shown, as before" \
  test "$(q "SELECT chat.contacts('$alice')->0->>'lastSeenAt' IS NOT NULL")" = t
ok "on 1.3 a reply, an edit and a delete work" \
  test "$(q "SELECT chat.send_message('$dave', '$group', 'dave replies', 'up-dave-1', (SELECT id FROM chat.messages WHERE conversation_id = '$group' AND seq = 1))->>'seq'")" = 2
ok "on 1.3 registration answers a taken email as not available" \
  test "$(q "SELECT chat.register('up_someone', 'UP_DAVE@example.com', 'some password')" 2>&1 | grep -c 'username or email is not available')" = 1

# ---- 1.3 -> 1.4: history from one's joining on; a last-seen setting ----
ok "ALTER EXTENSION chat UPDATE TO '1.4' succeeds" sql "$db" "ALTER EXTENSION chat UPDATE TO '1.4'"
ok "the extension is now 1.4" test "$(q "SELECT extversion FROM pg_extension WHERE extname = 'chat'")" = 1.4
ok "every membership from before keeps its history (joined_seq 0)" \
  test "$(q "SELECT count(*) FILTER (WHERE joined_seq <> 0) || ',' || jsonb_array_length(chat.messages('$dave', '$group')) FROM chat.conversation_participants")" = "0,2"
erin_id=$(q "SELECT chat.register('up_erin', 'up_erin@example.com', 'erin password')->'user'->>'id'")
erin=$(q "SELECT chat.login('up_erin', 'erin password')->>'token'")
ok "a member added after the update sees from their joining on" \
  test "$(q "SELECT chat.add_participants('$alice', '$group', ARRAY['$erin_id']::uuid[])" >/dev/null; q "SELECT jsonb_array_length(chat.messages('$erin', '$group')) || ',' || (chat.conversation('$erin', '$group')->>'unreadCount')")" = "0,0"
ok "and receives what comes next" \
  test "$(q "SELECT chat.send_message('$bob', '$group', 'after 1.4')" >/dev/null; q "SELECT string_agg(m->>'content', '|') FROM jsonb_array_elements(chat.messages('$erin', '$group')) m")" = "after 1.4"
ok "every account from before shows its last seen to its contacts only (the default)" \
  test "$(q "SELECT string_agg(DISTINCT last_seen_privacy::text, ',') || ',' || (chat.contacts('$alice')->0->'lastSeenAt')::text FROM chat.users")" = "contacts,null"
ok "me shows the setting" test "$(q "SELECT chat.me('$bob')->'privacy'->>'lastSeen'")" = contacts
ok "the bridge role granted before the update can call the functions 1.4 adds" \
  test "$(sql "$db" "SET ROLE $role" "SELECT chat.set_privacy('$bob', '{\"lastSeen\": \"everyone\"}')->'privacy'->>'lastSeen'" \
    "SELECT jsonb_array_length(chat.members_joined('$group')) || ',' || jsonb_array_length(chat.presence_audiences('$bob_id')->'lastSeen')" | paste -sd, -)" = "everyone,5,4"
ok "with everyone, last seen shows again" \
  test "$(q "SELECT chat.contacts('$alice')->0->>'lastSeenAt' IS NOT NULL")" = t
sql "$fresh" "SET client_min_messages = warning" "DROP EXTENSION chat" "CREATE EXTENSION chat VERSION '1.4'" >/dev/null
ok "the updated extension has the same objects as a fresh 1.4" test "$(members "$db")" = "$(members "$fresh")"

# ---- 1.4 -> 1.5: full-text search ----
ok "ALTER EXTENSION chat UPDATE TO '1.5' succeeds" sql "$db" "ALTER EXTENSION chat UPDATE TO '1.5'"
ok "the extension is now 1.5" test "$(q "SELECT extversion FROM pg_extension WHERE extname = 'chat'")" = 1.5
ok "messages from before the update are found (the index is built from them)" \
  test "$(q "SELECT string_agg(r->'message'->>'content', '|') FROM json_array_elements(chat.search_messages('$alice', 'update 3')->'results') r")" = "before update 3"
ok "the bridge role granted before the update can search" \
  test "$(sql "$db" "SET ROLE $role" "SELECT json_array_length(chat.search_messages('$alice', 'before')->'results')" | tail -n 1)" = 3
sql "$fresh" "SET client_min_messages = warning" "DROP EXTENSION chat" "CREATE EXTENSION chat VERSION '1.5'" >/dev/null
ok "the updated extension has the same objects as a fresh 1.5" test "$(members "$db")" = "$(members "$fresh")"

# ---- the current library on a database still on 1.5 ----
ok "on 1.5 the list answers every chat, none pinned, muted or archived" \
  test "$(q "SELECT json_array_length(chat.conversation_page('$alice')->'conversations') || ',' || (chat.conversation_page('$alice')->'conversations'->0->>'archived')")" = "3,false"
ok "on 1.5 a conversation is answered as 1.5 did" \
  test "$(q "SELECT chat.conversation('$alice', '$conv') ? 'pinned'")" = f
ok "on 1.5 sends and pages work as before" \
  test "$(q "SELECT chat.send_message('$bob', '$conv', 'on 1.5')" >/dev/null; q "SELECT (chat.messages('$alice', '$conv')->-1->>'content') || ',' || (chat.messages('$alice', '$conv')->-1 ? 'reactions')::text")" = "on 1.5,false"

# ---- 1.5 -> 1.6: blocks, chat state, reactions, delete for me ----
ok "ALTER EXTENSION chat UPDATE TO '1.6' succeeds" sql "$db" "ALTER EXTENSION chat UPDATE TO '1.6'"
ok "the extension is now 1.6" test "$(q "SELECT extversion FROM pg_extension WHERE extname = 'chat'")" = 1.6
ok "every membership from before is unmuted, unarchived and unpinned" \
  test "$(q "SELECT count(*) FILTER (WHERE muted_until IS NOT NULL OR archived_seq IS NOT NULL OR pinned_at IS NOT NULL) FROM chat.conversation_participants")" = 0
first=$(q "SELECT id FROM chat.messages WHERE conversation_id = '$conv' AND seq = 1")
ok "the bridge role granted before the update can call the functions 1.6 adds" \
  test "$(sql "$db" "SET ROLE $role" "SELECT chat.set_conversation_state('$alice', '$group', '{\"pinned\": true}')->>'pinned'" \
    "SELECT chat.react('$bob', '$first', '👍')->'reactions'->0->>'count'" \
    "SELECT chat.hide_message('$alice', '$first')->>'hidden'" \
    "SELECT chat.block_user('$alice', '$bob_id')->>'username'" "SELECT jsonb_array_length(chat.blocked_users('$alice'))" \
    "SELECT json_array_length(chat.archived_conversations('$alice'))" | paste -sd, -)" = "true,1,true,up_bob,1,0"
ok "a message from the blocked is refused and not stored" \
  test "$(q "SELECT chat.send_message('$bob', '$conv', 'blocked')" 2>&1 | grep -c "you can't message this user"),$(q "SELECT count(*) FROM chat.messages WHERE content = 'blocked'")" = "1,0"
ok "the pinned group heads the list" \
  test "$(q "SELECT chat.conversation_page('$alice')->'conversations'->0->>'id'")" = "$group"
sql "$fresh" "SET client_min_messages = warning" "DROP EXTENSION chat" "CREATE EXTENSION chat VERSION '1.6'" >/dev/null
ok "the updated extension has the same objects as a fresh 1.6" test "$(members "$db")" = "$(members "$fresh")"

# ---- the current library on a database still on 1.6 ----
ok "on 1.6 a message is answered as 1.6 did (no forwarded key)" \
  test "$(q "SELECT (chat.send_message('$bob', '$group', 'on 1.6') ? 'forwarded')::text || ',' || (chat.messages('$alice', '$group')->-1 ? 'forwarded')::text")" = "false,false"
ok "on 1.6 an edit and the bridge's fetches answer as 1.6 did" \
  test "$(q "SELECT (chat.edit_message('$bob', (SELECT id FROM chat.messages WHERE content = 'on 1.6'), 'on 1.6') ? 'forwarded')::text || ',' || (chat.event_messages(ARRAY['$group']::uuid[], ARRAY[1::bigint], ARRAY[1::bigint])->0 ? 'forwarded')::text")" = "false,false"

ok "on 1.6 sends and pages answer no attachments key" \
  test "$(q "SELECT chat.send_message('$alice', '$group', 'plain on 1.6')" >/dev/null; q "SELECT (chat.messages('$alice', '$group')->-1->>'content') || ',' || (chat.messages('$alice', '$group')->-1 ? 'attachments')::text")" = "plain on 1.6,false"
ok "on 1.6 a message naming attachments is refused and not stored" \
  test "$(q "SELECT chat.send_messages(jsonb_build_array(jsonb_build_object('token', '$alice', 'conversationId', '$group', 'content', 'with a file', 'attachments', jsonb_build_array(gen_random_uuid()))))->0->'error'->>'sqlstate'"),$(q "SELECT count(*) FROM chat.messages WHERE content = 'with a file'")" = "22023,0"

# ---- 1.6 -> 1.7: forward, message info, attachments ----
ok "ALTER EXTENSION chat UPDATE TO '1.7' succeeds" sql "$db" "ALTER EXTENSION chat UPDATE TO '1.7'"
ok "the extension is now 1.7" test "$(q "SELECT extversion FROM pg_extension WHERE extname = 'chat'")" = 1.7
ok "every message from before is not forwarded, and says so" \
  test "$(q "SELECT count(*) FILTER (WHERE is_forwarded) FROM chat.messages")$(q "SELECT chat.messages('$alice', '$group')->-1->>'forwarded'")" = "0false"
on16=$(q "SELECT id FROM chat.messages WHERE content = 'on 1.6'")
ok "the bridge role granted before the update can forward and ask a message's info" \
  test "$(sql "$db" "SET ROLE $role" "SELECT chat.forward_message('$alice', '$on16', ARRAY['$group']::uuid[])->'results'->0->'message'->>'forwarded'" \
    "SELECT jsonb_array_length(chat.message_info('$bob', '$on16')->'readBy')" | paste -sd, -)" = "true,1"
file=$(q "SELECT chat.begin_attachment('$alice', 'note.txt', 5)->>'id'")
ok "the bridge role granted before the update uploads, sends and reads a file" \
  test "$(sql "$db" "SET ROLE $role" "SELECT chat.append_attachment('$alice', '$file', 0, 'hello'::bytea)" \
    "SELECT chat.finish_attachment('$alice', '$file')->>'type'" \
    "SELECT chat.send_message('$alice', '$group', 'a file', NULL, NULL, ARRAY['$file']::uuid[])->'attachments'->0->>'name'" \
    "SELECT convert_from(chat.read_attachment('$alice', '$file', 0, 5), 'UTF8')" | paste -sd, -)" = "5,text/plain,note.txt,hello"
sql "$fresh" "SET client_min_messages = warning" "DROP EXTENSION chat" "CREATE EXTENSION chat" >/dev/null
ok "the updated extension has the same objects as a fresh 1.7" test "$(members "$db")" = "$(members "$fresh")"

"$PGCHAT_PGBIN/pg_dump" -d "$db" >"$dump" 2>/dev/null
ok "the updated database restores into a new one" \
  "$PGCHAT_PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -d "$restored" -f "$dump" -o /dev/null
ok "the restored database keeps the file and its bytes" \
  test "$(sql "$restored" "SELECT convert_from(string_agg(data, ''::bytea ORDER BY n), 'UTF8') FROM chat.attachment_chunks")" = hello
ok "the restored database keeps the block, the reaction, the hidden message and the forward" \
  test "$(sql "$restored" "SELECT (SELECT count(*) FROM chat.blocks) || ',' || (SELECT count(*) FROM chat.reactions) || ',' || (SELECT count(*) FROM chat.hidden_messages) || ',' || (SELECT count(*) FROM chat.messages WHERE is_forwarded)")" = "1,1,1,1"
ok "the restored database counts the same users, messages and media" \
  test "$(sql "$restored" "SELECT users || ',' || messages || ',' || media_files || ',' || (SELECT max(joined_seq) FROM chat.conversation_participants) FROM chat.stats")" = "5,14,1,2"
ok "a dump taken on 1.0 restores onto the current files" \
  "$PGCHAT_PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -d "$restored_old" -f "$old_dump" -o /dev/null
ok "and comes back at the files' default version with its data" \
  test "$(sql "$restored_old" "SELECT (SELECT extversion FROM pg_extension WHERE extname = 'chat') || ',' || users || ',' || messages FROM chat.stats")" \
    = "$(sql postgres "SELECT default_version FROM pg_available_extensions WHERE name = 'chat'"),2,3"
