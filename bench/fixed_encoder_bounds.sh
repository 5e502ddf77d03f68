#!/usr/bin/env bash
# The bound panel of the low-complexity models next to the CNN's (SCIENCE.md §1, §4; issue 6):
# on MNIST and Fashion-MNIST, trains LeNet (5 epochs), the whitened-patch model (Q = 256, 10
# epochs) and scattering + linear (J = 2, L = 8, 10 epochs), computes each one's bound panel
# (LeNet's with the optimized PAC-Bayes certificate too), and prints every bound, then per data
# set the test error and the tightest bound of each model (LeNet's is the optimized PAC-Bayes
# bound of its stochastic network; the others' the PAC-Bayes margin bound of their stochastic
# linear head) and how it compares with the CNN's. Release build, data sets installed; about an hour on 2 cores.
#   bash bench/fixed_encoder_bounds.sh [datasets...]   (default: mnist fashion-mnist)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/memlab/target}"
cargo build --release -q -p memlab-server
memlab="$CARGO_TARGET_DIR/release/memlab"
datasets_dir="${MEMLAB_DATASETS_DIR:-$HOME/.cache/memlab/datasets}"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
summary="$scratch/summary"
id=0
run() { # dataset label train-args... -- bounds-args...
  local dataset="$1" label="$2"; shift 2
  local train=() bounds=()
  while [ "$1" != -- ]; do train+=("$1"); shift; done; shift
  bounds=("$@")
  id=$((id + 1))
  local done_line
  done_line="$("$memlab" train --dataset "$dataset" "${train[@]}" --data-dir "$scratch/data" \
    --datasets-dir "$datasets_dir" 2>&1 | tr '\r' '\n' | grep '^done')"
  echo "== $dataset · $label: $done_line"
  "$memlab" bounds --experiment "$id" "${bounds[@]}" --data-dir "$scratch/data" \
    --datasets-dir "$datasets_dir" 2>&1 | tr '\r' '\n' | grep -v ' INFO ' | tee "$scratch/bounds" \
    | grep -E 'e-?[0-9]+( |$)|error|m = ' || true
  local test_error tightest
  test_error="$(sed -nE 's/.*test error ([0-9.]+).*/\1/p' "$scratch/bounds" | head -1)"
  tightest="$(grep -oE '[0-9]\.[0-9]+e-?[0-9]+' "$scratch/bounds" | sort -g | head -1)"
  echo "$dataset $label $test_error $tightest" >>"$summary"
}
for dataset in "${@:-mnist fashion-mnist}"; do
  for d in $dataset; do
    run "$d" lenet --model lenet --epochs 5 -- --pac-bayes
    run "$d" patches --model patches --epochs 10 --
    run "$d" scattering --model scattering --epochs 10 --learning-rate 0.0003 --
  done
done
echo
printf '%-14s %-11s %10s %12s %s\n' dataset model test-error tightest "vs LeNet"
while read -r dataset model test_error tightest; do
  cnn="$(awk -v d="$dataset" '$1 == d && $2 == "lenet" { print $4 }' "$summary")"
  ratio="$(awk -v a="$cnn" -v b="$tightest" \
    'BEGIN { if (b <= a) printf "%.1f× tighter", a / b; else printf "%.1f× looser", b / a }')"
  printf '%-14s %-11s %10s %12s %s\n' "$dataset" "$model" "$test_error" "$tightest" "$ratio"
done <"$summary"
