# The web client: `make web` installs its node modules (npm ci from the lockfile) and builds it
# with Vite into web/dist, which the bridge serves. Each step runs again only when its inputs
# changed. Included by the top-level Makefile.

WEB_DIR := web
WEB_SOURCES := $(shell find $(WEB_DIR)/src -type f 2>/dev/null) $(WEB_DIR)/index.html $(WEB_DIR)/vite.config.js
# npm writes this file on every install: it stamps the modules as matching the lockfile.
WEB_INSTALLED := $(WEB_DIR)/node_modules/.package-lock.json
WEB_BUILT := $(WEB_DIR)/dist/index.html

.PHONY: web web-test web-clean

web: $(WEB_BUILT)

$(WEB_INSTALLED): $(WEB_DIR)/package.json $(wildcard $(WEB_DIR)/package-lock.json)
	@echo "web: installing node modules"
	@cd $(WEB_DIR) && if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error; \
		else npm install --no-audit --no-fund --loglevel=error; fi
	@touch $@

$(WEB_BUILT): $(WEB_INSTALLED) $(WEB_SOURCES)
	@echo "web: building into $(WEB_DIR)/dist"
	@cd $(WEB_DIR) && npx --no-install vite build --logLevel warn
	@touch $@

web-test: $(WEB_INSTALLED)
	@test/web/run.sh

RUN_PREREQUISITES += web
TEST_PREREQUISITES += web

# `make clean` drops the build (the node modules stay: they only change with the lockfile).
web-clean:
	rm -rf $(WEB_DIR)/dist
clean: web-clean
