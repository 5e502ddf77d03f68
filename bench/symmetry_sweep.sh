#!/usr/bin/env bash
# Learned symmetries on Glasses under several objective settings, side by side: LeNet on the
# generated faces (15 epochs, seed 1), the oracles once, then one L_θ per setting (all at once,
# each in its own process) with its ground-truth scores: toggle rate, identity kept, distance
# to L* x, and the objective of L against that of the true symmetry L*. A study run, not a test.
#   bash bench/symmetry_sweep.sh [memlab binary] [device: cpu|wgpu] [steps]
# (default: builds the CPU binary; cpu; 1500 steps). Settings are the lines of SETTINGS below.
set -uo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/memlab/target}"
binary="${1:-}"
device="${2:-cpu}"
steps="${3:-1500}"
if [ -z "$binary" ]; then
  cargo build --quiet --release --package memlab-server --bin memlab || exit 1
  binary="$CARGO_TARGET_DIR/release/memlab"
fi
SETTINGS=(
  "--mode from-phi"
  "--mode from-labels"
  "--mode from-phi --change-fraction 0.05 --min-change 0.2"
  "--mode from-phi --change-fraction 0.05 --min-change 0.2 --involution-weight 1"
)
data_dir="$(mktemp -d)"
export MEMLAB_DATA_DIR="$data_dir/store" RUST_LOG="${RUST_LOG:-warn}"
echo "machine: $(nproc) cores; device: $device; $steps steps per setting"
"$binary" train --device "$device" --dataset glasses --model lenet --epochs 15 --seed 1 2>&1 \
  | grep -E '^done'
# The oracles are trained by the first symmetry run and stored; one short run makes them.
"$binary" symmetry --device "$device" --experiment 1 --steps 1 >/dev/null 2>&1
# Each setting gets its own copy of the store (a store holds one L_θ per mode).
threads=$(( $(nproc) / ${#SETTINGS[@]} ))
for i in "${!SETTINGS[@]}"; do
  cp -r "$data_dir/store" "$data_dir/store-$i"
  # shellcheck disable=SC2086
  RAYON_NUM_THREADS=$(( threads > 0 ? threads : 1 )) "$binary" symmetry --device "$device" \
    --data-dir "$data_dir/store-$i" --experiment 1 --steps "$steps" ${SETTINGS[$i]} \
    >"$data_dir/setting-$i.log" 2>&1 &
done
wait
for i in "${!SETTINGS[@]}"; do
  echo "== ${SETTINGS[$i]}"
  grep -E 'L_θ|test \(|ground truth|objective|equilibrium|known transform' \
    "$data_dir/setting-$i.log" | sed 's/^ */  /'
done
echo "store: $data_dir"
