#!/bin/sh
# Build the libFuzzer targets of tests/fuzz (clang, AddressSanitizer, UBSan) and run each one for
# SECONDS (default 30) on a copy of its committed corpus in tests/fuzz/corpus/<target>/ (the
# committed corpus never grows). Fails when a target crashes, leaks, hangs (10 s an input) or
# passes 2 GB; the input that did it is kept and its path printed.
# Runs PARALLEL targets at a time (default 2).
# usage: scripts/fuzz.sh [SECONDS] [TARGET...]   (BUILD=build-fuzz, JOBS=2, PARALLEL=2 by default)
set -eu
cd "$(dirname "$0")/.."
seconds=${1:-30}
[ $# -gt 0 ] && shift
targets=${*:-"safetensors npy config manifest cli"}
build=${BUILD:-build-fuzz}
CC=${CC:-clang} cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DJEPA_FUZZ=ON >/dev/null
for t in $targets; do
    cmake --build "$build" -j "${JOBS:-2}" --target "fuzz_$t" >/dev/null
done
work=$(mktemp -d "${TMPDIR:-/tmp}/jepa-fuzz.XXXXXX")
mkdir -p "$work/artifacts"
# one target on a copy of its corpus; its verdict in $work/$t.result
fuzz_one() {
    t=$1
    mkdir -p "$work/$t"
    cp tests/fuzz/corpus/"$t"/* "$work/$t"/
    # the CLI prints usage and errors for most inputs: hide the target's own output
    mask=0
    [ "$t" = cli ] && mask=3
    if "$build/fuzz/fuzz_$t" "$work/$t" -max_total_time="$seconds" -timeout=10 \
        -rss_limit_mb=2048 -close_fd_mask=$mask -print_final_stats=1 \
        -artifact_prefix="$work/artifacts/$t-" >"$work/$t.log" 2>&1; then
        echo "fuzz_$t: ok, $(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/$t.log" | grep -o '[0-9]*$') runs in ${seconds} s" >"$work/$t.result"
    else
        {
            echo "fuzz_$t: FAILED (log $work/$t.log, input in $work/artifacts/)"
            grep -E 'ERROR|SUMMARY|Test unit written' "$work/$t.log" | head -5 || true
        } >"$work/$t.result"
    fi
}
# PARALLEL targets at a time (default 2), each on one core
running=0
for t in $targets; do
    fuzz_one "$t" &
    running=$((running + 1))
    if [ "$running" -ge "${PARALLEL:-2}" ]; then
        wait
        running=0
    fi
done
wait
failed=""
for t in $targets; do
    # a target whose run could not start left no verdict
    cat "$work/$t.result" 2>/dev/null || echo "fuzz_$t: FAILED (it did not run)"
    grep -qs "^fuzz_$t: ok" "$work/$t.result" || failed="$failed $t"
done
if [ -n "$failed" ]; then
    echo "fuzz: failures in:$failed (kept $work)"
    exit 1
fi
rm -rf "$work"
