#!/usr/bin/env bash
# Attachments benchmark (not a test), on a private instance ("bench-attachments" unless
# PGCHAT_INSTANCE says otherwise). 20 clients upload a file at once through the bridge, then
# download it at once: first 1 MiB each, then 16 MiB each. Printed: the bridge's resident memory
# idle and at its peak in each run (it must not grow with the file size: an upload holds about two
# 256 KiB chunks, a download one), the upload and download MiB/s of all clients together, and
# beside them `cat` of the same bytes (the same file 20 times) to /dev/null in the same run, with
# the ratios. Run it alone: `make bench-attachments` takes /tmp/pgchat-bench.lock.
#   test/bench/attachments.sh [clients, default 20]
set -euo pipefail
export PGCHAT_INSTANCE=${PGCHAT_INSTANCE:-bench-attachments}
export PGCHAT_PG_PORT=${PGCHAT_PG_PORT:-27560} PGCHAT_REDIS_PORT=${PGCHAT_REDIS_PORT:-27561}
export PGCHAT_PORT=${PGCHAT_PORT:-27562}
# the clients register from one address
export PGCHAT_REGISTER_ADDRESS_LIMIT=1000000 PGCHAT_LOGIN_ADDRESS_LIMIT=1000000
export PGCHAT_MAX_ADDRESS_CONNECTIONS=0 PGCHAT_MAX_ADDRESS_SESSIONS=0
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/env.sh"
cd "$PGCHAT_ROOT"
export CLIENTS=${1:-20}

scripts/services.sh reset >/dev/null
work=$(mktemp -d)
cleanup() {
  scripts/services.sh stop >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
scripts/services.sh start >/dev/null
eval "$(scripts/services.sh env)"
export BRIDGE_PID=$(cat "$PGCHAT_DATA/bridge.pid")
(cd test/bridge && [ -d node_modules ] || npm ci --no-audit --no-fund --silent)

value() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" "$2" | head -n 1; }

for size in $((1024 * 1024)) $((16 * 1024 * 1024)); do
  tag=$((size / 1024 / 1024))mib
  SIZE=$size TAG=$tag node test/bench/attachments_clients.mjs | tee "$work/$tag"
  # the baseline: the same bytes read by cat from the page cache
  head -c "$size" /dev/urandom >"$work/file"
  cat "$work/file" >/dev/null
  start=$(date +%s.%N)
  for _ in $(seq "$CLIENTS"); do cat "$work/file" >/dev/null; done
  end=$(date +%s.%N)
  cat_rate=$(awk -v n="$CLIENTS" -v s="$size" -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", n * s / 1048576 / (b - a) }')
  up=$(value upload_mib_s "$work/$tag")
  down=$(value download_mib_s "$work/$tag")
  echo "tag=$tag cat_mib_s=$cat_rate upload_vs_cat=$(awk -v u="$up" -v c="$cat_rate" 'BEGIN { printf "%.4f", u / c }') download_vs_cat=$(awk -v d="$down" -v c="$cat_rate" 'BEGIN { printf "%.4f", d / c }')"
done

small=$(value rss_upload_peak_kib "$work/1mib")
large=$(value rss_upload_peak_kib "$work/16mib")
echo "bridge RSS peak while uploading: ${small} KiB with 1 MiB files, ${large} KiB with 16 MiB files ($(awk -v a="$large" -v b="$small" 'BEGIN { printf "%.2f", a / b }')x for 16x the bytes)"
