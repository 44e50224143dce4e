#!/usr/bin/env bash
# The main job (`make demo`): the whole loop on tworoom, as far as it exists:
# collect a dataset, train a world model on it, and probe what its latents know.
set -euo pipefail
build=${1:-build}
out=${DEMO_DIR:-out/demo}
mkdir -p "$out"
echo "== 1/3 collect: 1000 random-walk episodes of tworoom"
"$build/jepa" collect --env tworoom --episodes 1000 --steps 17 --seed 1 --out "$out/data" --force
"$build/jepa" view "$out/data" --episode 0 --out "$out/episode0.gif"
echo "== 2/3 train: the pldm recipe (configs/tworoom_pldm.json)"
rm -rf "$out/run"
"$build/jepa" train --config configs/tworoom_pldm.json --data "$out/data" --out "$out/run"
echo "== 3/3 probe: R^2 of a linear read-out of the agent's x and y from the latents"
"$build/jepa" probe --ckpt "$out/run/best.safetensors" --data "$out/data"
echo "demo: dataset $out/data, run $out/run (metrics.jsonl, best.safetensors), episode GIF $out/episode0.gif"
