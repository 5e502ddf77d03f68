#!/usr/bin/env bash
# Time of the generalization-bound panel (every bound but the PAC-Bayes optimization) for the
# demo network: LeNet trained on all 60 000 MNIST examples (2 epochs, seed 42), then
# `memlab bounds`, which prints each stage's wall time. A benchmark, not a test.
#   bash bench/bound_panel.sh [release|dev]     (default: release, the profile a deployment runs)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/memlab/target}"
profile="${1:-release}"
data_dir="$(mktemp -d)"
trap 'rm -rf "$data_dir"' EXIT
if [ "$profile" = release ]; then
  cargo build --quiet --release --package memlab-server --bin memlab
  binary="$CARGO_TARGET_DIR/release/memlab"
else
  cargo build --quiet --package memlab-server --bin memlab
  binary="$CARGO_TARGET_DIR/debug/memlab"
fi
echo "machine: $(nproc) cores, $(uname -m); backend: burn flex (CPU); profile: $profile"
"$binary" train --data-dir "$data_dir" --dataset mnist --model lenet --epochs 2 --seed 42 2>&1 \
  | grep -E '^done'
"$binary" bounds --data-dir "$data_dir" --experiment 1 2>&1 | grep -v ' INFO '
