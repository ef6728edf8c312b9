#!/usr/bin/env bash
# Messaging benchmark (not a test), on a private instance of its own: messages/s stored through
# pgbench (8 clients, prepared), every case in the same run, side by side:
#  1. the baseline: a raw INSERT of the same row + pg_notify of it, one message per transaction
#     (run before and after the others; their mean);
#  2. chat.send_message, one message per call (each client in its own direct chat);
#  3. chat.send_messages, the batched call the bridge makes, with 20 (and 100) messages per call,
#     each from another sender into another direct chat, beside a raw INSERT of the same 20 rows
#     + one pg_notify per transaction; counted in messages/s, not calls/s, and the rows stored
#     are counted afterwards so that a message answered with an error is not counted;
#  4. the batched call again without the foreign keys of messages (conversation_id ->
#     conversations, sender_id -> users; 1.2 put them back), to show what they cost;
#  5. a 50-message page (newest, and deep) in a 100,000-message chat.
# A LISTEN session reads the notifications throughout, as the bridge's would.
# The conversation list of a user with 2,000 chats is measured by test/bench/conversation_list.sh.
#   test/bench/messages.sh [seconds per send case, default 10]
# Ports: PGCHAT_PG_PORT / PGCHAT_REDIS_PORT (default 27510, 27511).
set -euo pipefail
export PGCHAT_INSTANCE=${PGCHAT_BENCH_INSTANCE:-bench-messages}
export PGCHAT_PG_PORT=${PGCHAT_PG_PORT:-27510} PGCHAT_REDIS_PORT=${PGCHAT_REDIS_PORT:-27511}
export PGCHAT_PORT=${PGCHAT_PORT:-27512}
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/env.sh"
cd "$PGCHAT_ROOT"
seconds=${1:-10}
clients=8
batches="20 100"
max_batch=100
content='a benchmark message of ordinary length'

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
scripts/services.sh bridge-stop
eval "$(scripts/services.sh env)"
q() { psql -X -q -A -t -v ON_ERROR_STOP=1 -c "$1"; }

# users straight into the table with one real hash: registering hundreds through argon2id would
# measure hashing, not messaging. Pair n: sender bench_n in a direct chat with bench_(n + 10000).
senders=$((clients * max_batch))
q "SELECT chat.register('bench_0', 'bench_0@example.com', 'bench password')" >/dev/null
q "INSERT INTO chat.users (username, email, password_hash, display_name)
   SELECT 'bench_' || n, 'bench_' || n || '@example.com', (SELECT password_hash FROM chat.users WHERE username = 'bench_0'), 'Bench ' || n
   FROM generate_series(1, $senders) s, LATERAL (VALUES (s), (s + 10000)) v(n)"
q "CREATE TABLE public.bench_pairs (n int PRIMARY KEY, token text, conversation_id uuid, user_id uuid);
   INSERT INTO public.bench_pairs
   SELECT n, chat.issue_token(a.id), ((chat.create_conversation(chat.issue_token(a.id), ARRAY[b.id]))->>'id')::uuid, a.id
   FROM generate_series(1, $senders) n
   JOIN chat.users a ON a.username = 'bench_' || n JOIN chat.users b ON b.username = 'bench_' || (n + 10000)" >/dev/null
q "CREATE TABLE public.raw_messages (LIKE chat.messages INCLUDING DEFAULTS INCLUDING INDEXES);
   CREATE SEQUENCE public.raw_seq" >/dev/null
# client c's batch of size B: pairs c*B+1 .. c*B+B, so no two clients share a chat
q "CREATE TABLE public.bench_batches (client int, size int, batch jsonb, PRIMARY KEY (client, size))"
for size in $batches; do
  q "INSERT INTO public.bench_batches
     SELECT c, $size, jsonb_agg(jsonb_build_object('token', p.token, 'conversationId', p.conversation_id,
                                                   'content', '$content') ORDER BY p.n)
     FROM generate_series(0, $((clients - 1))) c JOIN public.bench_pairs p ON p.n BETWEEN c * $size + 1 AND c * $size + $size
     GROUP BY c"
done
q "ANALYZE" >/dev/null

batched=1
if [ -z "$(q "SELECT 1 FROM pg_proc WHERE oid = to_regprocedure('chat.send_messages(jsonb)')")" ]; then
  batched=0
  echo "messages.sh: chat.send_messages(jsonb) is not in the installed extension; its rows stay empty" >&2
else
  # one call outside the timing: every answer must be a stored message
  bad=$(q "SELECT count(*) FROM jsonb_array_elements(chat.send_messages(
             (SELECT batch FROM public.bench_batches WHERE client = 0 AND size = 20))) a
           WHERE NOT a ? 'message'" || echo failed)
  [ "$bad" = 0 ] || echo "messages.sh: send_messages did not store a good batch of 20 (errors: $bad)" >&2
fi

# psql reads the pending notifications at each statement; one every 10 ms keeps the queue short
setsid bash -c '{ echo "LISTEN chat;"; while sleep 0.01; do echo "SELECT 1;"; done; } | psql -X -q >/dev/null 2>&1' &
listener=$!

