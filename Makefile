# A thin wrapper over CMake: the two set-up commands are `make report` and
# `make test`. Both install missing Debian packages first (scripts/install-deps).
BUILD  ?= build
ASAN   ?= build-asan
JOBS   ?= 2
CMAKE_FLAGS ?=

.PHONY: all deps build asan test report report-quick bench bench-baseline bench-check viz fuzz clean

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
test: build asan
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)
	cd $(ASAN) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j$(JOBS) -LE slow

report: build
	$(BUILD)/convblocks report --out reports/out

report-quick: build
	$(BUILD)/convblocks report --out reports/out --quick

clean:
	rm -rf $(BUILD) $(ASAN)
