#!/usr/bin/env bash
# Ordering under concurrency: 8 sessions send into one conversation at once (pgbench), then the
# same with resends racing on shared client ids. seq must come out gapless and unique, each
# client id stored once, and the messages' times in the order of their seqs (search relies on it). Then 8 sessions race to create the same direct chats: the id derived
# from the pair (the primary key) must leave one chat per pair.
set -u
source "$(dirname "$0")/tap.sh"
plan 11

db=$PGDATABASE
q() { sql "$db" "$@" | tail -n 1; }
work=$(mktemp -d)
trap 'sql "$db" "DROP TABLE IF EXISTS public.concurrency_tokens" >/dev/null 2>&1; rm -rf "$work"' EXIT

owner=$(q "SELECT chat.register('cc_owner$$', 'cc_owner$$@example.com', 'owner password')->>'token'")
sql "$db" "CREATE TABLE public.concurrency_tokens (n int PRIMARY KEY, token text)" \
  "INSERT INTO public.concurrency_tokens SELECT n, chat.issue_token((chat.register('cc_' || n || '_$$', 'cc_' || n || '_$$@example.com', 'member password')->'user'->>'id')::uuid) FROM generate_series(0, 7) n" >/dev/null
conv=$(q "SELECT chat.create_conversation('$owner', (SELECT array_agg((chat.authenticate(token)->>'id')::uuid) FROM public.concurrency_tokens), true, 'Race')->>'id'")

cat >"$work/send.sql" <<SQL
SELECT chat.send_message((SELECT token FROM public.concurrency_tokens WHERE n = :client_id), '$conv', 'concurrent');
SQL
cat >"$work/resend.sql" <<SQL
\set n random(1, 40)
SELECT chat.send_message((SELECT token FROM public.concurrency_tokens WHERE n = 0), '$conv', 'resend', 'race-' || :n);
SQL
cat >"$work/direct.sql" <<SQL
\set other (:client_id + random(1, 7)) % 8
SELECT chat.create_conversation(a.token, ARRAY[(chat.authenticate(b.token)->>'id')::uuid])
FROM public.concurrency_tokens a, public.concurrency_tokens b WHERE a.n = :client_id AND b.n = :other;
SQL

ok "8 sessions send 200 messages each" pgbench -n -c 8 -j 2 -t 200 -f "$work/send.sql" "$db"
ok "8 sessions race resends of 40 client ids" pgbench -n -c 8 -j 2 -t 100 -f "$work/resend.sql" "$db"

stats=$(q "SELECT count(*) || ' ' || count(DISTINCT seq) || ' ' || min(seq) || ' ' || max(seq) FROM chat.messages WHERE conversation_id = '$conv'")
read -r total distinct low high <<<"$stats"
ok "every send stored one message" test "$(q "SELECT count(*) FROM chat.messages WHERE conversation_id = '$conv' AND content = 'concurrent'")" = 1600
ok "each raced client id is stored once" test "$(q "SELECT count(*) = count(DISTINCT client_id) AND count(*) <= 40 FROM chat.messages WHERE conversation_id = '$conv' AND content = 'resend'")" = t
ok "seq is unique" test "$total" = "$distinct"
ok "seq is gapless from 1" test "$low" = 1 -a "$high" = "$total"
ok "a later seq never has an earlier time, though sends waited on each other's locks" \
  test "$(q "SELECT count(*) FROM (SELECT created_at < lag(created_at) OVER (ORDER BY seq) AS back FROM chat.messages WHERE conversation_id = '$conv') x WHERE back")" = 0
ok "the conversation's last_seq is the last message's" test "$(q "SELECT last_seq FROM chat.conversations WHERE id = '$conv'")" = "$high"

ok "8 sessions race to create the 28 direct chats of 8 users" pgbench -n -c 8 -j 2 -t 60 -f "$work/direct.sql" "$db"
pairs="SELECT c.id FROM chat.conversations c WHERE NOT c.is_group AND c.direct_low IN (SELECT (chat.authenticate(token)->>'id')::uuid FROM public.concurrency_tokens)"
ok "each pair has one direct chat" \
  test "$(q "SELECT count(*) || ' ' || count(DISTINCT (c.direct_low, c.direct_high)) FROM chat.conversations c WHERE c.id IN ($pairs)")" = "28 28"
ok "each direct chat has its two members" \
  test "$(q "SELECT count(*) FROM chat.conversation_participants WHERE conversation_id IN ($pairs)")" = 56
