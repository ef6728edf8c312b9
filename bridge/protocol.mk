# The protocol layer (bridge/protocol/: HTTP and websockets, Engine.IO, Socket.IO) with the parts
# of bridge/core/ it stands on, and the test server that runs it alone.
#   make conformance-server                           build it and run it in the foreground on port 3000
#   make test/protocol/bin/conformance-server         build only
#   make test/protocol/bin/conformance-server-asan    the same built with AddressSanitizer (tests, leaks)
#   make protocol-unit                                the codec and chunked-body unit tests
# Objects live under bridge/build/ so they never meet the bridge's own rules.

PROTOCOL_CC ?= cc
PROTOCOL_CFLAGS ?= -std=c11 -O2 -g -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow \
	-Wno-missing-field-initializers -Ibridge
PROTOCOL_LIBS = -lwebsockets -luv -ljansson
PROTOCOL_PORT ?= 3000

# The core modules the protocol layer includes (test/bridge/layers.sh keeps it to core/).
PROTOCOL_CORE_SRCS = bridge/core/queue_budget.c bridge/core/address_count.c bridge/core/eio_map.c
PROTOCOL_LIB_SRCS = $(wildcard bridge/protocol/*.c) $(PROTOCOL_CORE_SRCS)
PROTOCOL_CODEC_SRCS = bridge/protocol/eio_base64.c bridge/protocol/eio_packet.c bridge/protocol/sio_packet.c
PROTOCOL_HEADERS = $(wildcard bridge/protocol/*.h) $(PROTOCOL_CORE_SRCS:.c=.h)

PROTOCOL_OBJS = $(PROTOCOL_LIB_SRCS:bridge/%.c=bridge/build/protocol/%.o)
PROTOCOL_ASAN_OBJS = $(PROTOCOL_LIB_SRCS:bridge/%.c=bridge/build/protocol-asan/%.o)
PROTOCOL_CODEC_OBJS = $(PROTOCOL_CODEC_SRCS:bridge/%.c=bridge/build/protocol/%.o)
CONFORMANCE_SERVER = test/protocol/bin/conformance-server

bridge/build/protocol/%.o: bridge/%.c $(PROTOCOL_HEADERS)
	@mkdir -p $(dir $@)
	$(PROTOCOL_CC) $(PROTOCOL_CFLAGS) -c $< -o $@

bridge/build/protocol-asan/%.o: bridge/%.c $(PROTOCOL_HEADERS)
	@mkdir -p $(dir $@)
	$(PROTOCOL_CC) $(PROTOCOL_CFLAGS) -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -c $< -o $@

bridge/build/protocol/test/conformance_server.o: test/protocol/conformance_server.c $(PROTOCOL_HEADERS)
	@mkdir -p $(dir $@)
	$(PROTOCOL_CC) $(PROTOCOL_CFLAGS) -c $< -o $@

bridge/build/protocol-asan/test/conformance_server.o: test/protocol/conformance_server.c $(PROTOCOL_HEADERS)
	@mkdir -p $(dir $@)
	$(PROTOCOL_CC) $(PROTOCOL_CFLAGS) -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -c $< -o $@

$(CONFORMANCE_SERVER): $(PROTOCOL_OBJS) bridge/build/protocol/test/conformance_server.o
	@mkdir -p $(dir $@)
	$(PROTOCOL_CC) $(PROTOCOL_CFLAGS) -o $@ $^ $(PROTOCOL_LIBS)

$(CONFORMANCE_SERVER)-asan: $(PROTOCOL_ASAN_OBJS) bridge/build/protocol-asan/test/conformance_server.o
	@mkdir -p $(dir $@)
	$(PROTOCOL_CC) $(PROTOCOL_CFLAGS) -fsanitize=address,undefined -o $@ $^ $(PROTOCOL_LIBS)

test/protocol/bin/codec_test: test/protocol/codec_test.c $(PROTOCOL_CODEC_OBJS)
	@mkdir -p $(dir $@)
	$(PROTOCOL_CC) $(PROTOCOL_CFLAGS) -o $@ $^ -ljansson

test/protocol/bin/http_chunked_test: test/protocol/http_chunked_test.c bridge/build/protocol/protocol/http_chunked.o
	@mkdir -p $(dir $@)
	$(PROTOCOL_CC) $(PROTOCOL_CFLAGS) -o $@ $^

.PHONY: conformance-server protocol-unit protocol-test
conformance-server: $(CONFORMANCE_SERVER)
	$(CONFORMANCE_SERVER) --port $(PROTOCOL_PORT)

protocol-unit: test/protocol/bin/codec_test test/protocol/bin/http_chunked_test
	test/protocol/bin/codec_test
	test/protocol/bin/http_chunked_test

protocol-test:
	test/protocol/run.sh

# The integration tests against the server built with AddressSanitizer and UBSan.
.PHONY: protocol-test-asan
protocol-test-asan:
	PROTOCOL_SANITIZE=1 test/protocol/run.sh
