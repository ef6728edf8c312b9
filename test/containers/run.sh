#!/usr/bin/env bash
# The container suite: the images built and the compose stack run, as `make compose-up` does it,
# under a project of its own (pgchat-test: its containers, network and volumes) on ports of its
# own (the web app on 127.0.0.1:5600, Postgres on 127.0.0.1:5601). Steps, each timed:
#   setup   the engine (podman and podman-compose installed when no Docker daemon answers) and
#           the Debian base image (debootstrap, once; cached after)
#   engine  a container runs at all: a machine where it cannot fails here, loudly
#   build   the four images; their sizes; the bridge's runtime holds no compiler and no node_modules
#   up      the stack, and every service healthy, the web app answering through the proxy
#   chat    chat.test.mjs: two users chat (REST, realtime, presence) through the published port,
#           through a rolling restart of the bridges and a restart of the Postgres container
#   down    the stack removed: no container, network or volume of the project left behind
# PGCHAT_TEST_CONTAINERS=0 skips the suite; PGCHAT_CONTAINERS_TIMEOUT bounds it (seconds, 2400).
# Prints node's "# pass N"/"# fail N" for scripts/test.sh.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
HERE=$(pwd)
ROOT=$(cd ../.. && pwd)

if [ "${PGCHAT_TEST_CONTAINERS:-1}" = 0 ]; then
  echo "containers: skipped (PGCHAT_TEST_CONTAINERS=0)"
  exit 0
fi

# The whole suite under one bound; on expiry the trap below still takes the stack down.
LIMIT=${PGCHAT_CONTAINERS_TIMEOUT:-2400}
if [ -z "${PGCHAT_CONTAINERS_BOUNDED:-}" ]; then
  PGCHAT_CONTAINERS_BOUNDED=1 timeout -k 60 "$LIMIT" "$HERE/run.sh" "$@"
  status=$?
  if [ "$status" -eq 124 ]; then
    echo "containers: not done within $LIMIT s (PGCHAT_CONTAINERS_TIMEOUT)"
    echo "# fail 1"
  fi
  exit "$status"
fi

export PGCHAT_COMPOSE_PROJECT=pgchat-test
export PGCHAT_COMPOSE_PROFILES=""
CONTAINERS=$ROOT/scripts/containers.sh
WORK=$(mktemp -d /tmp/pgchat-containers-test.XXXXXX)
export PGCHAT_COMPOSE_ENV=$WORK/env
WEB_PORT=5600
PG_PORT=5601

passed=0
timings=()
finished=""

fail() {
  echo "containers: FAILED at $1"
  echo "# pass $passed"
  echo "# fail 1"
  exit 1
}

# Runs a step, prints its duration; a failing step ends the suite.
step() {
  local name=$1 started=$SECONDS
  shift
  echo "containers: $name"
  "$@" || fail "$name"
  timings+=("$(printf '%-8s %4d s' "$name" $((SECONDS - started)))")
  echo "containers: $name done in $((SECONDS - started)) s"
}

