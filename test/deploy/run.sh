#!/usr/bin/env bash
# The deploy suite: what can be checked of docker/ and docker/k8s without a Docker engine. The
# compose file and the manifests parse and agree with each other and with the variables the
# bridge reads; each Dockerfile's build stages are replayed on a clean copy of their sources with
# the Makefile's own commands; the database image's first-start script, the bridge with compose's
# environment and the image's health check run against this instance's PostgreSQL and Redis;
# Redis runs from compose's own script, and every change-me placeholder is refused.
# Expects the environment of scripts/test.sh (PG*, PGCHAT_*); prints node's "# pass N"/"# fail N".
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

if [ ! -d node_modules ]; then
  npm ci --no-audit --no-fund --silent || { echo "deploy: npm ci failed"; echo "# fail 1"; exit 1; }
fi
exec node --test --test-concurrency=1 compose.test.mjs k8s.test.mjs dockerfiles.test.mjs passwords.test.mjs stack.test.mjs
