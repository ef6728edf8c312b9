# pgchat: the front door. The extension is built with PGXS; the bridge, the web app and the tests
# have their own fragments (bridge/bridge.mk, web/web.mk, ...) included below.
#
#   make            build the extension (and whatever the fragments add to `all`)
#   make install    install the extension into the local PostgreSQL 15 (needs root)
#   make run        the whole product in the foreground; Ctrl-C stops all of it
#   make start      the same in the background;  make stop  stops it;  make reset  wipes its data
#   eval "$(make -s env)"   points psql and scripts at the running instance
#   make test       every test
#   make compose-up / compose-down   the container stack (docker/compose.yaml) on 127.0.0.1:5000

EXTENSION = chat
MODULE_big = chat
OBJS = $(patsubst %.c,%.o,$(wildcard extension/*.c))
# The install script of 1.0 and every upgrade step from it (never edit a released one).
DATA = $(wildcard sql/chat--*.sql)
SHLIB_LINK = -lsodium
# PostgreSQL's own headers are system headers to us: -Wextra is for our code.
PG_CPPFLAGS = -Iextension -isystem $(shell $(PG_CONFIG) --includedir-server)
# PGXS adds its own warning set; ours on top of it, and any warning fails the build. -MMD writes
# each object's header dependencies (extension/*.d), so changing a header rebuilds its users:
# PGXS does not track them, and a stale object reading a changed struct crashes the backend.
PG_CFLAGS = -Wall -Wextra -Werror -MMD -MP
EXTRA_CLEAN = $(OBJS:.o=.d)

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)
-include $(OBJS:.o=.d)

# Later parts of the product hook themselves in here.
-include bridge/protocol.mk
-include bridge/bridge.mk
-include web/web.mk

SERVICES = scripts/services.sh

.PHONY: deps run start stop reset env status test bench-accounts bench-attachments compose-up compose-down container-images container-sizes

deps:
	@scripts/deps.sh

# Installing the extension writes into PostgreSQL's own folders, hence sudo when not root.
install-extension: all
	@if [ "$$(id -u)" -eq 0 ]; then $(MAKE) -s install; else sudo $(MAKE) -s install; fi

run: deps install-extension $(RUN_PREREQUISITES)
	@$(SERVICES) run

start: deps install-extension $(RUN_PREREQUISITES)
	@$(SERVICES) start

stop:
	@$(SERVICES) stop

reset:
	@$(SERVICES) reset

status:
	@$(SERVICES) status

env:
	@$(SERVICES) env

test: deps install-extension $(TEST_PREREQUISITES)
	@scripts/test.sh

bench-accounts: deps install-extension
	@test/bench/accounts.sh

# 20 clients upload and download files through the bridge; never beside another benchmark.
bench-attachments: deps install-extension bridge/pgchat-bridge
	@flock /tmp/pgchat-bench.lock test/bench/attachments.sh

# The stack in containers (scripts/containers.sh): podman-compose, or docker compose where a
# Docker daemon runs; the images build from a Debian base made by debootstrap when missing.
compose-up:
	@scripts/containers.sh up

# Stops and removes the stack's containers and network; the volumes (the data) stay:
# `make compose-down VOLUMES=1` removes them too.
compose-down:
	@scripts/containers.sh down $(if $(VOLUMES),-v)

container-images:
	@scripts/containers.sh build

container-sizes:
	@scripts/containers.sh sizes
