#!/usr/bin/env bash
# Conversation list benchmark (not a test), on a private instance ("bench-list" unless
# PGCHAT_INSTANCE says otherwise; set PGCHAT_PG_PORT and friends to run beside another one).
# One user with 2,000 direct chats, each ending in a message from the other side (so every chat
# has an unread count and a last message). Each case runs through pgbench (prepared, one client)
# for a few seconds, and the median and 90th percentile of its latency are printed beside two
# baselines from the same run: a trivial indexed SELECT, and the list query of 1.0 (the unpaged
# call as it was: a jsonb object per row through jsonb_agg).
#   test/bench/conversation_list.sh [seconds per case, default 5]
set -euo pipefail
export PGCHAT_INSTANCE=${PGCHAT_INSTANCE:-bench-list}
export PGCHAT_PG_PORT=${PGCHAT_PG_PORT:-27540} PGCHAT_REDIS_PORT=${PGCHAT_REDIS_PORT:-27541}
export PGCHAT_PORT=${PGCHAT_PORT:-27542}
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/env.sh"
cd "$PGCHAT_ROOT"
seconds=${1:-5}
chats=2000
page=50

scripts/services.sh reset >/dev/null
work=$(mktemp -d)
cleanup() {
  scripts/services.sh stop >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
scripts/services.sh start >/dev/null
eval "$(scripts/services.sh env)"
q() { psql -X -q -A -t -v ON_ERROR_STOP=1 -c "$1"; }

# users straight into the table with one real hash: registering thousands through argon2id
# would measure hashing, not the list
q "SELECT chat.register('hub', 'hub@example.com', 'bench password')" >/dev/null
q "INSERT INTO chat.users (username, email, password_hash, display_name)
   SELECT 'peer_' || n, 'peer_' || n || '@example.com', (SELECT password_hash FROM chat.users WHERE username = 'hub'), 'Peer ' || n
   FROM generate_series(1, $chats) n"
hub=$(q "SELECT chat.login('hub', 'bench password')->>'token'")
hub_id=$(q "SELECT id FROM chat.users WHERE username = 'hub'")
# send_message stamps clock_timestamp(), so the chats' updatedAt are all different
q "WITH c AS (
     SELECT u.id AS peer, (chat.create_conversation('$hub', ARRAY[u.id])->>'id')::uuid AS id
     FROM chat.users u WHERE u.username LIKE 'peer\_%' ORDER BY u.username)
   SELECT count(chat.send_message(chat.issue_token(c.peer), c.id, 'hello from a peer')) FROM c" >/dev/null
q "ANALYZE" >/dev/null # as autovacuum would have by now
listed=$(q "SELECT jsonb_array_length(chat.conversations('$hub'))")

# The list query of 1.0 (extension/json.h's CONVERSATION_JSON under jsonb_agg), kept here as it
# was, so the old cost is measured on the same machine in the same run.
cat >"$work/old.sql" <<SQL
SELECT coalesce(jsonb_agg(jsonb_build_object('id', c.id, 'name', c.name, 'isGroup', c.is_group,
  'createdBy', c.created_by, 'createdAt', c.created_at, 'updatedAt', c.updated_at,
  'lastSeq', c.last_seq, 'myRole', me.role,
  'unreadCount', greatest(c.last_seq - me.last_read_seq, 0),
  'participants', (SELECT jsonb_agg(jsonb_build_object('id', u.id, 'username', u.username,
      'displayName', u.display_name, 'profilePhoto', u.profile_photo, 'lastSeenAt', u.last_seen_at,
      'role', p.role, 'lastReadSeq', p.last_read_seq, 'lastDeliveredSeq', p.last_delivered_seq)
      ORDER BY p.joined_at, u.username)
    FROM chat.conversation_participants p JOIN chat.users u ON u.id = p.user_id
    WHERE p.conversation_id = c.id),
  'lastMessage', (SELECT jsonb_build_object('id', m.id, 'seq', m.seq, 'conversationId', m.conversation_id,
      'sender_id', m.sender_id, 'content', m.content, 'clientId', m.client_id, 'replyTo', m.reply_to_id,
      'isEdited', m.is_edited, 'isDeleted', m.is_deleted, 'created_at', m.created_at, 'updatedAt', m.updated_at)
    FROM chat.messages m WHERE m.conversation_id = c.id AND m.seq = c.last_seq))
  ORDER BY c.updated_at DESC, c.id), '[]')
