# syntax=docker/dockerfile:1
# The stack's front door: Debian's HAProxy on debian:bookworm-slim, spreading clients over the
# bridge replicas (docker/haproxy.cfg) and taking a bridge out while its /health fails.
# Build from the repository root:  docker build -f docker/proxy.Dockerfile .
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends haproxy \
 && rm -rf /var/lib/apt/lists/*
COPY docker/haproxy.cfg /etc/haproxy/haproxy.cfg
USER haproxy
EXPOSE 5000
CMD ["haproxy", "-W", "-db", "-f", "/etc/haproxy/haproxy.cfg"]
