#!/usr/bin/env bash
# The main job (`make demo`): the most complete pipeline that exists so far.
# Today that is the engine: it checks its gradients against finite differences.
set -euo pipefail
build=${1:-build}
"$build/jepa" version
echo "demo: the engine's gradient checks (collect, train and plan join this demo as they land)"
"$build/tests/test_views_matmul"
