#!/usr/bin/env bash
# Training throughput of LeNet on MNIST (batch 128) on the CPU backend, measured by the
# `memlab train` CLI: prints the images/s of each epoch. A benchmark, not a test.
#   bash bench/training_throughput.sh [n_train] [epochs]
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/memlab/target}"
n_train="${1:-20000}"
epochs="${2:-2}"
data_dir="$(mktemp -d)"
trap 'rm -rf "$data_dir"' EXIT
cargo build --quiet --package memlab-server --bin memlab
echo "machine: $(nproc) cores, $(uname -m); backend: burn flex (CPU); profile: dev (dependencies at opt-level 3)"
"$CARGO_TARGET_DIR/debug/memlab" train --data-dir "$data_dir" --dataset mnist --model lenet \
  --n-train "$n_train" --epochs "$epochs" --batch-size 128 --learning-rate 0.002 --seed 1 2>&1 \
  | grep -E '^epoch|^done'
