#!/usr/bin/env bash
# Messaging benchmark (not a test), on a private "bench" instance:
#  1. chat.send_message through pgbench (8 clients, each in its own direct chat), beside the
#     baseline of a raw INSERT of the same row + pg_notify, measured in the same run, and the ratio;
#  2. chat.conversations() for a user with 2,000 chats;
#  3. a 50-message page (newest, and deep) in a 100,000-message chat.
# A LISTEN session reads the notifications throughout, as the bridge's would.
#   test/bench/messages.sh [seconds per send case, default 10]
set -euo pipefail
export PGCHAT_INSTANCE=bench
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/env.sh"
cd "$PGCHAT_ROOT"
seconds=${1:-10}
clients=8

scripts/services.sh reset >/dev/null
work=$(mktemp -d)
listener=""
cleanup() {
  [ -n "$listener" ] && kill -- "-$listener" 2>/dev/null
  scripts/services.sh stop >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
scripts/services.sh start >/dev/null
eval "$(scripts/services.sh env)"
q() { psql -X -q -A -t -v ON_ERROR_STOP=1 -c "$1"; }

# users straight into the table with one real hash: registering thousands through argon2id
# would measure hashing, not messaging
q "SELECT chat.register('bench_0', 'bench_0@example.com', 'bench password')" >/dev/null
q "INSERT INTO chat.users (username, email, password_hash, display_name)
   SELECT 'bench_' || n, 'bench_' || n || '@example.com', (SELECT password_hash FROM chat.users WHERE username = 'bench_0'), 'Bench ' || n
   FROM generate_series(1, 2100) n"
q "CREATE TABLE public.bench_pairs (n int PRIMARY KEY, token text, conversation_id uuid, user_id uuid)
   ; INSERT INTO public.bench_pairs
   SELECT n, chat.issue_token(a.id), ((chat.create_conversation(chat.issue_token(a.id), ARRAY[b.id]))->>'id')::uuid, a.id
   FROM generate_series(1, $clients) n
   JOIN chat.users a ON a.username = 'bench_' || n JOIN chat.users b ON b.username = 'bench_' || (n + 1000)" >/dev/null
q "CREATE TABLE public.raw_messages (LIKE chat.messages INCLUDING DEFAULTS INCLUDING INDEXES);
   CREATE SEQUENCE public.raw_seq" >/dev/null

# psql reads the pending notifications at each statement; one every 10 ms keeps the queue short
setsid bash -c '{ echo "LISTEN chat;"; while sleep 0.01; do echo "SELECT 1;"; done; } | psql -X -q >/dev/null 2>&1' &
listener=$!

cat >"$work/send.sql" <<'SQL'
SELECT chat.send_message(p.token, p.conversation_id, 'a benchmark message of ordinary length') FROM public.bench_pairs p WHERE p.n = :client_id + 1;
SQL
cat >"$work/raw.sql" <<'SQL'
WITH m AS (INSERT INTO public.raw_messages (conversation_id, seq, sender_id, content)
  SELECT p.conversation_id, nextval('public.raw_seq'), p.user_id, 'a benchmark message of ordinary length'
  FROM public.bench_pairs p WHERE p.n = :client_id + 1 RETURNING *)
SELECT pg_notify('chat', row_to_json(m)::text) FROM m;
SQL

tps() {
  pgbench -n -M prepared -c "$clients" -j 2 -T "$seconds" -f "$work/$1.sql" 2>&1 | sed -n 's/^tps = \([0-9.]*\).*/\1/p'
}
raw=$(tps raw)
send=$(tps send)
raw_again=$(tps raw)

# 2,000 chats for bench_0, each with a message
hub=$(q "SELECT chat.login('bench_0', 'bench password')->>'token'")
q "WITH c AS (
     SELECT chat.create_conversation('$hub', ARRAY[u.id])->>'id' AS id FROM chat.users u
     WHERE u.username <> 'bench_0' ORDER BY u.username LIMIT 2000)
   SELECT count(chat.send_message('$hub', c.id::uuid, 'hello')) FROM c" >/dev/null
q "ANALYZE" >/dev/null # as autovacuum would have by now
echo "SELECT chat.conversations('$hub');" >"$work/list.sql"
list_ms=$(pgbench -n -M prepared -c 1 -T 5 -f "$work/list.sql" 2>&1 | sed -n 's/^latency average = \([0-9.]*\) ms/\1/p')
chats=$(q "SELECT jsonb_array_length(chat.conversations('$hub'))")

# a 100,000-message chat
big=$(q "SELECT conversation_id FROM public.bench_pairs WHERE n = 1")
tok=$(q "SELECT token FROM public.bench_pairs WHERE n = 1")
q "WITH last AS (SELECT last_seq FROM chat.conversations WHERE id = '$big')
   INSERT INTO chat.messages (conversation_id, seq, sender_id, content)
   SELECT '$big', last.last_seq + g, (SELECT user_id FROM public.bench_pairs WHERE n = 1), 'history ' || g
   FROM last, generate_series(1, 100000) g;
   UPDATE chat.conversations SET last_seq = (SELECT max(seq) FROM chat.messages WHERE conversation_id = '$big') WHERE id = '$big';
   ANALYZE chat.messages" >/dev/null
total=$(q "SELECT last_seq FROM chat.conversations WHERE id = '$big'")
echo "SELECT chat.messages('$tok', '$big', NULL, 50);" >"$work/newest.sql"
echo "SELECT chat.messages('$tok', '$big', $((total / 2)), 50);" >"$work/deep.sql"
newest_ms=$(pgbench -n -M prepared -c 1 -T 3 -f "$work/newest.sql" 2>&1 | sed -n 's/^latency average = \([0-9.]*\) ms/\1/p')
deep_ms=$(pgbench -n -M prepared -c 1 -T 3 -f "$work/deep.sql" 2>&1 | sed -n 's/^latency average = \([0-9.]*\) ms/\1/p')

baseline=$(awk -v a="$raw" -v b="$raw_again" 'BEGIN { print (a + b) / 2 }')
printf 'messaging benchmark: %s clients, %s s per send case, one LISTEN session reading\n' "$clients" "$seconds"
printf '%-52s %10.0f /s\n' 'baseline: raw INSERT + pg_notify (mean of before and after)' "$baseline"
printf '%-52s %10.0f /s\n' 'chat.send_message' "$send"
printf '%-52s %10.0f %%\n' 'send_message / baseline' "$(awk -v s="$send" -v b="$baseline" 'BEGIN { print 100 * s / b }')"
printf '%-52s %10.2f ms\n' "chat.conversations() for a user with $chats chats" "$list_ms"
printf '%-52s %10.3f ms\n' "newest 50-message page of a $total-message chat" "$newest_ms"
printf '%-52s %10.3f ms\n' "50-message page at seq $((total / 2)) of the same chat" "$deep_ms"
