# Thin wrapper over CMake. The two commands of the README: `make demo` and `make test`.
# `make test` (what CI runs) = `make check` (the ctest suite), then the suite again under
# AddressSanitizer + UBSan (`make asan`), a valgrind smoke test (`make valgrind`) and each fuzz
# target for FUZZ_SECONDS (`make fuzz`).
BUILD   ?= build
PREFIX  ?= /usr/local
JOBS    ?= $(shell nproc)
WERROR  := $(if $(CI),ON,OFF)
CMAKE_FLAGS ?=
FUZZ_SECONDS ?= 30

.PHONY: all deps build check test demo bench asan valgrind fuzz install clean format

all: build

deps:
	@./scripts/install-deps.sh

# after deps (order only: deps always runs, and only a missing cache configures again), so
# that `make -j` on a new machine does not configure before the packages are in
$(BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DJEPA_WERROR=$(WERROR) $(CMAKE_FLAGS)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

# the ctest suite alone: the quick check while developing
check: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

test: check
	$(MAKE) --no-print-directory asan
	$(MAKE) --no-print-directory valgrind
	$(MAKE) --no-print-directory fuzz

demo: build
	./scripts/demo.sh $(BUILD)

bench: build
	./scripts/bench.sh $(BUILD)

asan: deps
	cmake -S . -B $(BUILD)-asan -DCMAKE_BUILD_TYPE=Debug -DJEPA_SANITIZE=ON -DJEPA_WERROR=$(WERROR)
	cmake --build $(BUILD)-asan -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --test-dir $(BUILD)-asan --output-on-failure -j $(JOBS)

# collect, train, plan and eval, tiny, under valgrind's memcheck in $(BUILD)-valgrind
valgrind: deps
	JOBS=$(JOBS) ./scripts/valgrind.sh $(BUILD)-valgrind

# libFuzzer targets (clang) in $(BUILD)-fuzz, FUZZ_SECONDS each on a copy of tests/fuzz/corpus
fuzz: deps
	BUILD=$(BUILD)-fuzz JOBS=$(JOBS) ./scripts/fuzz.sh $(FUZZ_SECONDS)

install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(BUILD)-asan $(BUILD)-valgrind $(BUILD)-fuzz
