# The two commands of the README, and a few conveniences. CMake does the real build.
#   make demo   install what is missing, build, run the main job on a throwaway PostgreSQL
#   make check  install what is missing, build (plain and ASan/UBSan), run every test
SHELL := /bin/bash
JOBS ?= $(shell nproc)

.PHONY: all setup build build-asan demo check unit bench bench-s3 bench-parquet bench-partition format clean

all: build

setup:
	@bash scripts/setup.sh

build: setup
	@cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@$(MAKE) --no-print-directory -C build -j$(JOBS)

build-asan: setup
	@cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DEBB_SANITIZE=ON >/dev/null
	@$(MAKE) --no-print-directory -C build-asan -j$(JOBS)

demo: build
	@bash scripts/demo.sh

# Every test runs against the sanitized build: a leak, an overflow or undefined behaviour
# anywhere in ebb fails the suite. The plain build is compiled too (-Werror on both).
check: build build-asan
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

format:
	@clang-format -i $$(git ls-files 'src/*.c' 'src/*.h' 'tests/unit/*.c')

clean:
	rm -rf build build-asan .demo
