#!/usr/bin/env bash
# Whitening ablation of the whitened-patch model (Thiry et al. 2021, SCIENCE.md §4): the same
# run (Q atoms, grid, epochs) without whitening and with ε from 0 to 10, on MNIST and
# Fashion-MNIST; prints one line per run with its test accuracy and time.
# Usage: bash bench/patches_ablation.sh [atoms] [epochs]   (release build, datasets installed)
set -euo pipefail
cd "$(dirname "$0")/.."
atoms="${1:-256}"
epochs="${2:-10}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/memlab/target}"
cargo build --release -q -p memlab-server
memlab="$CARGO_TARGET_DIR/release/memlab"
datasets="${MEMLAB_DATASETS_DIR:-$HOME/.cache/memlab/datasets}"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
printf '%-14s %-10s %10s %10s %8s\n' dataset whitening train test seconds
for dataset in mnist fashion-mnist; do
  for whitening in none 0 0.001 0.01 0.1 1 10; do
    if [ "$whitening" = none ]; then flag=(--no-whitening); else flag=(--whitening "$whitening"); fi
    out="$("$memlab" train --dataset "$dataset" --model patches --atoms "$atoms" --epochs "$epochs" \
      "${flag[@]}" --data-dir "$scratch/data" --datasets-dir "$datasets" 2>&1 | tr '\r' '\n' | grep '^done')"
    train="$(sed -E 's/.*train accuracy ([0-9.]+).*/\1/' <<<"$out")"
    test="$(sed -E 's/.*test accuracy ([0-9.]+).*/\1/' <<<"$out")"
    seconds="$(sed -E 's/done in ([0-9.]+) s.*/\1/' <<<"$out")"
    printf '%-14s %-10s %10s %10s %8s\n' "$dataset" "$whitening" "$train" "$test" "$seconds"
  done
done
