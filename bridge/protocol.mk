# The protocol layer (http_server, Engine.IO, Socket.IO) and its conformance server.
#   make conformance-server                 build it and run it in the foreground on port 3000
#   make bridge/conformance-server          build only
#   make bridge/conformance-server-asan     the same built with AddressSanitizer (tests, leaks)
#   make protocol-unit                      the codec and chunked-body unit tests
# Objects live under bridge/build/ so they never meet the bridge's own rules.

PROTOCOL_CC ?= cc
PROTOCOL_CFLAGS ?= -std=c11 -O2 -g -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow \
	-Wno-missing-field-initializers
PROTOCOL_LIBS = -lwebsockets -luv -ljansson
PROTOCOL_PORT ?= 3000

PROTOCOL_LIB_SRCS = bridge/http_server.c bridge/http_chunked.c bridge/queue_budget.c bridge/address_count.c bridge/eio_base64.c bridge/eio_packet.c \
	bridge/eio_server.c bridge/eio_map.c bridge/sio_packet.c bridge/sio_server.c
PROTOCOL_CODEC_SRCS = bridge/eio_base64.c bridge/eio_packet.c bridge/sio_packet.c
PROTOCOL_HEADERS = $(wildcard bridge/http_server.h bridge/http_chunked.h bridge/queue_budget.h bridge/address_count.h bridge/eio_*.h bridge/sio_*.h)

PROTOCOL_OBJS = $(PROTOCOL_LIB_SRCS:bridge/%.c=bridge/build/protocol/%.o)
PROTOCOL_ASAN_OBJS = $(PROTOCOL_LIB_SRCS:bridge/%.c=bridge/build/protocol-asan/%.o)
PROTOCOL_CODEC_OBJS = $(PROTOCOL_CODEC_SRCS:bridge/%.c=bridge/build/protocol/%.o)

bridge/build/protocol/%.o: bridge/%.c $(PROTOCOL_HEADERS)
	@mkdir -p $(dir $@)
	$(PROTOCOL_CC) $(PROTOCOL_CFLAGS) -c $< -o $@

bridge/build/protocol-asan/%.o: bridge/%.c $(PROTOCOL_HEADERS)
	@mkdir -p $(dir $@)
	$(PROTOCOL_CC) $(PROTOCOL_CFLAGS) -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -c $< -o $@

bridge/conformance-server: $(PROTOCOL_OBJS) bridge/build/protocol/conformance_server.o
	$(PROTOCOL_CC) $(PROTOCOL_CFLAGS) -o $@ $^ $(PROTOCOL_LIBS)

bridge/conformance-server-asan: $(PROTOCOL_ASAN_OBJS) bridge/build/protocol-asan/conformance_server.o
	$(PROTOCOL_CC) $(PROTOCOL_CFLAGS) -fsanitize=address,undefined -o $@ $^ $(PROTOCOL_LIBS)

test/protocol/bin/codec_test: test/protocol/codec_test.c $(PROTOCOL_CODEC_OBJS)
	@mkdir -p $(dir $@)
	$(PROTOCOL_CC) $(PROTOCOL_CFLAGS) -Ibridge -o $@ $^ -ljansson

test/protocol/bin/http_chunked_test: test/protocol/http_chunked_test.c bridge/build/protocol/http_chunked.o
	@mkdir -p $(dir $@)
	$(PROTOCOL_CC) $(PROTOCOL_CFLAGS) -Ibridge -o $@ $^

.PHONY: conformance-server protocol-unit protocol-test
conformance-server: bridge/conformance-server
	bridge/conformance-server --port $(PROTOCOL_PORT)

protocol-unit: test/protocol/bin/codec_test test/protocol/bin/http_chunked_test
	test/protocol/bin/codec_test
	test/protocol/bin/http_chunked_test

protocol-test:
	test/protocol/run.sh

# The integration tests against the server built with AddressSanitizer and UBSan.
.PHONY: protocol-test-asan
protocol-test-asan:
	PROTOCOL_SANITIZE=1 test/protocol/run.sh
