# syntax=docker/dockerfile:1
# Redis from Debian's package, on debian:bookworm-slim, for presence and typing. The password is
# given by the start script of compose and the manifests (on stdin, never on a command line).
# Build from the repository root:  docker build -f docker/redis.Dockerfile .
FROM debian:bookworm-slim
# the redis user with uid 999 (compose and the manifests run it so), made before the package would pick another
RUN groupadd --system --gid 999 redis \
 && useradd --system --uid 999 --gid redis --home-dir /data --no-create-home --shell /usr/sbin/nologin redis \
 && apt-get update \
 && apt-get install -y --no-install-recommends redis-server \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /data && chown redis:redis /data
WORKDIR /data
USER 999:999
EXPOSE 6379
CMD ["redis-server"]
