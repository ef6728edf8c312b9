#!/usr/bin/env bash
# pgchat in containers, on this machine: the engine, the base image, the images, the compose stack.
#   scripts/containers.sh setup     install podman and podman-compose if no Docker engine answers,
#                                   and make the Debian base image when it is missing
#   scripts/containers.sh build     the four images (pgchat/postgres, bridge, redis, proxy)
#   scripts/containers.sh up        setup, build, then the stack in the background (docker/.env,
#                                   made with random passwords when missing)
#   scripts/containers.sh start     the stack from the images built (no setup, no build)
#   scripts/containers.sh service stop|start|restart NAME   a service's container
#   scripts/containers.sh health NAME                       0 when its health check passes now
#   scripts/containers.sh down      stop and remove the stack's containers and network (-v: volumes too)
#   scripts/containers.sh sizes     the images' sizes
#   scripts/containers.sh compose ARGS...   the engine's compose, on docker/compose.yaml
#   scripts/containers.sh engine    prints podman or docker
# Settings (environment):
#   PGCHAT_CONTAINER_ENGINE    podman or docker (default: docker when its daemon answers, else podman)
#   PGCHAT_COMPOSE_PROJECT     the compose project: names of containers, network, volumes (pgchat)
#   PGCHAT_COMPOSE_ENV         the file of variables compose reads (docker/.env)
#   PGCHAT_COMPOSE_PROFILES    extra profiles to start, comma-separated (e.g. pgadmin)
#   PGCHAT_CONTAINERS_CACHE    what this script writes: containers.conf, the base image's tarball,
#                              build contexts (.cache/containers, git-ignored)
#   PGCHAT_DEBIAN_MIRROR       the mirror debootstrap and the images use (http://deb.debian.org/debian)
#   PGCHAT_BUILD_CA            certificate authorities lent to the web build's npm as a build
#                              secret (/etc/ssl/certs/ca-certificates.crt: this machine's own)
# No image is ever pulled: the base is made by debootstrap and imported under the name the
# Dockerfiles' FROM lines use; everything else builds from it.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${PGCHAT_CONTAINERS_CACHE:-$ROOT/.cache/containers}
PROJECT=${PGCHAT_COMPOSE_PROJECT:-pgchat}
ENV_FILE=${PGCHAT_COMPOSE_ENV:-$ROOT/docker/.env}
COMPOSE_FILE=$ROOT/docker/compose.yaml
MIRROR=${PGCHAT_DEBIAN_MIRROR:-http://deb.debian.org/debian}
BASE_IMAGE=docker.io/library/debian:bookworm-slim
# image name, Dockerfile (the build order: the base's layers are shared as they come)
IMAGES=(
  "pgchat/redis:latest docker/redis.Dockerfile"
  "pgchat/proxy:latest docker/proxy.Dockerfile"
  "pgchat/postgres:latest docker/postgres.Dockerfile"
  "pgchat/bridge:latest docker/bridge.Dockerfile"
)

say() { echo "containers: $*" >&2; }
die() { say "$*"; exit 1; }

sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo

engine() {
  if [ -n "${PGCHAT_CONTAINER_ENGINE:-}" ]; then echo "$PGCHAT_CONTAINER_ENGINE"; return; fi
  # a docker client alone (no daemon) does not count
  if command -v docker >/dev/null 2>&1 && timeout 10 docker info >/dev/null 2>&1; then echo docker; else echo podman; fi
}
ENGINE=$(engine)

# Rootful podman on this kind of machine: crun refuses hybrid cgroups, so runc; root may not
# raise its own file limit, so the containers' limits are set below it.
podman_conf() {
  mkdir -p "$CACHE"
  local conf=$CACHE/containers.conf
  cat >"$conf.new" <<'EOF'
# written by scripts/containers.sh
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
runtime = "runc"
EOF
  mv "$conf.new" "$conf"
  export CONTAINERS_CONF=$conf
}

install_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing ${missing[*]}"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null \
    || { $sudo apt-get update -q >/dev/null && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null; } \
    || die "could not install ${missing[*]}"
}

