#!/usr/bin/env bash
# The main job (`make demo`): the whole loop on tworoom, as far as it exists:
# collect a dataset, train a world model on it, probe what its latents know, then plan with it
# (MPPI through the predictor, receding horizon) to reach goals in the other room.
set -euo pipefail
build=${1:-build}
out=${DEMO_DIR:-out/demo}
mkdir -p "$out"
echo "== 1/4 collect: 3000 random-walk episodes of tworoom, 60 % of them steered through the door"
"$build/jepa" collect --env tworoom --episodes 3000 --steps 17 --seed 1 --option cross_wall_rate=0.6 \
    --out "$out/data" --force
"$build/jepa" view "$out/data" --episode 0 --out "$out/episode0.gif"
echo "== 2/4 train: the pldm recipe (configs/tworoom_pldm.json)"
rm -rf "$out/run"
"$build/jepa" train --config configs/tworoom_pldm.json --data "$out/data" --out "$out/run"
echo "== 3/4 probe: R^2 of a linear read-out of the agent's x and y from the latents"
"$build/jepa" probe --ckpt "$out/run/best.safetensors" --data "$out/data"
echo "== 4/4 plan: 50 episodes of the tworoom protocol (start and goal in opposite rooms, 200 steps)"
"$build/jepa" eval --ckpt "$out/run/best.safetensors" --env tworoom --episodes 50 --seed 1000 \
    --planner mppi --horizon 20 --samples 600 --execute 2 --all-steps --json "$out/eval.json" --gif-dir "$out/gifs"
echo "demo: dataset $out/data, run $out/run (metrics.jsonl, best.safetensors), results $out/eval.json,"
echo "      GIFs of episodes (observation beside the goal) in $out/gifs"
