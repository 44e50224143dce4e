#!/usr/bin/env bash
# Install the Debian/Ubuntu packages jepa.c builds against; only what is missing.
# Idempotent: a second run installs nothing and prints nothing but a summary line.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libcjson-dev             # JSON: configs, manifests, safetensors headers
  libchipmunk-dev          # 2-D physics for pusht
  libmujoco-dev            # 3-D physics for pointmaze and reacher
  libgif-dev libpng-dev    # GIF animations and PNG contact sheets
  libopenmpi-dev openmpi-bin  # optional: data-parallel training (mpirun -np N jepa train)
  # make test: valgrind for the memcheck smoke test; clang and its runtimes (libclang-rt-dev
  # holds libFuzzer and the sanitizers, which clang only recommends) for the fuzz targets
  valgrind clang libclang-rt-dev
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1
  fi
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
