#!/usr/bin/env bash
# Extension tests that need more than one SQL session: dumps and restores, concurrent sessions,
# NOTIFY delivered at commit. Each *.t prints TAP; prove adds them up.
set -euo pipefail
cd "$(dirname "$0")"
exec prove --exec bash ./*.t
