#!/usr/bin/env bash
# A short libFuzzer run of each protocol decoder (clang, ASan + UBSan), seeded from the committed
# corpora (which are never modified: new inputs go to a scratch directory). Fails on a crash.
#   FUZZ_SECONDS=N test/fuzz/run.sh       seconds per target (default 5, five targets)
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

seconds=${FUZZ_SECONDS:-5}
targets="eio_frame eio_payload eio_base64 sio_packet http_chunked"
bin=test/fuzz/bin
mkdir -p "$bin"
flags="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -Ibridge"
sources="bridge/protocol/eio_base64.c bridge/protocol/eio_packet.c bridge/protocol/sio_packet.c bridge/protocol/http_chunked.c"
for t in $targets; do
  clang $flags -o "$bin/fuzz_$t" "test/fuzz/fuzz_$t.c" $sources -ljansson || { echo "fuzz: build of $t failed"; exit 1; }
done

pass=0
fail=0
total_runs=0
scratch=$(mktemp -d)
for t in $targets; do
  mkdir -p "$scratch/$t"
  log="$scratch/$t.log"
  if "$bin/fuzz_$t" -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 \
       -artifact_prefix="$scratch/$t-" "$scratch/$t" "test/fuzz/corpus/$t" >"$log" 2>&1; then
    runs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}')
    total_runs=$((total_runs + ${runs:-0}))
    echo "ok - fuzz $t: ${runs:-?} executions, 0 crashes"
    pass=$((pass + 1))
  else
    echo "not ok - fuzz $t crashed:"
    grep -E 'ERROR|SUMMARY|Test unit written' "$log" | head -5
    fail=$((fail + 1))
  fi
done
rm -rf "$scratch"
echo "fuzz: $total_runs executions over $((pass + fail)) targets, $fail crashing"
echo "# pass $pass"
echo "# fail $fail"
[ "$fail" -eq 0 ]
