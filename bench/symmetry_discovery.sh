#!/usr/bin/env bash
# One full Glasses discovery, both modes side by side (issue 19's cost goal: ≤ 15 min on the
# 2-core CPU): LeNet on the generated faces (15 epochs, seed 1), the oracles once, then L_θ
# from Φ and from f at once (one core each), each with stage A (the splitter S, self-trained
# without glasses labels) and stage B (the game with the flip term through S). Prints each
# run's discovery rounds, toggle rates (on → off and off → on), identity kept, Φ kept,
# realism and the wall time. A benchmark, not a test.
#   bash bench/symmetry_discovery.sh [memlab binary] [steps] [extra symmetry flags…]
# e.g. the latent-reflection start, distilled, one game step:
#   bash bench/symmetry_discovery.sh "" 1 --flip-weight 1 --search reflection
set -uo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/memlab/target}"
binary="${1:-}"
steps="${2:-1500}"
shift $(( $# > 2 ? 2 : $# ))
if [ -z "$binary" ]; then
  cargo build --quiet --release --package memlab-server --bin memlab || exit 1
  binary="$CARGO_TARGET_DIR/release/memlab"
fi
data_dir="$(mktemp -d)"
export MEMLAB_DATA_DIR="$data_dir/store" RUST_LOG="${RUST_LOG:-warn}"
echo "machine: $(nproc) cores; $steps steps per mode; flags: $*"
"$binary" train --dataset glasses --model lenet --epochs 15 --seed 1 2>&1 | grep -E '^done'
"$binary" symmetry --experiment 1 --steps 1 --flip-weight 0 >/dev/null 2>&1
started=$SECONDS
threads=$(( $(nproc) / 2 ))
for mode in from-phi from-labels; do
  cp -r "$data_dir/store" "$data_dir/store-$mode"
  # shellcheck disable=SC2068
  RAYON_NUM_THREADS=$(( threads > 0 ? threads : 1 )) "$binary" symmetry \
    --data-dir "$data_dir/store-$mode" --experiment 1 --steps "$steps" --mode "$mode" $@ \
    >"$data_dir/$mode.log" 2>&1 &
done
wait
for mode in from-phi from-labels; do
  echo "== $mode"
  grep -vE '^\s+step ' "$data_dir/$mode.log" | sed 's/^ */  /'
done
echo "both modes: $((SECONDS - started)) s wall; store: $data_dir"
