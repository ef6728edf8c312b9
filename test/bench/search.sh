#!/usr/bin/env bash
# Search benchmark (not a test), on a private instance ("bench-search" unless PGCHAT_INSTANCE says
# otherwise). 1,000,000 messages: a user in 200 direct chats of 2,000 messages each, and 600,000
# more in 200 chats the user is not in. Each message is eight words drawn from 20,000 (each word
# in about 1 of 2,500 messages), and one in ten holds "hello". chat.search_messages runs through
# pgbench (prepared, one client, a random word each call) and its median, p90 and p99 latency are
# printed beside a trivial indexed SELECT of the same run. Then the cost of the index to the send
# path: send_messages of one message, 4 clients, with and without the search column and its index.
#   test/bench/search.sh [seconds per case, default 10]
set -euo pipefail
export PGCHAT_INSTANCE=${PGCHAT_INSTANCE:-bench-search}
export PGCHAT_PG_PORT=${PGCHAT_PG_PORT:-27550} PGCHAT_REDIS_PORT=${PGCHAT_REDIS_PORT:-27551}
export PGCHAT_PORT=${PGCHAT_PORT:-27552}
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/env.sh"
cd "$PGCHAT_ROOT"
seconds=${1:-10}

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

started=$(date +%s)
q "SELECT chat.register('hub', 'hub@example.com', 'bench password')" >/dev/null
q "INSERT INTO chat.users (username, email, password_hash, display_name)
   SELECT 'peer_' || n, 'peer_' || n || '@example.com', (SELECT password_hash FROM chat.users WHERE username = 'hub'), 'Peer ' || n
   FROM generate_series(1, 600) n"
hub=$(q "SELECT chat.login('hub', 'bench password')->>'token'")
# tokens first: a session opened by issue_token is seen by the statements after it
q "CREATE TABLE public.bench_peers AS SELECT n, u.id, chat.issue_token(u.id) AS token
   FROM generate_series(1, 600) n JOIN chat.users u ON u.username = 'peer_' || n"
# the hub's 200 chats, then 200 between peers 201..600 in pairs
q "CREATE TABLE public.bench_chats AS
   SELECT p.n, (chat.create_conversation('$hub', ARRAY[p.id])->>'id')::uuid AS id
   FROM public.bench_peers p WHERE p.n <= 200
   UNION ALL
   SELECT 200 + a.n / 2, (chat.create_conversation(a.token, ARRAY[b.id])->>'id')::uuid
   FROM public.bench_peers a JOIN public.bench_peers b ON b.n = a.n + 1
   WHERE a.n > 200 AND a.n % 2 = 1" >/dev/null
# the rows straight in (each computing its search_vector), the search index made once after them,
# as the update to 1.5 does
indexdef=$(q "SELECT indexdef FROM pg_indexes WHERE indexname = 'messages_search_idx'")
q "DROP INDEX chat.messages_search_idx"
q "INSERT INTO chat.messages (conversation_id, sender_id, seq, content, created_at, updated_at)
   SELECT c.id, (SELECT user_id FROM chat.conversation_participants p WHERE p.conversation_id = c.id LIMIT 1), s,
     (SELECT string_agg('w' || lpad(((random() * 19999)::int)::text, 5, '0'), ' ') FROM generate_series(1, 8) WHERE s > 0)
       || CASE WHEN random() < 0.1 THEN ' hello' ELSE '' END,
     now() - (2500 - s) * interval '1 minute', now() - (2500 - s) * interval '1 minute'
   FROM public.bench_chats c, generate_series(1, CASE WHEN c.n <= 200 THEN 2000 ELSE 3000 END) s"
q "UPDATE chat.conversations c SET last_seq = (SELECT max(seq) FROM chat.messages m WHERE m.conversation_id = c.id)"
psql -X -q -v ON_ERROR_STOP=1 -c "SET maintenance_work_mem = '512MB'" -c "$indexdef"
q "VACUUM ANALYZE"
messages=$(q "SELECT count(*) FROM chat.messages")
seeded=$(( $(date +%s) - started ))

