#!/usr/bin/env bash
# memlab next to PyTorch on the same machine in the same run: LeNet on MNIST, the same batch
# size, learning rate (Adam 2e-3), examples and thread count; training images/s per epoch and
# inference images/s on the test split, and memlab/PyTorch ratios. Installs torch from PyPI
# into a venv under ~/.cache/memlab (once). A benchmark, not a test.
#   bash bench/pytorch.sh [n_train=20000] [epochs=2] [threads=2]
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/memlab/target}"
n_train="${1:-20000}"
epochs="${2:-2}"
threads="${3:-2}"
torch_version="2.15.0"
venv="$HOME/.cache/memlab/torch-venv"
datasets="${MEMLAB_DATASETS_DIR:-$HOME/.cache/memlab/datasets}"
if ! "$venv/bin/python" -c "import torch; assert torch.__version__.startswith('$torch_version')" 2>/dev/null; then
  python3 -m venv "$venv"
  # PyPI's Linux wheel loads its CUDA libraries at import even on a CPU-only machine, so they
  # come too (about 5 GB in the venv, once); only the CPU is used.
  "$venv/bin/pip" install --quiet "torch==$torch_version" numpy
fi
data_dir="$(mktemp -d)"
trap 'rm -rf "$data_dir"' EXIT
cargo build --quiet --release --package memlab-server --bin memlab
echo "machine: $(nproc) cores, $(uname -m); LeNet, MNIST $n_train examples, batch 128, $threads threads"
memlab_out="$(RAYON_NUM_THREADS="$threads" "$CARGO_TARGET_DIR/release/memlab" train \
  --data-dir "$data_dir" --dataset mnist --model lenet --n-train "$n_train" --epochs "$epochs" \
  --batch-size 128 --learning-rate 0.002 --seed 1 2>&1 | grep -E '^epoch|^inference|^done')"
echo "memlab (burn flex, release):"
echo "$memlab_out" | sed 's/^/  /'
torch_out="$(OMP_NUM_THREADS="$threads" "$venv/bin/python" bench/pytorch_lenet.py \
  "$datasets/mnist" "$n_train" "$epochs" 128 "$threads")"
echo "PyTorch:"
echo "$torch_out" | sed 's/^/  /'
# Ratios: the last epoch's training images/s (the first warms up) and inference images/s.
last_epoch() { grep -E '^ *epoch' | tail -1 | grep -oE '[0-9.]+ (img|images)/s' | grep -oE '^[0-9.]+'; }
inference() { grep -E 'inference' | grep -oE '[0-9.]+ images/s' | grep -oE '^[0-9.]+'; }
python3 - "$(echo "$memlab_out" | last_epoch)" "$(echo "$torch_out" | last_epoch)" \
  "$(echo "$memlab_out" | inference)" "$(echo "$torch_out" | inference)" <<'PY'
import sys
mt, tt, mi, ti = map(float, sys.argv[1:])
print(f"memlab/PyTorch: training {mt / tt:.2f}x ({mt:.0f} vs {tt:.0f} images/s), "
      f"inference {mi / ti:.2f}x ({mi:.0f} vs {ti:.0f} images/s)")
PY
