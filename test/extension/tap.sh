# Minimal TAP for shell tests: plan N, then ok "what it proves" command...
# Connection settings come from the environment (PGHOST, PGPORT, PGUSER) set by scripts/test.sh.
tap_count=0
plan() { echo "1..$1"; }
ok() {
  local name=$1; shift
  tap_count=$((tap_count + 1))
  if "$@" >/dev/null 2>&1; then
    echo "ok $tap_count - $name"
  else
    echo "not ok $tap_count - $name"
  fi
}
# sql DB "statement" ...: runs each statement in one session, prints unaligned tuples
sql() {
  local db=$1; shift
  local args=()
  for s in "$@"; do args+=(-c "$s"); done
  "$PGCHAT_PGBIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -d "$db" "${args[@]}"
}
