#!/usr/bin/env bash
# Smoke test under valgrind's memcheck (part of `make test`): a tiny collect, a tiny training run
# (with the proprio) and a tiny reader's (a state read-out), one planned episode, a 2-episode
# evaluation, one with the reader's x and y, a collection by the planner, a merge, the
# predictor's probe and the reader's, each on 2 threads, must be clean: no invalid read or write, no use of
# uninitialised memory, no definitely lost block.
# It builds jepa in BUILD (default build-valgrind) without -march=native: valgrind 3.19 does not
# decode AVX-512. "Possibly lost" blocks are not errors and are not shown: they are the thread
# stacks of the OpenMP pool, which libgomp keeps until the process ends.
# usage: scripts/valgrind.sh [BUILD]   (JOBS=2 by default)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-valgrind}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DJEPA_NATIVE=OFF >/dev/null
cmake --build "$build" -j "${JOBS:-2}" --target jepa >/dev/null
jepa=$(pwd)/$build/jepa
work=$(mktemp -d "${TMPDIR:-/tmp}/jepa-valgrind.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
cat >tiny.json <<'EOF'
{"recipe": "pldm", "image": 16, "cnn_stages": 2, "cnn_width": 8, "latent": 8,
 "predictor_hidden": 16, "horizon": 2, "batch": 4, "steps": 3, "warmup": 1,
 "val_every": 2, "ckpt_every": 2, "val_fraction": 0.25, "use_proprio": 1}
EOF
sed -e 's/"use_proprio": 1/"use_proprio": 0, "w_state": 1, "state_mask": 3, "state_hidden": 8/' \
    tiny.json >reader.json
vg=(valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite
    --show-leak-kinds=definite --quiet)
planner=(--ckpt run/best.safetensors --env tworoom --samples 32 --elites 4 --iterations 2
         --horizon 3 --threads 2)
plan=("${planner[@]}" --max-steps 4)
steps=(
    "collect --env tworoom --episodes 4 --steps 6 --size 16 --out ds --quiet --threads 2"
    "train --config tiny.json --data ds --out run --quiet --threads 2"
    "train --config reader.json --data ds --out reader --quiet --threads 2"
    "plan ${plan[*]} --gif plan.gif"
    "eval ${plan[*]} --episodes 2 --json eval.json --gif-dir gifs"
    "eval ${plan[*]} --episodes 2 --reader reader/best.safetensors --read x,y --json read.json"
    "collect --policy plan ${planner[*]} --episodes 2 --steps 6 --size 16 --out planned --quiet"
    "merge --out merged ds planned planned"
    "probe --ckpt run/best.safetensors --data merged --rollout 2 --windows 8 --threads 2"
    "probe --ckpt reader/best.safetensors --data merged --threads 2"
)
for s in "${steps[@]}"; do
    # shellcheck disable=SC2086 # each step is a list of words
    if ! "${vg[@]}" "$jepa" $s >"$work/out.txt" 2>&1; then
        cat "$work/out.txt"
        echo "valgrind: FAILED: jepa $s"
        exit 1
    fi
    echo "valgrind: clean: jepa ${s%% *}"
done
