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
  libzip-dev libgtest-dev libgmock-dev ca-certificates
# Extra packages the tests use: the real go command and real module sources for fixtures.
TEST_PACKAGES := golang-go git clang-format golang-golang-x-mod-dev \
  golang-github-pkg-errors-dev golang-github-google-uuid-dev

.PHONY: all deps test-deps build build-asan build-tsan serve test test-unit format format-check clean

all: build

deps:
	@scripts/install-packages.sh $(BUILD_PACKAGES)

test-deps: deps
	@scripts/install-packages.sh $(TEST_PACKAGES)

build: deps
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DMODPROXY_WERROR=ON
	ninja -C $(BUILD_DIR)

build-asan: deps
	cmake -S . -B $(ASAN_BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DMODPROXY_WERROR=ON \
	  -DMODPROXY_SANITIZE=address,undefined
	ninja -C $(ASAN_BUILD_DIR)

build-tsan: deps
	cmake -S . -B $(TSAN_BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DMODPROXY_WERROR=ON \
	  -DMODPROXY_SANITIZE=thread
	ninja -C $(TSAN_BUILD_DIR)

serve: build
	./$(BUILD_DIR)/modproxy serve $(SERVE_ARGS)

# Every test: formatting; then every suite (GoogleTest unit tests, the
# black-box integration and end-to-end suites with the real go command)
# against the AddressSanitizer+UndefinedBehaviorSanitizer build, so the whole
# server runs under the sanitizers; the same again under ThreadSanitizer
# (halting at the first race); finally the unit tests of the optimized build.
test: test-deps format-check build build-asan build-tsan
	cd $(ASAN_BUILD_DIR) && ctest --output-on-failure --timeout 900
	cd $(TSAN_BUILD_DIR) && TSAN_OPTIONS=halt_on_error=1 ctest --output-on-failure --timeout 900
	cd $(BUILD_DIR) && ctest --output-on-failure -L unit

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
	rm -rf $(BUILD_DIR) $(ASAN_BUILD_DIR) $(TSAN_BUILD_DIR)
