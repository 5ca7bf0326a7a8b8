# modproxy: the two commands of the README.
#   make serve  installs what is missing (apt), builds, serves on ./modproxy-cache
#   make test   installs what is missing, builds, runs every test
# Both are idempotent: a second run installs nothing and rebuilds only what changed.

BUILD_DIR ?= build
ASAN_BUILD_DIR ?= build-asan
TSAN_BUILD_DIR ?= build-tsan
BUILD_TYPE ?= RelWithDebInfo
SERVE_ARGS ?=

# Debian 12 packages needed to build and run.
BUILD_PACKAGES := cmake ninja-build g++ pkg-config libboost1.81-dev libcurl4-openssl-dev \
  libssl-dev nlohmann-json3-dev libtomlplusplus-dev libcli11-dev libspdlog-dev libfmt-dev \
  libzip-dev zlib1g-dev libgit2-dev libgtest-dev libgmock-dev ca-certificates
# Extra packages the tests use: the real go command and real module sources for fixtures;
# clang with its libFuzzer and sanitizer runtimes (libclang-rt-14-dev is only
# recommended by clang) and llvm-symbolizer (llvm) for make fuzz-smoke.
TEST_PACKAGES := golang-go git clang-format golang-golang-x-mod-dev \
  golang-github-pkg-errors-dev golang-github-google-uuid-dev nginx clang libclang-rt-14-dev llvm

.PHONY: all deps test-deps build build-server build-asan build-tsan serve test test-unit format format-check clean \
  fuzz-build fuzz-smoke fuzz

all: build

deps:
	@scripts/install-packages.sh $(BUILD_PACKAGES)

test-deps: deps
	@scripts/install-packages.sh $(TEST_PACKAGES)

build: deps
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DMODPROXY_WERROR=ON
	ninja -C $(BUILD_DIR)

# The optimized server alone (build/modproxy), without the unit-test
# binaries: what make serve runs and what make test needs of this tree.
build-server: deps
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DMODPROXY_WERROR=ON
	ninja -C $(BUILD_DIR) modproxy

build-asan: deps
	cmake -S . -B $(ASAN_BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DMODPROXY_WERROR=ON \
	  -DMODPROXY_SANITIZE=address,undefined
	ninja -C $(ASAN_BUILD_DIR)

build-tsan: deps
	cmake -S . -B $(TSAN_BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DMODPROXY_WERROR=ON \
	  -DMODPROXY_SANITIZE=thread
	ninja -C $(TSAN_BUILD_DIR)

serve: build-server
	./$(BUILD_DIR)/modproxy serve $(SERVE_ARGS)

# Every test: formatting; then every suite (GoogleTest unit tests, the
# black-box integration and end-to-end suites with the real go command)
# against the AddressSanitizer+UndefinedBehaviorSanitizer build, so the whole
# server runs under the sanitizers; the same again under ThreadSanitizer
# (halting at the first race), except the tests whose cost is mostly the go
# command's own work (harness.SkipRepeatedDifferential). The optimized server
# is built (it must compile with -O2 and -Werror) but its unit tests are not:
# the sanitizer passes run them, and CI must stay under 30 minutes on 2 cores
# (make test-unit runs them).
# Before the suites, every libFuzzer target runs for a few seconds (fuzz-smoke).
test: test-deps format-check build-server build-asan build-tsan fuzz-smoke
	cd $(ASAN_BUILD_DIR) && ctest -j2 --output-on-failure --timeout 900
	cd $(TSAN_BUILD_DIR) && TSAN_OPTIONS=halt_on_error=1 MODPROXY_TEST_SKIP_DIFFERENTIAL=1 \
	  ctest -j2 --output-on-failure --timeout 900

test-unit: deps build
	cd $(BUILD_DIR) && ctest --output-on-failure -L unit

format:
	git ls-files '*.cc' '*.h' | xargs clang-format -i
	gofmt -w tests

format-check: test-deps
	git ls-files '*.cc' '*.h' | xargs clang-format --dry-run --Werror
	@unformatted=$$(gofmt -l tests); if [ -n "$$unformatted" ]; then \
	  echo "gofmt needed: $$unformatted" >&2; exit 1; fi

clean:
	rm -rf $(BUILD_DIR) $(ASAN_BUILD_DIR) $(TSAN_BUILD_DIR) $(FUZZ_BUILD_DIR)

# libFuzzer targets (fuzz/, README "Fuzzing"), built with clang and only
# them. fuzz-smoke runs each for 5 s from the seeds in fuzz/corpus (part of
# make test); make fuzz FUZZ_TIME=600 runs longer and keeps what it finds in
# $(FUZZ_BUILD_DIR)/fuzz-corpus.
FUZZ_BUILD_DIR ?= build-fuzz
FUZZ_TIME ?= 60

fuzz-build: test-deps
	cmake -S . -B $(FUZZ_BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_CXX_COMPILER=clang++ -DMODPROXY_WERROR=ON -DMODPROXY_FUZZERS=ON
	ninja -C $(FUZZ_BUILD_DIR) fuzzers

fuzz-smoke: fuzz-build
	scripts/run-fuzzers.sh $(FUZZ_BUILD_DIR) 5

fuzz: fuzz-build
	scripts/run-fuzzers.sh $(FUZZ_BUILD_DIR) $(FUZZ_TIME) $(FUZZ_BUILD_DIR)/fuzz-corpus

# make bench: modproxy vs nginx on this machine (README "Performance: make
# bench"). Not part of make test. BENCH_ARGS go to the driver, e.g.
# make bench BENCH_ARGS='-rounds 5 -duration 20s'.
BENCH_BUILD_DIR ?= build-release
BENCH_ARGS ?=
# Google Benchmark for micro_bench; nginx (the baseline) and wrk (the cross-check).
BENCH_PACKAGES := libbenchmark-dev nginx wrk
BENCH_GO_ENV := GOFLAGS=-mod=mod GOPROXY=off GOSUMDB=off GO111MODULE=on GOTOOLCHAIN=local \
  GOENV=off GOCACHE=$(CURDIR)/$(BENCH_BUILD_DIR)/go/cache GOPATH=$(CURDIR)/$(BENCH_BUILD_DIR)/go/path

.PHONY: bench bench-deps

bench-deps: test-deps
	@scripts/install-packages.sh $(BENCH_PACKAGES)

bench: bench-deps
	cmake -S . -B $(BENCH_BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release -DMODPROXY_WERROR=ON \
	  -DMODPROXY_BENCHMARKS=ON
	ninja -C $(BENCH_BUILD_DIR) modproxy micro_bench
	mkdir -p $(BENCH_BUILD_DIR)/perf
	./$(BENCH_BUILD_DIR)/micro_bench --benchmark_min_time=0.2 \
	  --benchmark_out=$(BENCH_BUILD_DIR)/perf/micro_bench.json --benchmark_out_format=json
	cd tests && $(BENCH_GO_ENV) go run ./perf -modproxy ../$(BENCH_BUILD_DIR)/modproxy \
	  -work ../$(BENCH_BUILD_DIR)/perf $(BENCH_ARGS)
