# A thin wrapper over CMake: the two set-up commands are `make report` and
# `make test`. Both install missing Debian packages first (scripts/install-deps).
BUILD  ?= build
ASAN   ?= build-asan
FUZZ   ?= build-fuzz
JOBS   ?= 2
FUZZ_SECONDS ?= 60
CMAKE_FLAGS ?=

.PHONY: all deps build asan fuzz-build test report report-quick bench bench-baseline bench-check viz fuzz clean

all: build

deps:
	@scripts/install-deps --check 2>/dev/null || scripts/install-deps

$(BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j$(JOBS)

$(ASAN)/CMakeCache.txt: | deps
	cmake -S . -B $(ASAN) -DCMAKE_BUILD_TYPE=Debug -DCB_SANITIZE=ON -DCB_BUILD_BENCH=OFF $(CMAKE_FLAGS)

asan: deps $(ASAN)/CMakeCache.txt
	cmake --build $(ASAN) -j$(JOBS)

# The test suite twice: optimised, then under ASan+UBSan.
test: build asan fuzz-build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)
	cd $(ASAN) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j$(JOBS) -LE slow
	cd $(FUZZ) && ctest --output-on-failure -L '^fuzz$$'

# libFuzzer targets (tests/fuzz/), built with clang in their own directory.
# `make test` runs each for a fixed number of executions; `make fuzz` for
# FUZZ_SECONDS each (new corpus entries and crashes land in $(FUZZ)/fuzz-work/).
$(FUZZ)/CMakeCache.txt: | deps
	CC=clang cmake -S . -B $(FUZZ) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCB_FUZZ=ON \
	  -DCB_BUILD_BENCH=OFF -DCB_BUILD_VIZ=OFF $(CMAKE_FLAGS)

fuzz-build: deps $(FUZZ)/CMakeCache.txt
	cmake --build $(FUZZ) -j$(JOBS) --target cb_fuzzers

fuzz: fuzz-build
	@for d in tests/fuzz/corpus/*/; do t=$$(basename $$d); \
	  [ -x $(FUZZ)/fuzz/fuzz_$$t ] || continue; echo "== fuzz_$$t for $(FUZZ_SECONDS) s"; \
	  tests/fuzz/run.sh $(FUZZ)/fuzz/fuzz_$$t $$d $(FUZZ)/fuzz-work/$$t seconds $(FUZZ_SECONDS) || exit 1; done

report: build
	$(BUILD)/convblocks report --out reports/out

report-quick: build
	$(BUILD)/convblocks report --out reports/out --quick

clean:
	rm -rf $(BUILD) $(ASAN) $(FUZZ)

# Benchmarks (bench/, issue 5): Google Benchmark JSON with the machine's
# ceilings in its context; a baseline per machine (named for the CPU: VM
# host names are meaningless); the regression gate against it.
#   make bench [BENCH_FLAGS=--quick]      -> reports/out/bench.json
#   make bench-baseline                   -> data/baselines/<cpu>-<n>cpu.json
#   make bench-check [BENCH_THRESHOLD=5] [BENCH_CHECK_ROUNDS=5] [BENCH_CHECK_NET_ROUNDS=3]
#                    [BENCH_CHECK_REPS=2] [BENCH_CHECK_THREADS=1]
#       costs exactly against the baseline, times against the baseline's git
#       revision built beside the tree and run interleaved (bench/check.sh)
BENCH_FLAGS ?=
BENCH_THRESHOLD ?= 5
BENCH_ALPHA ?= 0.05
BENCH_CHECK_ROUNDS ?= 5
BENCH_CHECK_NET_ROUNDS ?= 3
BENCH_CHECK_REPS ?= 2
BENCH_CHECK_THREADS ?= 1
BENCH_MACHINE := $(shell { grep -m1 '^model name' /proc/cpuinfo 2>/dev/null | sed 's/.*: *//' || echo unknown; } \
	| tr 'A-Z' 'a-z' | tr -cs 'a-z0-9' '-' | sed 's/^-*//; s/-*$$//')-$(shell nproc 2>/dev/null || echo 1)cpu
BENCH_BASELINE ?= data/baselines/$(BENCH_MACHINE).json

