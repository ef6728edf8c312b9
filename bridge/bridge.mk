# The bridge (bridge/pgchat-bridge), built with its own variables and explicit rules, since PGXS
# owns CFLAGS and OBJS.
#   make bridge/pgchat-bridge        the bridge
#   make bridge/pgchat-bridge-asan   the same with AddressSanitizer and UBSan (tests: BRIDGE_ASAN=1)

BRIDGE_CC ?= cc
BRIDGE_CFLAGS = -std=c11 -O2 -g -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow \
	-Wno-missing-field-initializers -Ibridge -I$(shell pg_config --includedir)
BRIDGE_LIBS = -lwebsockets -luv -ljansson -lhiredis -L$(shell pg_config --libdir) -lpq
# Every .c of a layer folder is built: a new file joins by being put in its folder
# (docs/architecture.md says which folder; test/bridge/layers.sh checks the includes).
BRIDGE_LAYERS = core protocol presence chat http
BRIDGE_SRCS = bridge/main.c $(foreach layer,$(BRIDGE_LAYERS),$(wildcard bridge/$(layer)/*.c))
BRIDGE_HEADERS = $(foreach layer,$(BRIDGE_LAYERS),$(wildcard bridge/$(layer)/*.h))
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
