# connectd — the two commands (make run, make test) and a few helpers around Meson.
# Every target installs the Debian packages it needs first (scripts/install-deps.sh).

BUILD      ?= build
ASAN_BUILD ?= build-asan
PY         ?= /usr/bin/python3
LISTEN     ?= 127.0.0.1:8080
DB         ?= sqlite:var/connectd.db
FUZZ_SECONDS ?= 60
BIN        ?= $(BUILD)
# The browser suite's databases (the ASan pass uses one: see test) and its screenshots.
BROWSER_DBS ?= sqlite postgresql
SCREENSHOTS ?= $(CURDIR)/$(BUILD)/screenshots
# API test processes (pytest-xdist); every test starts its own servers on free ports and
# databases, so the tests run side by side; 0 runs them all in pytest's own process.
TEST_JOBS  ?= 3

export ASAN_OPTIONS  ?= detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS ?= halt_on_error=1:print_stacktrace=1
export LSAN_OPTIONS  ?= suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0

.PHONY: all build run test unit api browser fuzz-regress fuzz bench deps-run deps-test deps-bench clean

all: build

deps-run:
	@scripts/install-deps.sh run
deps-test:
	@scripts/install-deps.sh test
deps-bench:
	@scripts/install-deps.sh bench

$(BUILD)/build.ninja:
	meson setup $(BUILD) --buildtype=debugoptimized

$(ASAN_BUILD)/build.ninja:
	meson setup $(ASAN_BUILD) --buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false

build: deps-run $(BUILD)/build.ninja
	ninja -C $(BUILD)

# Start a server with demo data and the developer sandbox on $(LISTEN).
run: build
	./$(BUILD)/connectd serve --listen $(LISTEN) --db $(DB) --demo --sandbox

# Every suite: unit tests, API tests and the browser tests (headless Chromium) on SQLite and
# PostgreSQL, the fuzz targets over their corpora, then unit and API tests again on the
# ASan+UBSan build with the browser walks on SQLite only there (the pages' code is the same on
# both databases, whose store code the API tests already run under ASan on each).
test: deps-test $(BUILD)/build.ninja $(ASAN_BUILD)/build.ninja
	ninja -C $(BUILD)
	ninja -C $(ASAN_BUILD)
	@scripts/pg-test.sh >/dev/null
	$(MAKE) --no-print-directory unit api browser BIN=$(BUILD)
	$(MAKE) --no-print-directory fuzz-regress
	$(MAKE) --no-print-directory unit api browser BIN=$(ASAN_BUILD) BROWSER_DBS=sqlite
	@echo "screenshots of the login pages: $(SCREENSHOTS)"

# The PostgreSQL URL comes from scripts/pg-test.sh (starts the local cluster if needed).
unit:
	url=$$(scripts/pg-test.sh) && CONNECTD_TEST_PG_URL=$$url meson test -C $(BIN) --print-errorlogs

api:
	CONNECTD_BIN=$(CURDIR)/$(BIN)/connectd CONNECTD_TEST_DB=sqlite $(PY) -m pytest -q -n $(TEST_JOBS) tests/api
	url=$$(scripts/pg-test.sh) && CONNECTD_BIN=$(CURDIR)/$(BIN)/connectd CONNECTD_TEST_DB=postgresql \
	  CONNECTD_TEST_PG_URL=$$url $(PY) -m pytest -q -n $(TEST_JOBS) tests/api

browser:
	@url=$$(scripts/pg-test.sh) && for db in $(BROWSER_DBS); do \
	  echo "browser tests: $(BIN)/connectd on $$db"; \
	  CONNECTD_BIN=$(CURDIR)/$(BIN)/connectd CONNECTD_TEST_DB=$$db CONNECTD_TEST_PG_URL=$$url \
	    CONNECTD_SCREENSHOT_DIR=$(SCREENSHOTS) $(PY) -m pytest -q tests/browser || exit 1; \
	done

fuzz-regress:
	fuzz/run.sh 0

# Fuzz every parser for FUZZ_SECONDS each.
fuzz: deps-test
	fuzz/run.sh $(FUZZ_SECONDS)

bench: deps-bench build
	bench/run.sh

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) build-fuzz