# On any exit: the containers' last words when something failed, then nothing of the project left.
cleanup() {
  if [ -z "$finished" ] && [ -x "$CONTAINERS" ]; then
    local engine id
    engine=$("$CONTAINERS" engine 2>/dev/null) || engine=""
    if [ -n "$engine" ] && command -v "$engine" >/dev/null 2>&1; then
      for id in $("$engine" ps -aq --filter "label=com.docker.compose.project=$PGCHAT_COMPOSE_PROJECT" 2>/dev/null); do
        echo "---- logs of $("$engine" inspect --format '{{.Name}}' "$id" 2>/dev/null)"
        "$engine" logs --tail 30 "$id" 2>&1 | sed 's/^/  /'
      done
    fi
    "$CONTAINERS" down -v >/dev/null 2>&1
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 143' TERM INT

engine_runs() {
  local engine
  engine=$("$CONTAINERS" engine)
  if [ "$engine" = podman ]; then export CONTAINERS_CONF="$ROOT/.cache/containers/containers.conf"; fi
  local out
  if ! out=$("$engine" run --rm --pull=never --network=none docker.io/library/debian:bookworm-slim echo runs 2>&1) || [ "$out" != runs ]; then
    echo "containers: $engine cannot run a container on this machine:"
    echo "$out" | sed 's/^/  /'
    echo "containers: (PGCHAT_TEST_CONTAINERS=0 skips this suite)"
    return 1
  fi
}

runtime_is_slim() {
  local engine found
  engine=$("$CONTAINERS" engine)
  "$CONTAINERS" sizes
  # no compiler, no node, no node_modules in the bridge's runtime image
  found=$("$engine" run --rm --pull=never --network=none --entrypoint /bin/sh pgchat/bridge:latest -c \
    'for c in cc gcc clang node npm make; do command -v $c; done; find / -xdev -name node_modules -print 2>/dev/null | head -3')
  if [ -n "$found" ]; then
    echo "containers: the bridge's runtime image holds build tools: $found"
    return 1
  fi
  # and it runs as its unprivileged user
  [ "$("$engine" run --rm --pull=never --network=none --entrypoint /usr/bin/id pgchat/bridge:latest -u)" = 10001 ]
}

# The test's variables: .env.example with random passwords and the test's ports.
write_env() {
  local line
  (umask 077
   while IFS= read -r line; do
     case "$line" in
       [A-Z]*=change-me*) echo "${line%%=*}=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')" ;;
       PGCHAT_HTTP_PORT=*) echo "PGCHAT_HTTP_PORT=$WEB_PORT" ;;
       POSTGRES_HOST_PORT=*) echo "POSTGRES_HOST_PORT=$PG_PORT" ;;
       *) echo "$line" ;;
     esac
   done <"$ROOT/docker/.env.example" >"$PGCHAT_COMPOSE_ENV")
}

wait_healthy() {
  local deadline=$((SECONDS + 180)) service
  for service in postgres redis bridge-1 bridge-2; do
    until "$CONTAINERS" health "$service"; do
      [ $SECONDS -lt $deadline ] || { echo "containers: $service is not healthy after 180 s"; return 1; }
      sleep 1
    done
  done
  until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$WEB_PORT/health")" = 200 ]; do
    [ $SECONDS -lt $deadline ] || { echo "containers: no 200 from http://127.0.0.1:$WEB_PORT/health"; return 1; }
    sleep 1
  done
}

up() {
  # what an earlier run killed midway may have left
  "$CONTAINERS" down -v || return 1
  write_env
  "$CONTAINERS" start && wait_healthy
}

chat() {
  if [ ! -d "$HERE/node_modules" ]; then
    (cd "$HERE" && npm ci --no-audit --no-fund --silent) || return 1
  fi
  local log=$WORK/chat.log status
  PGCHAT_CONTAINERS_URL="http://127.0.0.1:$WEB_PORT" PGCHAT_CONTAINERS_SCRIPT="$CONTAINERS" \
    node --test --test-concurrency=1 --test-reporter=tap "$HERE/chat.test.mjs" >"$log" 2>&1
  status=$?
  # its own counts are the suite's, beside the steps
  sed -E 's/^# (pass|fail) /# chat \1 /' "$log"
  passed=$((passed + $(grep -aE '^# pass [0-9]+' "$log" | awk '{print $3}' | head -1)))
  return $status
}

nothing_left() {
  local engine label=label=com.docker.compose.project=$PGCHAT_COMPOSE_PROJECT left
  engine=$("$CONTAINERS" engine)
  "$CONTAINERS" down -v || return 1
  left=$("$engine" ps -aq --filter "$label"; "$engine" volume ls -q --filter "$label"; "$engine" network ls -q --filter "$label")
  if [ -n "$left" ]; then
    echo "containers: left behind: $left"
    return 1
  fi
}

step setup "$CONTAINERS" setup
step engine engine_runs
step build "$CONTAINERS" build
step sizes runtime_is_slim
step up up
step chat chat
step down nothing_left
finished=1
passed=$((passed + 6))

echo "containers: steps"
printf '  %s\n' "${timings[@]}"
echo "containers: images"
"$CONTAINERS" sizes | sed 's/^/  /'
echo "# pass $passed"
echo "# fail 0"
