#!/usr/bin/env bash
# Load test: `POST /api/experiments/{id}/predict` on a real `memlab serve` (127.0.0.1 only)
# while the server trains another run; prints requests/s, errors and p50/p90/p99 latency.
# Bounded in time and requests. A benchmark, not a test.
#   bash bench/load.sh [seconds=30] [clients=8] [release|dev]
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/memlab/target}"
seconds="${1:-30}"
clients="${2:-8}"
profile="${3:-release}"
data_dir="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$data_dir"
}
trap cleanup EXIT
flag=""; dir=debug
if [ "$profile" = release ]; then flag="--release"; dir=release; fi
cargo build --quiet $flag --package memlab-server --bin memlab
cargo build --quiet $flag --package memlab-e2e --bin memlab-load
bin="$CARGO_TARGET_DIR/$dir"
echo "machine: $(nproc) cores, $(uname -m); backend: burn flex (CPU); profile: $profile"
# The model the clients ask: LeNet on 10 000 MNIST examples (experiment 1).
"$bin/memlab" train --data-dir "$data_dir" --dataset mnist --model lenet --n-train 10000 \
  --epochs 1 --seed 1 2>&1 | grep -E '^done'
"$bin/memlab" serve --data-dir "$data_dir" --addr 127.0.0.1:0 --no-demo \
  --static-dir "$data_dir/none" > "$data_dir/serve.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
  grep -q 'serving on' "$data_dir/serve.log" && break
  sleep 0.1
done
base="$(grep -o 'http://127.0.0.1:[0-9]*' "$data_dir/serve.log" | head -1)"
[ -n "$base" ] || { cat "$data_dir/serve.log"; exit 1; }
"$bin/memlab-load" --base "$base" --experiment 1 --seconds "$seconds" --concurrency "$clients" \
  --background-training
