# syntax=docker/dockerfile:1
# PostgreSQL 15 (the official image) with the chat extension built in. The extension is built
# by the project's Makefile (PGXS) in a builder stage; the final image gets only what
# `make install` installs, libsodium (which chat.so links) and the first-start script.
# Build from the repository root:  docker build -f docker/postgres.Dockerfile .
ARG POSTGRES_IMAGE=postgres:15-bookworm

FROM ${POSTGRES_IMAGE} AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential postgresql-server-dev-15 libsodium-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Makefile chat.control ./
COPY extension/ extension/
COPY sql/ sql/
RUN make -j2
# Staged under /src/stage so the final stage copies exactly what `make install` installs.
RUN make install DESTDIR=/src/stage

FROM ${POSTGRES_IMAGE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends libsodium23 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/stage/usr/ /usr/
# Run once by the image's entrypoint, on an empty data volume.
COPY docker/initdb/ /docker-entrypoint-initdb.d/
