#!/usr/bin/env bash
# Forward latency in headless Chromium, on WebGPU and on the wasm CPU fallback: one image, one
# slider update (warp + forward), one batched pass of 64 images, for the LeNet demo (trained
# first, about a minute). Builds the browser bundle, then runs memlab-browser-bench (release).
# A benchmark, not a test. On this machine WebGPU is Chromium's software adapter (SwiftShader).
#   bash bench/browser_latency.sh [runs=40]
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/memlab/target}"
runs="${1:-40}"
cargo xtask build-web
export MEMLAB_DIST_DIR="$PWD/dist"
export MEMLAB_DATASETS_DIR="${MEMLAB_DATASETS_DIR:-$HOME/.cache/memlab/datasets}"
cargo run --quiet --release --package memlab-e2e --bin memlab-browser-bench -- --runs "$runs"
