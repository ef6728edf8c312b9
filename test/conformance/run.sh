#!/usr/bin/env bash
# The official Engine.IO v4 and Socket.IO v5 compliance suites, from ../shared/conformance beside
# the checkout (never copied into the repository), against test/protocol/bin/conformance-server on port
# 3000, which the suites hard-code. Each suite is copied to a temporary folder and installed
# there with npm ci. A test that fails is run again by its exact title, up to three runs in all,
# and counts as passing if one run passes (the suites race timers and concurrent requests
# against expected packets; the reference server fails now and then too). A test failing all
# three runs fails the suite. Prints "# pass N" / "# fail N" for scripts/test.sh.
#   PGCHAT_CONFORMANCE_PORT=N   another port than 3000 (the temporary copies are pointed at it)
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
root=$PWD
source=${PGCHAT_CONFORMANCE_DIR:-$root/../shared/conformance}
port=${PGCHAT_CONFORMANCE_PORT:-3000}
runs=3

fail() { echo "conformance: $*"; echo "# pass 0"; echo "# fail 1"; exit 1; }

for suite in engine.io socket.io; do
  [ -f "$source/$suite/test-suite.js" ] || fail "no $suite suite in $source (the shared folder beside the checkout)"
done
if ss -ltnH "sport = :$port" | grep -q .; then
  fail "port $port is taken (another conformance server?); stop it or set PGCHAT_CONFORMANCE_PORT"
fi
make -s test/protocol/bin/conformance-server >/dev/null || fail "build failed"

work=$(mktemp -d)
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi
  rm -rf "$work"
}
trap cleanup EXIT

test/protocol/bin/conformance-server --port "$port" 2>"$work/server.log" &
pid=$!
for _ in $(seq 1 100); do
  curl -s -o /dev/null "http://127.0.0.1:$port/" && break
  kill -0 "$pid" 2>/dev/null || { cat "$work/server.log"; fail "the server did not start"; }
  sleep 0.05
done

# Lists "passed<TAB>full title" and "failed<TAB>full title" from a mocha JSON report.
titles() {
  node -e '
    const text = require("fs").readFileSync(process.argv[1], "utf8");
    const report = JSON.parse(text.slice(text.indexOf("{")));
    for (const t of report.passes) console.log("passed\t" + t.fullTitle);
    for (const t of report.failures) console.log("failed\t" + t.fullTitle);
  ' "$1"
}

total_pass=0
total_fail=0
for suite in engine.io socket.io; do
  dir="$work/$suite"
  cp -r "$source/$suite" "$dir"
  if [ "$port" != 3000 ]; then
    sed -i "s#http://localhost:3000#http://localhost:$port#" "$dir/test-suite.js"
    grep -q "localhost:$port" "$dir/test-suite.js" || fail "$suite: the suite's URL was not found"
  fi
  (cd "$dir" && npm ci --no-audit --no-fund --silent >/dev/null 2>"$work/npm.log") ||
    { cat "$work/npm.log"; fail "$suite: npm ci failed"; }

  (cd "$dir" && timeout 300 npx mocha --reporter json test-suite.js >"$work/run1.json" 2>/dev/null)
  titles "$work/run1.json" >"$work/results" 2>/dev/null || fail "$suite: mocha gave no report"
  grep '^passed' "$work/results" | cut -f2 | sort -u >"$work/passed"
  grep '^failed' "$work/results" | cut -f2 | sort -u >"$work/failing"
  retried=$(wc -l <"$work/failing")
  for run in $(seq 2 "$runs"); do
    [ -s "$work/failing" ] || break
    : >"$work/still"
    while IFS= read -r title; do
      (cd "$dir" && timeout 120 npx mocha --reporter json --fgrep "$title" test-suite.js \
        >"$work/rerun.json" 2>/dev/null)
      if titles "$work/rerun.json" 2>/dev/null | grep -qxF "passed	$title"; then
        echo "$title" >>"$work/passed"
        echo "conformance: $suite: passed on run $run: $title"
      else
        echo "$title" >>"$work/still"
      fi
    done <"$work/failing"
    mv "$work/still" "$work/failing"
  done
  pass=$(sort -u "$work/passed" | wc -l)
  failed=$(wc -l <"$work/failing")
  while IFS= read -r title; do
    echo "not ok - $suite: failed $runs runs: $title"
  done <"$work/failing"
  echo "conformance: $suite: $pass of $((pass + failed)) tests pass ($retried retried)"
  total_pass=$((total_pass + pass))
  total_fail=$((total_fail + failed))
done

if ! kill -0 "$pid" 2>/dev/null; then
  echo "conformance: the server died during the run:"
  cat "$work/server.log"
  total_fail=$((total_fail + 1))
fi
echo "# pass $total_pass"
echo "# fail $total_fail"
[ "$total_fail" -eq 0 ] && [ "$total_pass" -gt 0 ]
