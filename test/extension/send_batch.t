#!/usr/bin/env bash
# Batched sends across sessions: batches naming the same conversations in opposite orders never
# deadlock and keep every conversation's seq gapless, with resends racing on shared client ids;
# and send_messages works as the first call of a fresh backend (the signing key is read then).
set -u
source "$(dirname "$0")/tap.sh"
plan 11

db=$PGDATABASE
bridge_role=${PGCHAT_BRIDGE_ROLE:-pgchat_bridge}
q() { sql "$db" "$@" | tail -n 1; }
work=$(mktemp -d)
trap 'sql "$db" "DROP TABLE IF EXISTS public.batch_tokens, public.batch_conversations" >/dev/null 2>&1; rm -rf "$work"' EXIT

# four users, all in each of four groups
sql "$db" "CREATE TABLE public.batch_tokens (n int PRIMARY KEY, token text, id uuid)" \
  "INSERT INTO public.batch_tokens SELECT n, r->>'token', (r->'user'->>'id')::uuid FROM generate_series(0, 3) n,
     LATERAL chat.register('sb_' || n || '_$$', 'sb_' || n || '_$$@example.com', 'member password') r" \
  "CREATE TABLE public.batch_conversations (i int PRIMARY KEY, id uuid)" \
  "INSERT INTO public.batch_conversations SELECT i, (chat.create_conversation((SELECT token FROM public.batch_tokens WHERE n = 0),
     (SELECT array_agg(id) FROM public.batch_tokens WHERE n > 0), true, 'Batch ' || i)->>'id')::uuid FROM generate_series(1, 4) i" >/dev/null
convs=$(q "SELECT string_agg(quote_literal(id), ',') FROM public.batch_conversations")

# Each batch: two messages in each conversation, the conversations in ascending order for even
# clients and descending for odd ones. Two clients share each sender and draw client ids from one
# pool, so resends race. Any refusal in an answer divides by zero, which aborts the client.
cat >"$work/batch.sql" <<SQL
\set k random(1, 150)
SELECT 1 / (NOT jsonb_path_exists(chat.send_messages((
  SELECT jsonb_agg(jsonb_build_object('token', t.token, 'conversationId', c.id, 'content', 'batch ' || :k,
           'clientId', 'k' || :k || '-' || r)
         ORDER BY CASE WHEN :client_id % 2 = 0 THEN c.i ELSE -c.i END, r)
  FROM public.batch_conversations c, generate_series(1, 2) r, public.batch_tokens t WHERE t.n = :client_id % 4)),
  '\$[*].error'))::int;
SQL
cat >"$work/single.sql" <<SQL
SELECT chat.send_message((SELECT token FROM public.batch_tokens WHERE n = :client_id % 4),
  (SELECT id FROM public.batch_conversations WHERE i = 1 + :client_id % 4), 'single');
SQL

pgbench -n -c 8 -j 2 -t 150 -f "$work/batch.sql" "$db" >"$work/batch.log" 2>&1
status=$?
ok "8 sessions send 150 batches each over four conversations in opposite orders" test "$status" = 0
ok "no batch met a deadlock" test "$(grep -ci deadlock "$work/batch.log")" = 0
pgbench -n -c 4 -j 2 -t 100 -f "$work/batch.sql" -f "$work/single.sql" "$db" >"$work/mixed.log" 2>&1
ok "batches and single sends race in the same conversations" test "$?" = 0

per_conversation="SELECT c.i, count(m.*) AS n, count(DISTINCT m.seq) AS distinct_seqs, min(m.seq) AS low, max(m.seq) AS high,
  (SELECT last_seq FROM chat.conversations WHERE id = c.id) AS last_seq,
  count(DISTINCT (m.sender_id, m.client_id)) FILTER (WHERE m.client_id IS NOT NULL) AS distinct_keys,
  count(m.client_id) AS with_keys
  FROM public.batch_conversations c LEFT JOIN chat.messages m ON m.conversation_id = c.id GROUP BY c.id, c.i"
ok "every conversation got messages" test "$(q "SELECT bool_and(n > 0) FROM ($per_conversation) s")" = t
ok "seq is unique in every conversation" test "$(q "SELECT bool_and(n = distinct_seqs) FROM ($per_conversation) s")" = t
ok "seq is gapless from 1 in every conversation" test "$(q "SELECT bool_and(low = 1 AND high = n) FROM ($per_conversation) s")" = t
ok "every conversation's last_seq is its last message's" test "$(q "SELECT bool_and(last_seq = high) FROM ($per_conversation) s")" = t
ok "each sender's client id is stored once per conversation" \
  test "$(q "SELECT bool_and(distinct_keys = with_keys AND with_keys <= 4 * 150 * 2) FROM ($per_conversation) s")" = t

# A fresh backend whose first call reads a token inside send_messages (as the bridge's role does
# after a reconnect): the signing key is loaded there for the first time.
token=$(q "SELECT token FROM public.batch_tokens WHERE n = 1")
conv=$(q "SELECT id FROM public.batch_conversations WHERE i = 1")
before=$(q "SELECT last_seq FROM chat.conversations WHERE id = '$conv'")
batch="[{\"token\": \"$token\", \"conversationId\": \"$conv\", \"content\": \"fresh backend\"}]"
fresh_answer() { "$PGCHAT_PGBIN/psql" -X -q -A -t -d "$db" "$@" -c "SELECT chat.send_messages('$batch')->0->'message'->>'seq'" 2>&1; }
ok "a fresh backend's first call, send_messages, stores the message" test "$(fresh_answer)" = $((before + 1))
ok "so does the bridge role's in a fresh backend" test "$(fresh_answer -U "$bridge_role")" = $((before + 2))
ok "a fresh backend's first call, send_message, stores the message" \
  test "$("$PGCHAT_PGBIN/psql" -X -q -A -t -d "$db" -c "SELECT chat.send_message('$token', '$conv', 'fresh again')->>'seq'" 2>&1)" = $((before + 3))
