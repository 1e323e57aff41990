# peso's front door. Every target runs scripts/setup.sh first, which installs
# any missing Debian packages, configures the build directory once and builds;
# when nothing changed that takes about a second.
#
#   make demo       set up, build, train a GPT on fortunes for ~5 minutes, sample it
#   make test       set up, build, run the test suite (all but label `slow`)
#   make test-all   the same, slow tests included
#   make sanitize   build in build-asan with ASan + UBSan and run the tests there
#   make sanitize-ci what CI runs after make test: a clang ASan + UBSan build (build-sanitize)
#                   of the labels unit, autograd, gradcheck, conformance, cuda and cli, their
#                   tests, then a fuzz smoke run (FUZZ_SECONDS=3 per target)
#   make fuzz       build the libFuzzer targets (clang, ASan + UBSan) in build-sanitize and run
#                   each FUZZ_SECONDS seconds (default 10) from fuzz/corpus (scripts/fuzz.sh)
#   make bench      build and run the benchmark program
#   make docs       the API reference (Doxygen) in build/docs/html
#   make package    the .deb (CPack) in build/
#   make install    cmake --install into PREFIX (default /usr/local)
#   make clean      remove the build directories

BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= 2
CTEST_ARGS ?=

SETUP := scripts/setup.sh

.PHONY: all setup build demo test test-all sanitize sanitize-ci fuzz bench docs package install clean

all: build

setup build:
	@PESO_BUILD_DIR=$(BUILD) $(SETUP)

demo: build
	scripts/demo.sh $(BUILD)

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j$(JOBS) -LE slow $(CTEST_ARGS)

test-all: build
	ctest --test-dir $(BUILD) --output-on-failure -j$(JOBS) $(CTEST_ARGS)

sanitize:
	@PESO_BUILD_DIR=$(ASAN_BUILD) $(SETUP) -DPESO_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
	ctest --test-dir $(ASAN_BUILD) --output-on-failure -j$(JOBS) -LE slow $(CTEST_ARGS)

sanitize-ci:
	JOBS=$(JOBS) $(if $(FUZZ_SECONDS),FUZZ_SECONDS=$(FUZZ_SECONDS)) scripts/sanitize_ci.sh

fuzz:
	FUZZ_SECONDS=$(or $(FUZZ_SECONDS),10) JOBS=$(JOBS) scripts/fuzz.sh

# Benchmarks run with OpenBLAS's core-type and cache-size overrides unset, as
# on a user's machine (bench/README.md says so beside the figures).
bench: build
	@if [ -x $(BUILD)/bench/peso_bench ]; then \
	  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $(BUILD)/bench/peso_bench; \
	else \
	  echo "no $(BUILD)/bench/peso_bench yet (bench/ has no benchmark program)"; \
	fi

docs: build
	cmake --build $(BUILD) --target docs

package: build
	cmake --build $(BUILD) --target package

PREFIX ?= /usr/local
install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) build-sanitize
