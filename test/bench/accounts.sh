#!/usr/bin/env bash
# Accounts benchmark (not a test): registrations/s, logins/s and the cost of authenticate at the
# default argon2id cost, through pgbench on a private "bench" instance, beside a `SELECT 1`
# baseline measured in the same run (the floor any call through this path pays).
#   test/bench/accounts.sh [seconds per case, default 10]
# Ports: PGCHAT_PG_PORT / PGCHAT_REDIS_PORT (default 27500, 27501).
set -euo pipefail
export PGCHAT_INSTANCE=${PGCHAT_BENCH_INSTANCE:-bench}
export PGCHAT_PG_PORT=${PGCHAT_PG_PORT:-27500} PGCHAT_REDIS_PORT=${PGCHAT_REDIS_PORT:-27501}
export PGCHAT_PORT=${PGCHAT_PORT:-27502}
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/env.sh"
cd "$PGCHAT_ROOT"
seconds=${1:-10}
clients=$(nproc)

scripts/services.sh reset >/dev/null
trap 'scripts/services.sh stop >/dev/null 2>&1; rm -rf "$work"' EXIT
scripts/services.sh start >/dev/null
eval "$(scripts/services.sh env)"
work=$(mktemp -d)

psql -X -q -c "SELECT chat.register('bench', 'bench@example.com', 'bench password')" >/dev/null
token=$(psql -X -A -t -c "SELECT chat.login('bench', 'bench password')->>'token'")

echo 'SELECT 1;' >"$work/baseline.sql"
cat >"$work/register.sql" <<'SQL'
\set n random(1, 2000000000)
SELECT chat.register('r' || :n, 'r' || :n || '@example.com', 'bench password');
SQL
echo "SELECT chat.login('bench', 'bench password');" >"$work/login.sql"
echo "SELECT chat.authenticate('$token');" >"$work/authenticate.sql"

# tps and mean latency (ms) of one pgbench run
run() {
  local out
  out=$(pgbench -n -M prepared -c "$clients" -j "$clients" -T "$seconds" -f "$work/$1.sql" 2>&1)
  printf '%s %s\n' "$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' <<<"$out")" \
    "$(sed -n 's/^latency average = \([0-9.]*\) ms/\1/p' <<<"$out")"
}

read -r base_tps base_ms < <(run baseline)
read -r reg_tps reg_ms < <(run register)
read -r login_tps login_ms < <(run login)
read -r auth_tps auth_ms < <(run authenticate)

printf 'accounts benchmark: %s clients, %s s each, argon2id m=%s KiB t=%s\n' "$clients" "$seconds" \
  "$(psql -X -A -t -c 'SHOW chat.password_memory_kib' 2>/dev/null || echo 19456)" \
  "$(psql -X -A -t -c 'SHOW chat.password_passes' 2>/dev/null || echo 2)"
printf '%-26s %12s %14s\n' case 'calls/s' 'mean latency'
printf '%-26s %12.0f %11.3f ms\n' 'baseline SELECT 1' "$base_tps" "$base_ms"
printf '%-26s %12.1f %11.3f ms\n' 'chat.register' "$reg_tps" "$reg_ms"
printf '%-26s %12.1f %11.3f ms\n' 'chat.login' "$login_tps" "$login_ms"
printf '%-26s %12.0f %11.3f ms\n' 'chat.authenticate' "$auth_tps" "$auth_ms"
printf 'authenticate costs %.1f us over the baseline round trip\n' \
  "$(awk -v a="$auth_ms" -v b="$base_ms" 'BEGIN {print (a - b) * 1000}')"