FROM chat.conversation_participants me JOIN chat.conversations c ON c.id = me.conversation_id
WHERE me.user_id = '$hub_id';
SQL
echo "SELECT id, username FROM chat.users WHERE id = '$hub_id';" >"$work/trivial.sql"
echo "SELECT chat.conversations('$hub');" >"$work/unpaged.sql"
echo "SELECT chat.conversations_json('$hub');" >"$work/unpaged_json.sql"
echo "SELECT chat.conversation_page('$hub', NULL, $page);" >"$work/first_page.sql"
echo "SELECT chat.conversations('$hub', NULL, NULL, $page);" >"$work/first_page_jsonb.sql"
# every page in turn, each cursor taken from the page before (walked once here, so the timed
# script only calls, as a client passing nextCursor back would)
psql -X -q -A -t -v ON_ERROR_STOP=1 >"$work/all_pages.sql" <<SQL
WITH RECURSIVE walk (n, cursor) AS (
  SELECT 1, NULL::text
  UNION ALL
  SELECT n + 1, chat.conversation_page('$hub', cursor, $page)->>'nextCursor' FROM walk
  WHERE n = 1 OR cursor IS NOT NULL)
SELECT format('SELECT chat.conversation_page(%L, %L, $page);', '$hub', cursor) FROM walk
WHERE n = 1 OR cursor IS NOT NULL ORDER BY n;
SQL
pages=$(grep -c conversation_page "$work/all_pages.sql")

# median and 90th percentile latency (ms) of a script, from pgbench's per-transaction log
measure() {
  rm -f "$work"/log.*
  pgbench -n -M prepared -c 1 -T "$seconds" -l --log-prefix="$work/log" -f "$work/$1.sql" >/dev/null 2>&1
  awk '{ print $3 / 1000 }' "$work"/log.* | sort -n |
    awk '{ v[NR] = $1 } END { printf "%.3f %.3f %d", v[int((NR + 1) / 2)], v[int(NR * 0.9 + 0.5)], NR }'
}
row() { # label, case, target ms (or -)
  local m p n
  read -r m p n <<<"$(measure "$2")"
  local verdict=""
  if [ "${n:-0}" -eq 0 ]; then
    verdict="FAILED: no call completed"
  elif [ "$3" != - ]; then
    verdict=$(awk -v m="$m" -v t="$3" 'BEGIN { print (m <= t ? "meets" : "misses") " <= " t " ms" }')
  fi
  printf '%-58s %9.3f %9.3f %7d  %s\n' "$1" "$m" "$p" "$n" "$verdict"
  eval "median_$2=$m"
}

printf 'conversation list benchmark: a user with %s chats, pages of %s, %s s per case, load %s\n' \
  "$listed" "$page" "$seconds" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-58s %9s %9s %7s\n' '' 'median ms' 'p90 ms' 'calls'
row 'baseline: SELECT of one user by primary key' trivial -
row 'baseline: the 1.0 list query (jsonb_agg, unpaged)' old -
row 'chat.conversations(token): unpaged, jsonb' unpaged 10
row 'chat.conversations_json(token): unpaged, json (REST)' unpaged_json 10
row "chat.conversation_page: first page of $page, json" first_page 2
row "chat.conversations(token, NULL, NULL, $page): first page, jsonb" first_page_jsonb 2
row "chat.conversation_page: all $pages pages in turn" all_pages 10
# From 1.6: the same list with 3 chats pinned, 100 archived and 100 muted (the pinned head is read
# apart, archived ones are filtered out of the page and of its edge)
if [ "$(q "SELECT count(*) FROM pg_class WHERE relname = 'blocks' AND relnamespace = 'chat'::regnamespace")" = 1 ]; then
  q "SELECT count(chat.set_conversation_state('$hub', c.conversation_id, x.changes::jsonb))
     FROM (SELECT conversation_id, row_number() OVER (ORDER BY list_at) AS n FROM chat.conversation_participants
           WHERE user_id = '$hub_id') c,
     LATERAL (SELECT CASE WHEN c.n <= 3 THEN '{\"pinned\": true}' WHEN c.n <= 103 THEN '{\"archived\": true}'
                          WHEN c.n <= 203 THEN '{\"mute\": \"always\"}' END) x(changes)
     WHERE x.changes IS NOT NULL" >/dev/null
  q "ANALYZE chat.conversation_participants" >/dev/null
  row "first page, with 3 pinned, 100 archived, 100 muted" first_page 2
  row "unpaged json, with 3 pinned, 100 archived, 100 muted" unpaged_json 10
fi
printf '%-58s %9.1f x\n' 'unpaged: 1.0 query / now, jsonb' "$(awk -v a="$median_old" -v b="$median_unpaged" 'BEGIN { print a / b }')"
printf '%-58s %9.1f x\n' 'unpaged: 1.0 query / now, json' "$(awk -v a="$median_old" -v b="$median_unpaged_json" 'BEGIN { print a / b }')"
