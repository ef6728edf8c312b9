# syntax=docker/dockerfile:1
# The bridge, serving the web build, on debian:bookworm-slim alone. Both are built by the
# project's Makefile (`make web`, `make bridge/pgchat-bridge`) in builder stages; the runtime has
# the shared libraries the bridge links and the web build, no compiler and no node_modules, and
# runs as an unprivileged user (compose and the manifests also make its root read-only).
# Build from the repository root:  docker build -f docker/bridge.Dockerfile .

# ---- the web client (Vite), on Debian's node ----
# No pg_config here: the Makefile says so once and goes on to the web target.
FROM debian:bookworm-slim AS web
RUN apt-get update \
 && apt-get install -y --no-install-recommends make nodejs npm ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Makefile ./
COPY web/ web/
# npm trusts the certificate authorities of the machine that builds, when it lends them (behind a
# proxy that inspects TLS, the registry's chain ends in the proxy's own CA): a build secret, so
# they are in no layer. Without it, node warns once and uses its own.
ENV NODE_EXTRA_CA_CERTS=/run/secrets/host-ca
RUN --mount=type=secret,id=host-ca make web

# ---- the bridge (C) ----
# The same builder as the database image's (same lines, so the engine builds this layer once).
# postgresql-server-dev-15: the Makefile includes PGXS, whatever the target.
FROM debian:bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential postgresql-server-dev-15 libpq-dev libsodium-dev \
      libwebsockets-dev libuv1-dev libjansson-dev libhiredis-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Makefile ./
COPY bridge/ bridge/
RUN make -j2 bridge/pgchat-bridge

# ---- runtime ----
FROM debian:bookworm-slim
# libwebsockets loads its libuv support as a plugin at run time: libwebsockets-evlib-uv.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libwebsockets17 libwebsockets-evlib-uv libuv1 \
      libpq5 libhiredis0.14 libjansson4 ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --no-create-home --shell /usr/sbin/nologin pgchat
COPY --from=build /src/bridge/pgchat-bridge /usr/local/bin/pgchat-bridge
COPY --from=web /src/web/dist/ /usr/share/pgchat/web/
COPY docker/bridge-healthcheck.sh /usr/local/bin/pgchat-healthcheck
ENV PGCHAT_PORT=5000 \
    PGCHAT_WEB_ROOT=/usr/share/pgchat/web
USER 10001:10001
EXPOSE 5000
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 CMD ["pgchat-healthcheck"]
# SIGTERM drains requests in flight (PGCHAT_DRAIN_SECONDS, default 10) before the bridge exits.
STOPSIGNAL SIGTERM
ENTRYPOINT ["pgchat-bridge"]
