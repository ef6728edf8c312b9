# The bridge (bridge/pgchat-bridge), built with its own variables and explicit rules, since PGXS
# owns CFLAGS and OBJS.
#   make bridge/pgchat-bridge        the bridge
#   make bridge/pgchat-bridge-asan   the same with AddressSanitizer and UBSan (tests: BRIDGE_ASAN=1)

BRIDGE_CC ?= cc
BRIDGE_CFLAGS = -std=c11 -O2 -g -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow \
	-Wno-missing-field-initializers -I$(shell pg_config --includedir)
BRIDGE_LIBS = -lwebsockets -luv -ljansson -lhiredis -L$(shell pg_config --libdir) -lpq
# The protocol layer's sources (eio_*, sio_*) are compiled here too, with the bridge's flags.
BRIDGE_SRCS = bridge/main.c bridge/config.c bridge/log.c bridge/db.c bridge/errors.c \
	bridge/rest.c bridge/rest_params.c bridge/health.c bridge/static.c bridge/http_server.c bridge/http_chunked.c \
	bridge/eio_base64.c bridge/eio_packet.c bridge/eio_map.c bridge/eio_server.c \
	bridge/sio_packet.c bridge/sio_server.c \
	bridge/chat.c bridge/chat_sessions.c bridge/token_bucket.c bridge/queue_budget.c bridge/address_count.c bridge/rate_limit.c bridge/credential_guard.c bridge/metrics.c bridge/metrics_route.c bridge/chat_sql.c bridge/send_batch.c bridge/fanout.c bridge/listener.c \
	bridge/redis.c bridge/presence.c bridge/typing.c bridge/chat_presence.c \
	bridge/attachments_route.c bridge/attachments_upload.c bridge/attachments_download.c
BRIDGE_HEADERS = bridge/config.h bridge/log.h bridge/db.h bridge/errors.h bridge/rest.h \
	bridge/rest_routes.h bridge/rest_params.h bridge/health.h bridge/static.h bridge/http_server.h bridge/http_chunked.h \
	$(wildcard bridge/eio_*.h bridge/sio_*.h) bridge/chat.h bridge/chat_sessions.h bridge/token_bucket.h bridge/queue_budget.h bridge/address_count.h bridge/rate_limit.h bridge/credential_guard.h bridge/metrics.h bridge/metrics_route.h bridge/chat_sql.h bridge/send_batch.h bridge/fanout.h \
	bridge/listener.h bridge/redis.h bridge/presence.h bridge/typing.h bridge/chat_presence.h \
	bridge/attachments.h
BRIDGE_OBJS = $(BRIDGE_SRCS:bridge/%.c=bridge/build/bridge/%.o)
BRIDGE_ASAN_OBJS = $(BRIDGE_SRCS:bridge/%.c=bridge/build/bridge-asan/%.o)

all: bridge/pgchat-bridge
RUN_PREREQUISITES += bridge/pgchat-bridge
TEST_PREREQUISITES += bridge/pgchat-bridge

bridge/build/bridge/%.o: bridge/%.c $(BRIDGE_HEADERS)
	@mkdir -p $(dir $@)
	$(BRIDGE_CC) $(BRIDGE_CFLAGS) -c $< -o $@

bridge/build/bridge-asan/%.o: bridge/%.c $(BRIDGE_HEADERS)
	@mkdir -p $(dir $@)
	$(BRIDGE_CC) $(BRIDGE_CFLAGS) -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -c $< -o $@

bridge/pgchat-bridge: $(BRIDGE_OBJS)
	$(BRIDGE_CC) $(BRIDGE_CFLAGS) -o $@ $^ $(BRIDGE_LIBS)

bridge/pgchat-bridge-asan: $(BRIDGE_ASAN_OBJS)
	$(BRIDGE_CC) $(BRIDGE_CFLAGS) -fsanitize=address,undefined -o $@ $^ $(BRIDGE_LIBS)

.PHONY: bridge-clean
bridge-clean:
	rm -rf bridge/build/bridge bridge/build/bridge-asan bridge/pgchat-bridge bridge/pgchat-bridge-asan

# The realtime load generator (a libwebsockets client; not part of `all`) and its report.
#   make bench-load        build test/bench/bin/load
#   make bench-realtime    run test/bench/realtime_bench.sh (its own instance; a few minutes)
test/bench/bin/load: test/bench/load.c
	@mkdir -p $(dir $@)
	$(BRIDGE_CC) $(BRIDGE_CFLAGS) -o $@ $< -lwebsockets -ljansson

.PHONY: bench-load bench-realtime
bench-load: test/bench/bin/load

bench-realtime: deps install-extension bridge/pgchat-bridge test/bench/bin/load
	@test/bench/realtime_bench.sh
