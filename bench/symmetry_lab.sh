#!/usr/bin/env bash
# Times of the symmetry lab on the demo network (LeNet, all 60 000 MNIST examples, 2 epochs,
# seed 42): the invariance probe (7 sweeps, 94 values, 500 test images), Lie-generator
# discovery (500 images, 12 warps each), and 300 steps of a learned symmetry L_θ (batch 32, two
# discriminator steps per generator step); then LeNet on the generated Glasses faces and the
# same 300 steps with its ground-truth scores (the first run also trains the two oracles).
# A benchmark, not a test.
#   bash bench/symmetry_lab.sh [release|dev]     (default: release)
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
# Runs a command, keeps the summary lines, and prints the wall time.
timed() {
  local started=$SECONDS
  "$@" 2>&1 | grep -E 'experiment [0-9]+:|mean consistency|sensitivity|test \(|ground truth' || true
  echo "  -> $((SECONDS - started)) s"
}
"$binary" train --data-dir "$data_dir" --dataset mnist --model lenet --epochs 2 --seed 42 2>&1 \
  | grep -E '^done'
echo "probe:"; timed "$binary" probe --data-dir "$data_dir" --experiment 1
echo "Lie generators:"; timed "$binary" lie --data-dir "$data_dir" --experiment 1
echo "learned symmetry, 300 steps:"
timed "$binary" symmetry --data-dir "$data_dir" --experiment 1 --steps 300
"$binary" train --data-dir "$data_dir" --dataset glasses --model lenet --epochs 15 --seed 1 2>&1 \
  | grep -E '^done'
echo "learned symmetry on Glasses, 300 steps (with oracle training):"
timed "$binary" symmetry --data-dir "$data_dir" --experiment 2 --steps 300
