# ferry: the two commands are `make demo` and `make check`. Both install what is missing.
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
JOBS       ?= $(shell nproc)
FUZZ_SECONDS ?= 5
PYTHON     := /usr/bin/python3
# Test modules share nothing (each starts its own server on a random port with its own data
# directory), so a suite's modules are spread over workers, a module's tests kept together.
XDIST      ?= -n 2 --dist loadfile
# the slowest tests of each suite are listed, so a suite that grows past the budget says where
DURATIONS  ?= --durations=15

.PHONY: all deps format format-check build asan fuzz fuzz-build fuzz-run unit unit-asan clients clients-asan clients-pg scenarios check demo bench clean

all: build

deps:
	@sh tools/deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

asan: deps
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DFERRY_SANITIZE=ON >/dev/null
	@cmake --build $(ASAN_BUILD) -j$(JOBS)

# libFuzzer targets, each run briefly over its committed corpus (one core each: make check
# runs them beside the client suites, which leave a core mostly idle while they wait).
fuzz-build: deps
	@CC=clang cmake -S . -B $(FUZZ_BUILD) -DFERRY_FUZZ=ON -DFERRY_TESTS=OFF \
	  -DCMAKE_C_FLAGS="-fsanitize=fuzzer-no-link,address,undefined" >/dev/null
	@cmake --build $(FUZZ_BUILD) -j$(JOBS)

fuzz-run:
	@sh tests/run-fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

fuzz: fuzz-build
	@$(MAKE) --no-print-directory fuzz-run

unit: build
	@cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

unit-asan: asan
	@cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --output-on-failure -j$(JOBS)

# Real clients (Debian's awscli and python3-boto3, npm @aws-sdk/client-*) against a fresh
# server on a random loopback port with a temporary data directory per test module.
clients: build
	@FERRY_BIN=$(CURDIR)/$(BUILD)/ferry $(PYTHON) -m pytest -q $(DURATIONS) $(XDIST) tests/clients

# The SDK-driven client tests again against the ASan+UBSan server, on PostgreSQL: a
# sanitizer report fails the test, and the same tests that ran on SQLite in the plain pass
# run on the other store (a throwaway cluster per pytest worker, tests/pgcluster.sh). (The
# `aws` CLI suites and tests drive the same server paths, and spend their time starting
# Python: FERRY_NO_CLI leaves them to the plain pass.)
clients-asan: build asan
	@FERRY_TEST_STORE=postgresql FERRY_NO_CLI=1 FERRY_BIN=$(CURDIR)/$(ASAN_BUILD)/ferry \
	  ASAN_OPTIONS=detect_leaks=1 $(PYTHON) -m pytest -q \
	  $(DURATIONS) $(XDIST) tests/clients --ignore-glob='*_cli.py'

# The SDK-driven client tests with each server on PostgreSQL: a throwaway cluster per pytest
# worker (tests/pgcluster.sh), a fresh database per server (FERRY_TEST_STORE=postgresql).
clients-pg: build
	@FERRY_TEST_STORE=postgresql FERRY_BIN=$(CURDIR)/$(BUILD)/ferry $(PYTHON) -m pytest -q \
	  $(XDIST) tests/clients --ignore-glob='*_cli.py'

scenarios: build
	@FERRY_BIN=$(CURDIR)/$(BUILD)/ferry $(PYTHON) -m pytest -q $(DURATIONS) tests/scenarios

# The C style is mechanical (.clang-format): `make format` applies it, make check refuses a
# tree it would change.
FORMAT_FILES = $(shell git ls-files 'src/*.[ch]' 'tests/unit/*.[ch]' 'fuzz/*.[ch]' 'bench/*.c' 'tools/modelgen/*.c')
format:
	@clang-format -i $(FORMAT_FILES)

format-check: deps
	@clang-format --dry-run --Werror $(FORMAT_FILES)

# The three real-client suites and the fuzz runs share no state (each test module starts its
# own server on a random port with its own data directory) and spend much of their time
# waiting, so they run side by side; the builds the suites need are made once, before them,
# and the fuzz build (clang, for the fuzz runs alone) is made beside them.
check: format-check unit unit-asan
	@$(MAKE) --no-print-directory -j4 --output-sync=target clients clients-asan scenarios fuzz
	@echo "make check: all suites passed"

demo: build
	@FERRY_BIN=$(CURDIR)/$(BUILD)/ferry sh examples/demo.sh

bench: build
	@sh bench/run.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
