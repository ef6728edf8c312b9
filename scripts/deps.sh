#!/usr/bin/env bash
# Makes a Debian 12 machine ready to build, run and test pgchat. Idempotent: it installs only
# the packages that are missing, so a second run costs a dpkg query and nothing else.
set -euo pipefail

packages=(
  make gcc clang libclang-rt-14-dev binutils pkg-config ca-certificates curl git
  postgresql-15 postgresql-server-dev-15 postgresql-15-pgtap libtap-parser-sourcehandler-pgtap-perl
  libsodium-dev libjansson-dev libuv1-dev libhiredis-dev
  libwebsockets-dev libwebsockets-evlib-uv
  redis-server
  nodejs
  valgrind wrk
  chromium
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# node from another source (e.g. nodesource) carries its own npm; Debian's nodejs needs npm apart.
command -v npm >/dev/null 2>&1 || missing+=(npm)
# kubectl reads the Kubernetes manifests in the deploy suite; any kubectl will do (one from
# Google's or Kubernetes' own packages owns the same path, so Debian's is added only when none is).
command -v kubectl >/dev/null 2>&1 || missing+=(kubernetes-client)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi

echo "deps: installing ${missing[*]}"
# pgchat runs its own private cluster; don't let the package create and start a system one.
if [[ " ${missing[*]} " == *" postgresql-15 "* ]]; then
  $sudo mkdir -p /etc/postgresql-common/createcluster.d
  echo "create_main_cluster = false" | $sudo tee /etc/postgresql-common/createcluster.d/pgchat.conf >/dev/null
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
# policy-rc.d 101: packages install without starting system services (redis, postgresql).
policy=/usr/sbin/policy-rc.d
made_policy=""
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
  $sudo chmod +x "$policy"
  made_policy=1
fi
status=0
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}" || status=$?
[ -n "$made_policy" ] && $sudo rm -f "$policy"
exit $status
