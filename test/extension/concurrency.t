#!/usr/bin/env bash
# Ordering under concurrency: 8 sessions send into one conversation at once (pgbench), then the
# same with resends racing on shared client ids. seq must come out gapless and unique, and each
# client id stored once.
set -u
source "$(dirname "$0")/tap.sh"
plan 7

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

ok "8 sessions send 200 messages each" pgbench -n -c 8 -j 2 -t 200 -f "$work/send.sql" "$db"
ok "8 sessions race resends of 40 client ids" pgbench -n -c 8 -j 2 -t 100 -f "$work/resend.sql" "$db"

stats=$(q "SELECT count(*) || ' ' || count(DISTINCT seq) || ' ' || min(seq) || ' ' || max(seq) FROM chat.messages WHERE conversation_id = '$conv'")
read -r total distinct low high <<<"$stats"
ok "every send stored one message" test "$(q "SELECT count(*) FROM chat.messages WHERE conversation_id = '$conv' AND content = 'concurrent'")" = 1600
ok "each raced client id is stored once" test "$(q "SELECT count(*) = count(DISTINCT client_id) AND count(*) <= 40 FROM chat.messages WHERE conversation_id = '$conv' AND content = 'resend'")" = t
ok "seq is unique" test "$total" = "$distinct"
ok "seq is gapless from 1" test "$low" = 1 -a "$high" = "$total"
ok "the conversation's last_seq is the last message's" test "$(q "SELECT last_seq FROM chat.conversations WHERE id = '$conv'")" = "$high"
