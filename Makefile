# The two commands of the README, and a few conveniences. CMake does the real build.
#   make demo   install what is missing, build, run the main job on a throwaway PostgreSQL
#   make check  install what is missing, build (plain and ASan/UBSan), run every test
# Each target installs only what it needs (scripts/setup.sh build|demo|check): building ebb
# takes the C toolchain and libraries alone; node and npm serve the tests.
SHELL := /bin/bash
JOBS ?= $(shell nproc)

# Every build made here fails on a warning; a packager's plain cmake build does not
# (EBB_WERROR is off by default there).
CMAKE_COMMON := -DEBB_WERROR=ON

.PHONY: all setup setup-build setup-demo setup-check build build-asan build-types demo check \
	unit bench bench-s3 bench-parquet bench-partition bench-chunks bench-restore bench-reclaim \
	format clean

all: build

setup: setup-check

setup-build:
	@bash scripts/setup.sh build

setup-demo:
	@bash scripts/setup.sh demo

setup-check:
	@bash scripts/setup.sh check

# The plain build: no test hooks (bench/ and the demo run it as users would).
build: setup-build
	@cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_COMMON) -DEBB_SANITIZE=OFF \
		-DEBB_TEST_HOOKS=OFF >/dev/null
	@$(MAKE) --no-print-directory -C build -j$(JOBS)

# The tests' build: sanitizers, the test hooks, and the unit tests required (cmocka).
build-asan: setup-check
	@cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug $(CMAKE_COMMON) -DEBB_SANITIZE=ON \
		-DEBB_TEST_HOOKS=ON -DEBB_UNIT_TESTS=ON >/dev/null
	@$(MAKE) --no-print-directory -C build-asan -j$(JOBS)

# The build types a packager may choose, compiled once each (two jobs, no tests but the build
# checks of tests/build): an optimizer's warning (Release) must not reach a packager first.
build-types: setup-check
	@for type in Release Debug; do \
		dir=build-$${type,,}; \
		cmake -S . -B $$dir -DCMAKE_BUILD_TYPE=$$type $(CMAKE_COMMON) -DEBB_SANITIZE=OFF \
			-DEBB_TEST_HOOKS=OFF -DEBB_UNIT_TESTS=ON >/dev/null && \
		$(MAKE) --no-print-directory -C $$dir -j2 >/dev/null && \
		(cd $$dir && ctest --output-on-failure -R '^build\.test_hooks$$') && \
		echo "build-types: $$type builds" || exit 1; \
	done

demo: setup-demo build
	@bash scripts/demo.sh

# Every test runs against the sanitized build: a leak, an overflow or undefined behaviour
# anywhere in ebb fails the suite. The plain build and the Release and Debug builds are
# compiled too (-Werror on all).
check: setup-check build build-asan build-types
	@cd build-asan && ctest --output-on-failure -j$(JOBS)

unit: build-asan
	@cd build-asan && ctest --output-on-failure -R '^unit\.'

bench: build
	@bash bench/archive.sh

bench-s3: build
	@bash bench/s3.sh

bench-parquet: build
	@bash bench/parquet.sh

bench-partition: build
	@bash bench/partition.sh

bench-chunks: build
	@bash bench/chunks.sh

bench-restore: build
	@bash bench/restore.sh

bench-reclaim: build
	@bash bench/reclaim.sh

format:
	@clang-format -i $$(git ls-files 'src/*.c' 'src/*.h' 'tests/unit/*.c')

clean:
	rm -rf build build-asan build-release build-debug .demo
