# Makefile -- the commands the README promises; CMake/CTest do the work.
#   make demo    install packages, build, start the stack and services, send traffic
#   make demo-stop  stop what the demo started
#   make test    install packages, build plain, ASan+UBSan and TSan, and run every test
#   make bench   benchmarks (bench/), against reference libraries measured in the same run
#   make format  clang-format every C file
JOBS ?= $(shell nproc)
CMAKE ?= cmake
CTEST ?= ctest

.PHONY: all deps build build-asan build-tsan test test-plain test-asan test-tsan demo demo-stop bench format clean

all: build

deps:
	scripts/install-deps.sh test

build:
	$(CMAKE) -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	$(CMAKE) --build build -j$(JOBS)

build-asan:
	$(CMAKE) -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DSANITIZE=address >/dev/null
	$(CMAKE) --build build-asan -j$(JOBS)

build-tsan:
	$(CMAKE) -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSANITIZE=thread >/dev/null
	$(CMAKE) --build build-tsan -j$(JOBS)

# Plain build: every test, with a subset of the mutants (promc.mutation, run beside the stack and
# workshop tests by scripts/test-plain.sh; every mutant: ctest -L mutation_all).
# ASan+UBSan (+LSan): every test but the slow end-to-end stack ones and the mutation run (it
# builds its own copies of promc).
# TSan: the concurrency tests.
test: deps
	$(MAKE) build build-asan build-tsan
	$(MAKE) test-plain test-asan test-tsan

test-plain:
	CTEST=$(CTEST) scripts/test-plain.sh build
test-asan:
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  $(CTEST) --test-dir build-asan --output-on-failure -LE "slow|mutation"
test-tsan:
	TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
	  $(CTEST) --test-dir build-tsan --output-on-failure -L concurrency

# Quiet unless something fails: the build's output goes to build/demo-build.log.
demo:
	@scripts/install-deps.sh test
	@scripts/quietly.sh build/demo-build.log "building (plain, build/)" $(MAKE) --no-print-directory build
	@scripts/demo.sh start

demo-stop:
	@scripts/demo.sh stop

bench:
	scripts/install-deps.sh bench
	$(CMAKE) -S . -B build-bench -DCMAKE_BUILD_TYPE=Release >/dev/null
	$(CMAKE) --build build-bench -j$(JOBS)
	bench/run.sh build-bench

format:
	find promc services bench fuzz workshop -name '*.[ch]' -print0 | xargs -0 clang-format -i

clean:
	rm -rf build build-asan build-tsan build-bench