# What a run measured: the commit, and whether the sources that go into
# convblocks-bench had uncommitted changes. Passed with Google Benchmark's own
# --benchmark_context flag, so it lands in the JSON "context" of any build of
# any revision, with no code in the binary; read from git when the run starts,
# right after `build` compiled those very sources (a compile-time define would
# be fixed when CMake configured, and go stale with every commit). Empty
# outside a git checkout of this tree (a tarball): then no revision is recorded.
comma := ,
BENCH_SOURCES := CMakeLists.txt cmake lib bench
BENCH_REVISION = $(shell [ "$$(git rev-parse --show-toplevel 2>/dev/null)" = "$$(pwd -P)" ] \
	&& git rev-parse --verify --quiet HEAD)
BENCH_DIRTY = $(shell git status --porcelain -- $(BENCH_SOURCES) 2>/dev/null | grep -q . && echo true || echo false)
BENCH_CONTEXT = $(if $(BENCH_REVISION),--benchmark_context=convblocks_revision=$(BENCH_REVISION)$(comma)convblocks_revision_dirty=$(BENCH_DIRTY))

bench: build
	@mkdir -p reports/out
	$(BUILD)/convblocks-bench $(BENCH_FLAGS) $(BENCH_CONTEXT) --benchmark_out=reports/out/bench.json.tmp \
		--benchmark_out_format=json && mv reports/out/bench.json.tmp reports/out/bench.json \
		|| { rm -f reports/out/bench.json.tmp; exit 1; }

bench-baseline: bench
	@mkdir -p data/baselines
	cp reports/out/bench.json $(BENCH_BASELINE).tmp && mv $(BENCH_BASELINE).tmp $(BENCH_BASELINE)
	@echo "baseline: $(BENCH_BASELINE)"
	@grep -q '"convblocks_revision_dirty": "true"' $(BENCH_BASELINE) && echo "bench-baseline: note:" \
		"uncommitted changes under $(BENCH_SOURCES): bench-check will time the commit, not what was measured" >&2 || true

bench-check: build
	BENCH_THRESHOLD=$(BENCH_THRESHOLD) BENCH_ALPHA=$(BENCH_ALPHA) CHECK_ROUNDS=$(BENCH_CHECK_ROUNDS) CHECK_NET_ROUNDS=$(BENCH_CHECK_NET_ROUNDS) \
		CHECK_REPS=$(BENCH_CHECK_REPS) CHECK_THREADS=$(BENCH_CHECK_THREADS) JOBS=$(JOBS) CMAKE_FLAGS="$(CMAKE_FLAGS)" \
		bench/check.sh $(BUILD) $(BENCH_BASELINE) $(BUILD)/bench-check

# The viewer on the default photo (needs a display; viz/README.md shows
# headless --record for slides).
viz: build
	$(BUILD)/convblocks-viz

# Two builds side by side, by hand: build BASE_REV (default HEAD) from git in
# $(AB_DIR)/rev (bench/build-rev.sh; reused while BASE_REV stays the same
# commit), then run it and the working tree's build alternately
# (bench/ab.sh), so both see the same load, and compare. Exit status: the
# compare tool's, through make (0 ok; make fails on 1 or 2).
#   make bench-ab [BASE_REV=HEAD~3] [AB_ROUNDS=5] [BENCH_FLAGS="--quick"]
.PHONY: bench-ab
BASE_REV ?= HEAD
AB_ROUNDS ?= 5
AB_DIR ?= $(BUILD)/bench-ab
bench-ab: build
	a=$$(JOBS=$(JOBS) CMAKE_FLAGS="$(CMAKE_FLAGS)" bench/build-rev.sh $(BASE_REV) $(AB_DIR)/rev) && \
	rm -rf $(AB_DIR)/runs && \
	COMPARE=$(BUILD)/convblocks-bench-compare AB_COMPARE_FLAGS="--threshold $(BENCH_THRESHOLD) --alpha $(BENCH_ALPHA)" \
		bench/ab.sh $$a $(BUILD)/convblocks-bench $(AB_ROUNDS) $(AB_DIR)/runs $(BENCH_FLAGS)
