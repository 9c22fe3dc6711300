# Front door for building, testing and running Quiver. See README.md.
.PHONY: all deps build build-asan test unit unit-asan golden interop fuzz demo bench bench-ipc bench-parquet bench-sort bench-engine clean

BUILD      ?= build
BUILD_ASAN ?= build-asan
BUILD_FUZZ ?= build-fuzz
JOBS       ?= $(shell nproc)
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := $(basename $(notdir $(wildcard fuzz/*.c)))
CMAKE_FLAGS ?=
VENV := .venv/bin

all: build

deps:
	@scripts/deps.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS)

$(BUILD_ASAN)/build.ninja:
	cmake -S . -B $(BUILD_ASAN) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DQV_SANITIZE=ON $(CMAKE_FLAGS)

$(BUILD_FUZZ)/build.ninja:
	CC=clang cmake -S . -B $(BUILD_FUZZ) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DQV_SANITIZE=ON -DQV_FUZZ=ON $(CMAKE_FLAGS)

build: $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

build-asan: $(BUILD_ASAN)/build.ninja
	cmake --build $(BUILD_ASAN) -j $(JOBS)

# Everything that must pass: unit and golden-file tests (plain, then under
# ASan+UBSan), interop against pyarrow, then each fuzz target briefly.
test: deps
	$(MAKE) build
	$(MAKE) unit
	$(MAKE) unit-asan
	$(MAKE) interop
	$(MAKE) fuzz

unit: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

unit-asan: build-asan
	cd $(BUILD_ASAN) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --output-on-failure -j $(JOBS)

interop: build
	QUIVER_BUILD=$(abspath $(BUILD)) $(VENV)/python -m pytest -q tests/interop

fuzz: $(BUILD_FUZZ)/build.ninja
	cmake --build $(BUILD_FUZZ) -j $(JOBS) --target $(FUZZ_TARGETS)
	FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/run-fuzzers.sh $(BUILD_FUZZ)

demo: deps build
	$(BUILD)/quiver-demo

bench: bench-ipc bench-parquet bench-sort bench-engine

bench-ipc: deps build
	$(BUILD)/bench_ipc

bench-parquet: deps build
	QUIVER_BUILD=$(abspath $(BUILD)) $(VENV)/python bench/parquet/run.py

bench-sort: deps build
	$(BUILD)/bench_sort

bench-engine: deps build
	QUIVER_BUILD=$(abspath $(BUILD)) $(VENV)/python bench/engine/run.py

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_FUZZ)