cat >"$work/send.sql" <<SQL
SELECT chat.send_message(p.token, p.conversation_id, '$content') FROM public.bench_pairs p WHERE p.n = :client_id + 1;
SQL
cat >"$work/raw.sql" <<SQL
WITH m AS (INSERT INTO public.raw_messages (conversation_id, seq, sender_id, content)
  SELECT p.conversation_id, nextval('public.raw_seq'), p.user_id, '$content'
  FROM public.bench_pairs p WHERE p.n = :client_id + 1 RETURNING *)
SELECT pg_notify('chat', row_to_json(m)::text) FROM m;
SQL
for size in $batches; do
  cat >"$work/batch$size.sql" <<SQL
SELECT chat.send_messages(b.batch) FROM public.bench_batches b WHERE b.client = :client_id AND b.size = $size;
SQL
  # the same rows, and one notification naming them (as the batched call's doorbell does)
  cat >"$work/rawbatch$size.sql" <<SQL
WITH m AS (INSERT INTO public.raw_messages (conversation_id, seq, sender_id, content)
  SELECT p.conversation_id, nextval('public.raw_seq'), p.user_id, '$content'
  FROM public.bench_pairs p WHERE p.n BETWEEN :client_id * $size + 1 AND :client_id * $size + $size
  RETURNING conversation_id, seq)
SELECT pg_notify('chat', json_agg(json_build_object('c', conversation_id, 's', seq))::text) FROM m;
SQL
done

# messages/s of a script: pgbench's transactions/s times the messages per transaction; the rows
# stored are counted too, since send_messages answers a refused message instead of failing
declare -A rate stored_note
measure() {
  local name=$1 size=$2 before after out tps processed failure=""
  before=$(q "SELECT (SELECT count(*) FROM chat.messages) + (SELECT count(*) FROM public.raw_messages)")
  # pgbench fails when a client aborts on an error; the run's figures still say what it did
  out=$(pgbench -n -M prepared -c "$clients" -j 2 -T "$seconds" -f "$work/$name.sql" 2>&1) ||
    failure=$(grep -m1 -o 'ERROR: .*' <<<"$out" || echo 'pgbench failed')
  after=$(q "SELECT (SELECT count(*) FROM chat.messages) + (SELECT count(*) FROM public.raw_messages)")
  tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' <<<"$out")
  processed=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' <<<"$out")
  rate[$name]=$(awk -v t="$tps" -v s="$size" 'BEGIN { printf "%.0f", t * s }')
  processed=${processed:-0} tps=${tps:-0}
  if [ -n "$failure" ]; then
    stored_note[$name]="FAILED: $failure"
  elif [ $((after - before)) -eq $((processed * size)) ]; then
    stored_note[$name]="all $((after - before)) stored"
  else
    stored_note[$name]="STORED $((after - before)) OF $((processed * size))"
  fi
}
cp "$work/raw.sql" "$work/raw_again.sql"
measure raw 1
measure send 1
for size in $batches; do
  measure "rawbatch$size" "$size"
  if [ "$batched" = 1 ]; then measure "batch$size" "$size"; fi
done
if [ "$batched" = 1 ]; then
  # the instance is thrown away after the run: the keys are not put back
  q "ALTER TABLE chat.messages DROP CONSTRAINT IF EXISTS messages_conversation_fkey,
     DROP CONSTRAINT IF EXISTS messages_sender_fkey" >/dev/null
  for size in $batches; do
    cp "$work/batch$size.sql" "$work/batch${size}_nokeys.sql"
    measure "batch${size}_nokeys" "$size"
  done
fi
measure raw_again 1

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

baseline=$(awk -v a="${rate[raw]}" -v b="${rate[raw_again]}" 'BEGIN { printf "%.0f", (a + b) / 2 }')
row() { # label, messages/s (or -), note
  local share=-
  [ "$2" != - ] && share=$(awk -v s="$2" -v b="$baseline" 'BEGIN { printf "%.0f%%", 100 * s / b }')
  printf '%-58s %10s %8s   %s\n' "$1" "$2" "$share" "$3"
}
printf 'messaging benchmark: %s clients, %s s per send case, one LISTEN session reading\n' "$clients" "$seconds"
printf '%-58s %10s %8s\n' '' 'msgs/s' 'of base'
row 'baseline: raw INSERT + pg_notify, 1 per transaction' "$baseline" "(mean of before ${rate[raw]} and after ${rate[raw_again]})"
row 'chat.send_message, 1 per call' "${rate[send]}" "${stored_note[send]}"
for size in $batches; do
  row "raw INSERT of $size rows + one pg_notify, per transaction" "${rate[rawbatch$size]}" "${stored_note[rawbatch$size]}"
  if [ "$batched" = 1 ]; then
    row "chat.send_messages, $size per call" "${rate[batch$size]}" "${stored_note[batch$size]}"
  else
    row "chat.send_messages, $size per call" - 'not installed'
  fi
done
if [ "$batched" = 1 ]; then
  for size in $batches; do
    keys_share=$(awk -v k="${rate[batch$size]}" -v n="${rate[batch${size}_nokeys]}" 'BEGIN { printf "%.0f%%", 100 * k / n }')
    row "chat.send_messages, $size per call, without the foreign keys" "${rate[batch${size}_nokeys]}" \
      "${stored_note[batch${size}_nokeys]}; with the keys: $keys_share of this"
  done
fi
printf '%-58s %10.3f ms\n' "newest 50-message page of a $total-message chat" "$newest_ms"
printf '%-58s %10.3f ms\n' "50-message page at seq $((total / 2)) of the same chat" "$deep_ms"