hub_id=$(q "SELECT id FROM chat.users WHERE username = 'hub'")
one_chat=$(q "SELECT id FROM public.bench_chats WHERE n = 1")
echo "SELECT id, username FROM chat.users WHERE id = '$hub_id';" >"$work/trivial.sql"
# words are "w" and five digits, so a whole word is the start of no other
printf '%s\n' '\set w random(0, 19999)' \
  "SELECT chat.search_messages('$hub', 'w' || lpad(:w::text, 5, '0'));" >"$work/rare.sql"
printf '%s\n' '\set w random(0, 19999)' '\set v random(0, 19999)' \
  "SELECT chat.search_messages('$hub', 'w' || lpad(:w::text, 5, '0') || ' w' || lpad(:v::text, 5, '0'));" >"$work/two_words.sql"
echo "SELECT chat.search_messages('$hub', 'hello');" >"$work/common.sql"
printf '%s\n' '\set w random(0, 19999)' \
  "SELECT chat.search_messages('$hub', 'w' || lpad(:w::text, 5, '0'), '$one_chat');" >"$work/one_chat.sql"
# a word's start shared by ten words: "w0123" is the start of w01230 to w01239
printf '%s\n' '\set w random(0, 1999)' \
  "SELECT chat.search_messages('$hub', 'w' || lpad(:w::text, 4, '0'));" >"$work/prefix.sql"

# median, p90, p99 (ms) and calls of a script, from pgbench's per-transaction log
measure() {
  rm -f "$work"/log.*
  pgbench -n -M prepared -c 1 -T "$seconds" -l --log-prefix="$work/log" -f "$work/$1.sql" >/dev/null 2>&1
  awk '{ print $3 / 1000 }' "$work"/log.* | sort -n |
    awk '{ v[NR] = $1 } END { printf "%.3f %.3f %.3f %d", v[int((NR + 1) / 2)], v[int(NR * 0.9 + 0.5)], v[int(NR * 0.99 + 0.5)], NR }'
}
row() {
  local m p90 p99 n
  read -r m p90 p99 n <<<"$(measure "$2")"
  printf '%-62s %8.3f %8.3f %8.3f %7d\n' "$1" "$m" "$p90" "$p99" "$n"
}

printf 'search benchmark: %s messages (seeded in %s s), a user in 200 of 400 chats, %s s per case, load %s\n' \
  "$messages" "$seeded" "$seconds" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-62s %8s %8s %8s %7s\n' '' 'median' 'p90' 'p99' 'calls'
row 'baseline: SELECT of one user by primary key' trivial
row 'a word in 1 of 2,500 messages, all chats' rare
row 'two such words, all chats' two_words
row "a word's start that ten words share (1 in 250 messages)" prefix
row 'a word in 1 of 10 messages ("hello"), all chats' common
row 'a word in 1 of 2,500 messages, one chat' one_chat

# the send path with and without the index
q "CREATE TABLE public.bench_senders AS SELECT row_number() OVER () - 1 AS i, b.token, p.conversation_id
   FROM chat.conversation_participants p JOIN public.bench_chats c ON c.id = p.conversation_id
   JOIN public.bench_peers b ON b.id = p.user_id WHERE c.n > 200 LIMIT 200" >/dev/null
printf '%s\n' '\set i random(0, 199)' \
  "SELECT chat.send_messages(jsonb_build_array(jsonb_build_object('token', token, 'conversationId', conversation_id, 'content', 'a message of eight words for the index'))) FROM public.bench_senders WHERE i = :i;" >"$work/send.sql"
send_tps() { pgbench -n -M prepared -c 4 -j 2 -T "$seconds" -f "$work/send.sql" 2>/dev/null | sed -n 's/^tps = \([0-9.]*\).*/\1/p'; }
with=$(send_tps)
# dropping the column (at once: no rewrite) drops its index too; the run ends here
q "ALTER TABLE chat.messages DROP COLUMN search_vector"
without=$(send_tps)
printf '%-62s %8.0f\n' 'send_messages of one message, 4 clients, msgs/s: with search' "$with"
printf '%-62s %8.0f\n' '  without (no search_vector, no index)' "$without"
printf '%-62s %8.2f\n' '  ratio' "$(awk -v a="$with" -v b="$without" 'BEGIN { print a / b }')"