# podman without systemd (a container host) says on every start and stop that it cannot arm
# the health checks' timers; they are run on demand here (health), so that line is dropped.
# Its stderr goes through a file, not a pipe: `podman start` leaves conmon holding it open.
E() {
  [ "$ENGINE" = podman ] || { "$ENGINE" "$@"; return; }
  local err status=0
  err=$(mktemp)
  "$ENGINE" "$@" 2>"$err" || status=$?
  grep -v 'unable to get systemd connection' "$err" >&2 || true
  rm -f "$err"
  return $status
}

# The compose command of the engine, as an array in COMPOSE.
compose_command() {
  if [ "$ENGINE" = docker ]; then
    if docker compose version >/dev/null 2>&1; then COMPOSE=(docker compose); else COMPOSE=(docker-compose); fi
  else
    COMPOSE=(podman-compose -p "$PROJECT" -f "$(podman_compose_file)")
    return
  fi
  COMPOSE+=(-p "$PROJECT" -f "$COMPOSE_FILE" --env-file "$ENV_FILE")
}

setup() {
  if [ "$ENGINE" = podman ]; then
    # dnsname: containers find each other by service name on the compose network
    install_packages podman podman-compose runc golang-github-containernetworking-plugin-dnsname
  fi
  base_image
}

# The base: debootstrap's minimal Debian 12, trimmed as the slim images are (no docs, man pages
# or locales from packages installed later, no recommends), imported once and kept.
base_image() {
  if E image exists "$BASE_IMAGE" 2>/dev/null || E image inspect "$BASE_IMAGE" >/dev/null 2>&1; then return 0; fi
  local tarball=$CACHE/debian-bookworm-slim.tar
  if [ ! -s "$tarball" ]; then
    install_packages debootstrap
    local root=$CACHE/rootfs
    $sudo rm -rf "$root"
    mkdir -p "$CACHE"
    say "debootstrap --variant=minbase bookworm from $MIRROR"
    $sudo debootstrap --variant=minbase bookworm "$root" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1 \
      || { tail -20 "$CACHE/debootstrap.log" >&2; die "debootstrap failed (log: $CACHE/debootstrap.log)"; }
    local security=${MIRROR%/debian}/debian-security
    $sudo tee "$root/etc/apt/sources.list" >/dev/null <<EOF
deb $MIRROR bookworm main
deb $MIRROR bookworm-updates main
deb $security bookworm-security main
EOF
    $sudo tee "$root/etc/dpkg/dpkg.cfg.d/slim" >/dev/null <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
    printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\nAcquire::Languages "none";\nDir::Cache::pkgcache "";\nDir::Cache::srcpkgcache "";\n' | $sudo tee "$root/etc/apt/apt.conf.d/90slim" >/dev/null
    # apt's package caches (80 MB) are rebuilt from the lists at each install, which the images drop
    $sudo rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/cache/apt/*.bin "$root"/var/lib/apt/lists/* "$root"/usr/share/man/* \
      "$root"/usr/share/info/* "$root"/var/log/*.log "$root"/dev/*
    $sudo find "$root/usr/share/doc" -mindepth 2 ! -name copyright -delete 2>/dev/null || true
    $sudo find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} + 2>/dev/null || true
    $sudo tar -C "$root" --numeric-owner -cf "$tarball.new" .
    mv "$tarball.new" "$tarball"
    $sudo rm -rf "$root"
  fi
  say "importing the base image as $BASE_IMAGE"
  E import --quiet --change 'CMD ["/bin/bash"]' "$tarball" "$BASE_IMAGE" >/dev/null
}

# A build context of the working tree's source files only (what git tracks or would track): no
# build output, node_modules or private data, whatever the engine makes of .dockerignore files.
context() {
  local dir=$CACHE/context
  rm -rf "$dir"
  mkdir -p "$dir"
  (cd "$ROOT" && git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
    [ -e "$f" ] && printf '%s\0' "$f"; done | tar --null -T - -cf -) | tar -C "$dir" -xf -
  echo "$dir"
}

build() {
  local dir entry image dockerfile started secret=()
  dir=$(context)
  local ca=${PGCHAT_BUILD_CA:-/etc/ssl/certs/ca-certificates.crt}
  [ -s "$ca" ] && secret=(--secret "id=host-ca,src=$ca")
  # podman 4.3's layer cache misses steps it has (the web stage's, with a build secret), so a
  # build of the same sources as the last one is skipped
  local sum stamp
  sum=$( (cd "$dir" && find . -type f -print0 | sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-64)
  for entry in "${IMAGES[@]}"; do
    read -r image dockerfile <<<"$entry"
    stamp=$CACHE/built-${image//[\/:]/_}
    if [ "$(cat "$stamp" 2>/dev/null)" = "$sum" ] && E image inspect "$image" >/dev/null 2>&1; then
      say "$image is up to date"
      continue
    fi
    started=$SECONDS
    say "building $image"
    if [ "$ENGINE" = podman ]; then
      # --pull=never: FROM names the imported base, nothing comes from a registry; the docker
      # format keeps the images' HEALTHCHECK (OCI has none)
      podman build --pull=never --jobs=1 --layers --format docker "${secret[@]}" -t "$image" -f "$dir/$dockerfile" "$dir" >"$CACHE/build.log" 2>&1 \
        || { tail -40 "$CACHE/build.log" >&2; die "building $image failed (log: $CACHE/build.log)"; }
    else
      DOCKER_BUILDKIT=1 docker build "${secret[@]}" -t "$image" -f "$dir/$dockerfile" "$dir" >"$CACHE/build.log" 2>&1 \
        || { tail -40 "$CACHE/build.log" >&2; die "building $image failed (log: $CACHE/build.log)"; }
    fi
    say "built $image in $((SECONDS - started)) s"
    echo "$sum" >"$stamp"
  done
  # the layers of earlier builds that the new tags replaced
  E image prune -f >/dev/null 2>&1 || true
}

sizes() {
  local entry image
  for entry in "$BASE_IMAGE x" "${IMAGES[@]}"; do
    read -r image _ <<<"$entry"
    E image inspect --format '{{.Size}}' "$image" 2>/dev/null \
      | awk -v i="$image" '{ printf "%-40s %6.1f MB\n", i, $1 / 1e6 }' || echo "$image: not built"
  done
}

# Compose's variables: docker/.env, made with random passwords on first use.
load_env() {
  if [ ! -f "$ENV_FILE" ]; then
    say "writing $ENV_FILE with random passwords (from docker/.env.example)"
    local line
    (umask 077
     while IFS= read -r line; do
       case "$line" in
         [A-Z]*=change-me*) echo "${line%%=*}=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')" ;;
         *) echo "$line" ;;
       esac
     done <"$ROOT/docker/.env.example" >"$ENV_FILE")
  fi
  set -a
  # shellcheck disable=SC1090
  source "$ENV_FILE"
  set +a
}

# The services to start: those of no profile, and those of a profile asked for (podman-compose
# 1.0 knows no profiles, so the services are named).
services() {
  python3 - "$COMPOSE_FILE" "${PGCHAT_COMPOSE_PROFILES:-}" <<'PY'
import sys, yaml
services = yaml.safe_load(open(sys.argv[1]))["services"]
wanted = set(filter(None, sys.argv[2].split(",")))
print(" ".join(n for n, s in services.items() if not s.get("profiles") or wanted & set(s["profiles"])))
PY
}

up() {
  setup
  build
  start
}

start() {
  load_env
  compose_command
  local names
  read -r -a names <<<"$(services)"
  if [ "$ENGINE" = podman ]; then
    "${COMPOSE[@]}" up -d --no-build "${names[@]}" >"$CACHE/up.log" 2>&1 || { cat "$CACHE/up.log" >&2; die "compose up failed"; }
  else
    COMPOSE_PROFILES=${PGCHAT_COMPOSE_PROFILES:-} "${COMPOSE[@]}" up -d --no-build "${names[@]}"
  fi
  say "up: ${names[*]}; http://127.0.0.1:${PGCHAT_HTTP_PORT:-5000}"
}

# Everything of the project: containers, its network (podman-compose 1.0 leaves it), and with
# -v its volumes. Works from labels, so it needs neither the env file nor the compose file's state.
down() {
  local volumes=""
  [ "${1:-}" = -v ] && volumes=1
  local label=com.docker.compose.project=$PROJECT ids
  ids=$(E ps -aq --filter "label=$label")
  # SIGINT/SIGTERM as each image asks; after 15 s, killed
  [ -n "$ids" ] && E stop -t 15 $ids >/dev/null
  [ -n "$ids" ] && E rm -f $ids >/dev/null
  ids=$(E network ls -q --filter "label=$label" 2>/dev/null || true)
  [ -n "$ids" ] && E network rm $ids >/dev/null
  if [ -n "$volumes" ]; then
    ids=$(E volume ls -q --filter "label=$label")
    [ -n "$ids" ] && E volume rm -f $ids >/dev/null
  fi
  return 0
}

# podman-compose 1.0 reads the .env beside the compose file over the environment (and has no
# --env-file): it gets a copy of the file in a folder of the project's own, with the relative
# paths made absolute, so the env file chosen here is the one that counts.
podman_compose_file() {
  local dir=$CACHE/compose-$PROJECT
  mkdir -p "$dir"
  python3 - "$COMPOSE_FILE" "$dir/compose.yaml" <<'PY'
import os, sys, yaml
source, target = sys.argv[1:]
base = os.path.dirname(source)
doc = yaml.safe_load(open(source))
for service in doc["services"].values():
    build = service.get("build")
    if isinstance(build, dict) and "context" in build:
        build["context"] = os.path.normpath(os.path.join(base, build["context"]))
    volumes = service.get("volumes") or []
    for i, volume in enumerate(volumes):
        if isinstance(volume, str) and volume.startswith("."):
            source_path, rest = volume.split(":", 1)
            volumes[i] = os.path.normpath(os.path.join(base, source_path)) + ":" + rest
with open(target, "w") as out:
    out.write("# generated by scripts/containers.sh from docker/compose.yaml: edit that one\n")
    yaml.safe_dump(doc, out, sort_keys=False)
PY
  echo "$dir/compose.yaml"
}

# The one container of a compose service of the project.
service_container() {
  local id
  id=$(E ps -aq --filter "label=com.docker.compose.project=$PROJECT" --filter "label=com.docker.compose.service=$1")
  [ -n "$id" ] || die "no container of service $1 in project $PROJECT"
  echo "$id"
}

# stop|start|restart a service's container (stop: the image's STOPSIGNAL, killed after 15 s)
service() {
  local action=$1 id
  id=$(service_container "$2")
  case "$action" in
    stop|restart) E "$action" -t 15 "$id" >/dev/null ;;
    start) E start "$id" >/dev/null ;;
    *) die "service: stop, start or restart" ;;
  esac
}

# Exits 0 when the service's health check passes now (podman runs it here and then: its timers
# need systemd, which a container host may lack).
health() {
  local id
  id=$(service_container "$1")
  if [ "$ENGINE" = podman ]; then
    podman healthcheck run "$id" >/dev/null 2>&1
  else
    [ "$(docker inspect --format '{{.State.Health.Status}}' "$id")" = healthy ]
  fi
}

[ "$ENGINE" = podman ] && podman_conf
cmd=${1:-}
shift || true
case "$cmd" in
  setup) setup ;;
  build) setup; build ;;
  up) up ;;
  start) start ;;
  service) service "$@" ;;
  health) health "$1" ;;
  down) down "$@" ;;
  sizes) sizes ;;
  engine) echo "$ENGINE" ;;
  compose) load_env; compose_command; exec "${COMPOSE[@]}" "$@" ;;
  *) sed -n '2,/^set -euo/p' "$0" | sed '$d' >&2; exit 2 ;;
esac
