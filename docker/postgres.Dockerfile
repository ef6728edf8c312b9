# syntax=docker/dockerfile:1
# PostgreSQL 15 from Debian's packages with the chat extension built in, on debian:bookworm-slim
# alone. The extension is built by the project's Makefile (PGXS) in a builder stage; the final
# image gets what `make install` installs, libsodium (which chat.so links), the project's own
# entrypoint (docker/postgres-entrypoint.sh: POSTGRES_PASSWORD, POSTGRES_USER, POSTGRES_DB,
# POSTGRES_INITDB_ARGS, PGDATA and /docker-entrypoint-initdb.d, as users of the official image
# know them) and the first-start script.
# Build from the repository root:  docker build -f docker/postgres.Dockerfile .

# The same builder as the bridge's (same lines, so the engine builds this layer once for both).
FROM debian:bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential postgresql-server-dev-15 libpq-dev libsodium-dev \
      libwebsockets-dev libuv1-dev libjansson-dev libhiredis-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Makefile chat.control ./
COPY extension/ extension/
COPY sql/ sql/
RUN make -j2
# Staged under /src/stage so the final stage copies exactly what `make install` installs.
RUN make install DESTDIR=/src/stage

FROM debian:bookworm-slim
# The postgres user with uid 999 (the manifests run it so), made before the package would pick
# another; Debian's packaging must not create and start a cluster of its own.
RUN groupadd --system --gid 999 postgres \
 && useradd --system --uid 999 --gid postgres --home-dir /var/lib/postgresql --shell /bin/bash postgres \
 && mkdir -p /etc/postgresql-common/createcluster.d \
 && echo 'create_main_cluster = false' >/etc/postgresql-common/createcluster.d/pgchat.conf \
 && apt-get update \
 && apt-get install -y --no-install-recommends postgresql-15 libsodium23 \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /var/lib/postgresql/data /var/run/postgresql \
 && chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql \
 && chmod 700 /var/lib/postgresql/data && chmod 2775 /var/run/postgresql
COPY --from=build /src/stage/usr/ /usr/
COPY docker/postgres-entrypoint.sh /usr/local/bin/pgchat-postgres-entrypoint
# Run once by the entrypoint, on an empty data folder.
COPY docker/initdb/ /docker-entrypoint-initdb.d/
ENV PATH=/usr/lib/postgresql/15/bin:$PATH \
    PGDATA=/var/lib/postgresql/data
EXPOSE 5432
# fast shutdown: SIGTERM (smart) would wait for every bridge connection to end
STOPSIGNAL SIGINT
ENTRYPOINT ["pgchat-postgres-entrypoint"]
CMD ["postgres"]
