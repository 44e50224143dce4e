#!/usr/bin/env bash
# Push-T from the frames without labels, within a training budget (docs/pusht.md, the last
# section): collect, train a keypoint autoencoder, train a predictor on its frozen keypoints for
# the rest of the budget, then evaluate LeWM's protocol (iCEM 300 x 30, 5 macro-steps, shrinking
# plans) on each seed. Nothing but the probes sees the simulator's states.
#   scripts/pusht.sh [build]
#   PUSHT_DIR (out/pusht), PUSHT_BUDGET_MIN (120: autoencoder, encoding and predictor),
#   PUSHT_AE_MIN (45), PUSHT_ENCODE_MIN (6: the predictor's --minutes leaves out the encoding of
#   the frames, so the budget keeps this much for it), PUSHT_STEPS (150000: the predictor's
#   schedule, which a Zen 5 core pair finishes in about 61 min at 41 steps a second; a slower
#   machine stops at the budget with the learning rate still higher), PUSHT_SEEDS, PUSHT_THREADS (2)
set -euo pipefail
build=${1:-build}
out=${PUSHT_DIR:-out/pusht}
budget=${PUSHT_BUDGET_MIN:-120}
ae=${PUSHT_AE_MIN:-45}
encode=${PUSHT_ENCODE_MIN:-6}
seeds=${PUSHT_SEEDS:-"80801 80802 80803"}
threads=${PUSHT_THREADS:-2}
steps=${PUSHT_STEPS:-150000}
jepa="$build/jepa"
# minutes left for the predictor's training once $1 seconds of the budget are spent
predictor_minutes() {
    awk -v b="$budget" -v e="$encode" -v s="$1" 'BEGIN { printf "%.2f", b - s / 60 - e }'
}
check_minutes() {
    if awk -v m="$1" 'BEGIN { exit !(m < 1) }'; then
        echo "pusht.sh: PUSHT_BUDGET_MIN=$budget leaves $1 min for the predictor (needs 1)" >&2
        exit 1
    fi
}
check_minutes "$(predictor_minutes "$(awk -v a="$ae" 'BEGIN { print a * 60 }')")"
mkdir -p "$out"
echo "== 1/4 collect: 12,000 pusht episodes of 100 steps (mixed policy), and their first 2,000"
"$jepa" collect --env pusht --episodes 2000 --steps 100 --policy mixed --seed 1 --out "$out/D2K" --force --quiet
"$jepa" collect --env pusht --episodes 12000 --steps 100 --policy mixed --seed 1 --out "$out/D12K" --force --quiet
t0=$(date +%s)
echo "== 2/4 train: the keypoint autoencoder on D2K, $ae min (configs/pusht_keypoints.json)"
rm -rf "$out/KP" "$out/W"
"$jepa" train --config configs/pusht_keypoints.json --data "$out/D2K" --out "$out/KP" \
    --minutes "$ae" --threads "$threads"
left=$(predictor_minutes "$(( $(date +%s) - t0 ))")
check_minutes "$left"
echo "== 3/4 train: the predictor on the frozen keypoints of D12K, $left min after the encoding"
"$jepa" train --config configs/pusht_keypoints_predictor.json --data "$out/D12K" \
    --init "$out/KP/last.safetensors" --out "$out/W" --steps "$steps" --minutes "$left" --threads "$threads"
echo "training: $(( $(date +%s) - t0 )) s in all (budget $budget min)"
echo "== 4/4 plan: 50 episodes of LeWM's protocol on each seed ($seeds)"
for s in $seeds; do
    "$jepa" eval --ckpt "$out/W/last.safetensors" --env pusht --episodes 50 --seed "$s" \
        --planner icem --samples 300 --iterations 30 --horizon 5 --execute 1 --shrink \
        --threads "$threads" --json "$out/eval_$s.json"
done
