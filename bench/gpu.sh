#!/usr/bin/env bash
# The lab's jobs on a GPU (burn's wgpu runtime, `--device wgpu`) next to the CPU backend (flex)
# on the same machine: LeNet, the whitened-patch model and scattering training; the scattering
# transform, the bound panel, the invariance probe and Lie discovery computed on both devices
# from the same weights and compared number by number; LeNet on Glasses and a learned symmetry
# L_θ with its ground-truth scores. A check and a benchmark, not a test: CI has no GPU.
#   bash bench/gpu.sh [memlab binary built with --features wgpu]   (default: builds one)
# Needs a Vulkan driver for the GPU. Each step is bounded by a timeout (seconds below) and
# prints its wall time; the comparisons print the worst relative difference.
set -uo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/memlab/target}"
binary="${1:-}"
if [ -z "$binary" ]; then
  cargo build --quiet --release --package memlab-server --features wgpu --bin memlab || exit 1
  binary="$CARGO_TARGET_DIR/release/memlab"
fi
binary="$(realpath "$binary")"
data_dir="$(mktemp -d)"
logs="${GPU_LOGS:-$data_dir/logs}"
mkdir -p "$logs"
export MEMLAB_DATA_DIR="$data_dir"
# wgpu's adapter lines would interleave with the results.
export RUST_LOG="${RUST_LOG:-warn}"
echo "machine: $(nproc) cores; GPU: $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null || echo unknown)"

# step NAME SECONDS COMMAND...: runs it under a timeout, keeps its output in $logs/NAME.log and
# prints its last lines and wall time.
step() {
  local name=$1 limit=$2 started
  shift 2
  started=$(date +%s%N)
  timeout "$limit" "$@" >"$logs/$name.log" 2>&1
  local status=$?
  grep -v -E '^\s*$|█|░' "$logs/$name.log" | tail -n "${TAIL:-6}"
  echo "--> $name: exit $status, $(( ($(date +%s%N) - started) / 1000000 )) ms"
}

# compare A B: the worst relative difference between the numbers of two logs, line by line,
# skipping timing lines (the same job on two devices prints the same lines).
compare() {
  python3 - "$logs/$1.log" "$logs/$2.log" <<'EOF'
import re, sys
number = re.compile(r"-?\d+\.?\d*(?:[eE][-+]?\d+)?")
def lines(path):
    keep = []
    for line in open(path, encoding="utf-8"):
        if "\x1b" in line or re.search(r"\d s\b|\bs\)|ms\b|images/s|on wgpu|on flex|computed in|finished in", line):
            continue
        values = [float(v) for v in number.findall(line)]
        if values:
            keep.append((line.strip(), values))
    return keep
a, b = lines(sys.argv[1]), lines(sys.argv[2])
if len(a) != len(b):
    print(f"   compare: {len(a)} against {len(b)} numeric lines")
worst, where, count = 0.0, "", 0
for (la, va), (lb, vb) in zip(a, b):
    for x, y in zip(va, vb):
        count += 1
        d = abs(x - y) / max(abs(x), abs(y), 1e-3)
        if d > worst:
            worst, where = d, f"{la!r} vs {lb!r}"
print(f"   compare: {count} numbers, worst relative difference {worst:.2e}")
if worst > 1e-3:
    print(f"   at: {where}")
EOF
}

echo "== LeNet, all of MNIST, 2 epochs, batch 128"
step lenet_wgpu 150 "$binary" train --device wgpu --model lenet --epochs 2 --batch-size 128
step lenet_cpu 150 "$binary" train --device cpu --model lenet --epochs 2 --batch-size 128
echo "== whitened patches (Q = 256, 5×5), all of MNIST, 10 epochs of the linear head"
step patches_wgpu 240 "$binary" train --device wgpu --model patches --epochs 10
echo "== scattering (J = 2, L = 8) + linear, 10 000 MNIST images, 3 epochs"
step scattering_wgpu 240 "$binary" train --device wgpu --model scattering --n-train 10000 \
  --epochs 3 --learning-rate 0.0003
echo "== scattering transform of 3 test images, GPU against CPU"
step transform_wgpu 60 "$binary" scattering --device wgpu --json "$data_dir/wgpu.json"
step transform_cpu 60 "$binary" scattering --device cpu --json "$data_dir/cpu.json"
python3 - "$data_dir/wgpu.json" "$data_dir/cpu.json" <<'EOF'
import json, sys
def flat(value):
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        yield float(value)
    elif isinstance(value, list):
        for item in value:
            yield from flat(item)
    elif isinstance(value, dict):
        for key in sorted(value):
            yield from flat(value[key])
a, b = (list(flat(json.load(open(path)))) for path in sys.argv[1:])
num = sum((x - y) ** 2 for x, y in zip(a, b)) ** 0.5
den = sum(y * y for y in b) ** 0.5
print(f"   scattering JSON: {len(a)} against {len(b)} numbers, ‖GPU − CPU‖/‖CPU‖ = {num / den:.2e}")
EOF
echo "== bound panel of the GPU-trained LeNet (experiment 1), GPU against CPU"
step bounds_wgpu 120 "$binary" bounds --device wgpu --experiment 1
step bounds_cpu 120 "$binary" bounds --device cpu --experiment 1
compare bounds_wgpu bounds_cpu
echo "== bound panel of the patch model (experiment 3) on the GPU"
step bounds_patches_wgpu 180 "$binary" bounds --device wgpu --experiment 3
echo "== invariance probe and Lie discovery of experiment 1, GPU against CPU"
step probe_wgpu 90 "$binary" probe --device wgpu --experiment 1
step probe_cpu 90 "$binary" probe --device cpu --experiment 1
compare probe_wgpu probe_cpu
step lie_wgpu 90 "$binary" lie --device wgpu --experiment 1
step lie_cpu 90 "$binary" lie --device cpu --experiment 1
compare lie_wgpu lie_cpu
echo "== Glasses: LeNet, then 300 steps of L_θ from Φ with oracles (all on the GPU)"
step glasses_wgpu 150 "$binary" train --device wgpu --dataset glasses --model lenet --epochs 15 --seed 1
TAIL=14 step symmetry_wgpu 300 "$binary" symmetry --device wgpu --experiment 5 --steps 300
echo "logs: $logs"
