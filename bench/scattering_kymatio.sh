#!/usr/bin/env bash
# memlab's scattering transform against Kymatio's (SCIENCE.md §4), rerunnable by one command:
# installs Kymatio 0.3.0 (numpy backend) from PyPI into a venv under ~/.cache/memlab, then for
# MNIST and Fashion-MNIST test images and (J, L) = (2, 8), (3, 6) and (1, 4) compares every
# filter and every coefficient map; fails if a relative error exceeds 1e-4.
# Usage: bash bench/scattering_kymatio.sh [images] [--fixture]
#   --fixture also rewrites shared/tests/fixtures/kymatio_scattering.json (the known answers
#   `cargo test` checks without Python).
set -euo pipefail
cd "$(dirname "$0")/.."
images="${1:-3}"
[ "$images" = --fixture ] && images=3
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/memlab/target}"
venv="$HOME/.cache/memlab/kymatio-venv"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import kymatio' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q kymatio==0.3.0 numpy==1.26.4 scipy==1.13.1
fi
cargo build --release -q -p memlab-server
memlab="$CARGO_TARGET_DIR/release/memlab"
datasets="${MEMLAB_DATASETS_DIR:-$HOME/.cache/memlab/datasets}"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
for dataset in mnist fashion-mnist; do
  for setting in "2 8" "3 6" "1 4"; do
    read -r scales angles <<<"$setting"
    "$memlab" scattering --dataset "$dataset" --images "$images" --scales "$scales" \
      --angles "$angles" --json "$scratch/run.json" --data-dir "$scratch/data" \
      --datasets-dir "$datasets" >/dev/null
    "$venv/bin/python" bench/scattering_kymatio.py "$scratch/run.json"
  done
done
if [ "${2:-}" = --fixture ] || [ "${1:-}" = --fixture ]; then
  "$venv/bin/python" bench/kymatio_fixture.py shared/tests/fixtures/kymatio_scattering.json
  echo "fixture rewritten"
fi
