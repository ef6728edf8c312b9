#!/bin/bash
# The bridge image's health check: GET /health on its own port must answer 200 (database
# reachable) within 3 seconds. bash's /dev/tcp keeps curl out of the runtime image.
set -euo pipefail
port=${PGCHAT_PORT:-5000}
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'GET /health HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
IFS= read -r -t 3 status_line <&3
case "$status_line" in
  "HTTP/1."[01]" 200"*) exit 0 ;;
  *) echo "bridge health: ${status_line%$'\r'}" >&2; exit 1 ;;
esac
