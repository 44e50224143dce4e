#!/usr/bin/env bash
# The main job (`make demo`): the most complete pipeline that exists so far.
# Today: collect a tworoom dataset with the data-collection policy and draw an episode of it.
# Training and planning join this demo as they land.
set -euo pipefail
build=${1:-build}
out=${DEMO_DIR:-out/demo}
mkdir -p "$out"
"$build/jepa" collect --env tworoom --episodes 200 --steps 17 --seed 1 --out "$out/tworoom" --force
"$build/jepa" view "$out/tworoom" --episode 0 --out "$out/tworoom_episode0.gif"
"$build/jepa" view "$out/tworoom" --episode 0 --out "$out/tworoom_episode0.png"
echo "demo: dataset in $out/tworoom, episode 0 drawn in $out/tworoom_episode0.gif and .png"
