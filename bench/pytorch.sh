#!/usr/bin/env bash
# memlab next to PyTorch on the same machine in the same run: LeNet on MNIST, the same batch
# size, learning rate (Adam 2e-3), examples and thread count; training images/s per epoch and
# inference images/s on the test split, and memlab/PyTorch ratios. Installs torch from PyPI
# into a venv under ~/.cache/memlab (once). A benchmark, not a test.
#   bash bench/pytorch.sh [n_train=20000] [epochs=2] [threads=2] [runs=1]
# With several runs (each memlab then PyTorch), every run's ratios are printed and then their
# medians: PyTorch's own throughput moves between runs on a shared machine.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/memlab/target}"
n_train="${1:-20000}"
epochs="${2:-2}"
threads="${3:-2}"
runs="${4:-1}"
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
# Ratios: the last epoch's training images/s (the first warms up) and inference images/s.
last_epoch() { grep -E '^ *epoch' | tail -1 | grep -oE '[0-9.]+ (img|images)/s' | grep -oE '^[0-9.]+'; }
inference() { grep -E 'inference' | grep -oE '[0-9.]+ images/s' | grep -oE '^[0-9.]+'; }
figures=()
for run in $(seq 1 "$runs"); do
  [ "$runs" -gt 1 ] && echo "run $run of $runs"
  rm -rf "${data_dir:?}"/*
  memlab_out="$(RAYON_NUM_THREADS="$threads" "$CARGO_TARGET_DIR/release/memlab" train \
    --data-dir "$data_dir" --dataset mnist --model lenet --n-train "$n_train" --epochs "$epochs" \
    --batch-size 128 --learning-rate 0.002 --seed 1 2>&1 | grep -E '^epoch|^inference|^done')"
  echo "memlab (burn flex, release):"
  echo "$memlab_out" | sed 's/^/  /'
  torch_out="$(OMP_NUM_THREADS="$threads" "$venv/bin/python" bench/pytorch_lenet.py \
    "$datasets/mnist" "$n_train" "$epochs" 128 "$threads")"
  echo "PyTorch:"
  echo "$torch_out" | sed 's/^/  /'
  figures+=("$(echo "$memlab_out" | last_epoch),$(echo "$torch_out" | last_epoch),$(echo "$memlab_out" | inference),$(echo "$torch_out" | inference)")
done
python3 - "${figures[@]}" <<'PY'
import statistics
import sys
runs = [tuple(map(float, arg.split(","))) for arg in sys.argv[1:]]
for mt, tt, mi, ti in runs:
    print(f"memlab/PyTorch: training {mt / tt:.2f}x ({mt:.0f} vs {tt:.0f} images/s), "
          f"inference {mi / ti:.2f}x ({mi:.0f} vs {ti:.0f} images/s)")
if len(runs) > 1:
    training = statistics.median(mt / tt for mt, tt, _, _ in runs)
    inference = statistics.median(mi / ti for _, _, mi, ti in runs)
    print(f"median of {len(runs)} runs: training {training:.2f}x, inference {inference:.2f}x")
PY
