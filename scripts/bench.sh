#!/usr/bin/env bash
# `make bench`: every benchmark program, one after the other (never part of `make test`).
set -euo pipefail
build=${1:-build}
shopt -s nullglob
progs=("$build"/bench/bench_*)
if [ ${#progs[@]} -eq 0 ]; then
  echo "bench: no benchmark programs were built" >&2
  exit 1
fi
for prog in "${progs[@]}"; do
  echo "== $(basename "$prog")"
  "$prog"
done
