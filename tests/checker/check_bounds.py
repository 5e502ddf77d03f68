#!/usr/bin/env python3
"""Independent recomputation of a memlab bound panel (issue 21), outside the Rust code.

Reads a finished panel from the API (GET /api/experiments/{id}/bounds), the trained weights
(GET /api/experiments/{id}/weights.safetensors, PyTorch names and layouts), the experiment's
architecture and input normalization (GET /api/experiments/{id}) and the MNIST IDX files, then
recomputes with numpy alone:

- each layer as a dense matrix on its real input size (convolutions written out), with its bias
  folded in: the spectral norm by dense SVD (the panel's certified value must be >= it), the
  Frobenius norm, the (2,1) norm and the largest row norm;
- the training margins by its own forward pass, the training error and the margin quantiles;
- the bounds VC, BFT (reference 0 and, from the panel's stated (2,1) distances to the
  initialization, reference = initialization), GRS, NTS and NBS from those facts, by the
  formulas of the papers as the panel states them, with the same grids and margin rule.

Exits 1 with the differences when a recomputed number and the panel's differ by more than the
tolerance (1e-3 relative), or when a certified norm is below the SVD's.

    python3 check_bounds.py URL EXPERIMENT_ID MNIST_DIR
"""

import gzip
import json
import math
import os
import struct
import sys
import urllib.request

import numpy as np

TOLERANCE = 1e-3
# 2^(j/4), j = -64..128 (norms and margins) and j = -256..32 (prior standard deviations).
NORMS = [2.0 ** (j / 4) for j in range(-64, 129)]
SCALES = [2.0 ** (j / 4) for j in range(-256, 33)]


def get(url):
    with urllib.request.urlopen(url, timeout=120) as response:
        return response.read()


def safetensors(data):
    """{name: float64 array} of a safetensors file (F32 tensors)."""
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + length])
    body = data[8 + length :]
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", (name, info["dtype"])
        start, end = info["data_offsets"]
        values = np.frombuffer(body[start:end], dtype="<f4").astype(np.float64)
        tensors[name] = values.reshape(info["shape"])
    return tensors


def idx(path):
    """An IDX file (raw or gzipped) as a numpy array."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as handle:
        data = handle.read()
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4 : 4 + 4 * dims])
    return np.frombuffer(data[4 + 4 * dims :], dtype=np.uint8).reshape(shape)


def mnist_file(folder, stem):
    for name in (stem, stem + ".gz"):
        path = os.path.join(folder, name)
        if os.path.exists(path):
            return path
    raise FileNotFoundError(os.path.join(folder, stem))


def conv_matrix(kernel, side, padding):
    """The stride-1 convolution with `kernel` [out, in, k, k] on [in, side, side] inputs, zero
    padding `padding`, as a dense (out·o·o) × (in·side·side) matrix (channels first)."""
    out_channels, in_channels, k, _ = kernel.shape
    o = side + 2 * padding - k + 1
    matrix = np.zeros((out_channels * o * o, in_channels * side * side))
    ys, xs = np.meshgrid(np.arange(o), np.arange(o), indexing="ij")
    for c_out in range(out_channels):
        rows = c_out * o * o + ys * o + xs
        for c_in in range(in_channels):
            for a in range(k):
                for b in range(k):
                    yy, xx = ys + a - padding, xs + b - padding
                    inside = (yy >= 0) & (yy < side) & (xx >= 0) & (xx < side)
                    cols = c_in * side * side + yy * side + xx
                    matrix[rows[inside], cols[inside]] += kernel[c_out, c_in, a, b]
    return matrix, o


def layers_of(model, weights):
    """[(name, dense matrix, bias as a column over outputs, pooling side or None, is_last,
    parameters)] of the architecture `model` (the API's `arch`-tagged config)."""
    arch = model["arch"]
    if arch == "lenet":
        side = model["height"]
        conv1, o1 = conv_matrix(weights["conv1.weight"], side, 2)
        conv2, o2 = conv_matrix(weights["conv2.weight"], o1 // 2, 0)
        layers = [
            ("conv1", conv1, np.repeat(weights["conv1.bias"], o1 * o1), 2, False),
            ("conv2", conv2, np.repeat(weights["conv2.bias"], o2 * o2), 2, False),
            ("fc1", weights["fc1.weight"], weights["fc1.bias"], None, False),
            ("fc2", weights["fc2.weight"], weights["fc2.bias"], None, False),
            ("head", weights["head.weight"], weights["head.bias"], None, True),
        ]
        shapes = {"conv1": (6, o1), "conv2": (16, o2)}
        out = []
        for name, matrix, bias, pool, last in layers:
            own = weights[name + ".weight"].size + weights[name + ".bias"].size
            out.append((name, matrix, bias, pool, last, own, shapes.get(name)))
        return out
    if arch == "mlp":
        out = []
        count = len(model["hidden_sizes"])
        for index in range(count):
            name = f"hidden.{index}"
            w, b = weights[name + ".weight"], weights[name + ".bias"]
            out.append((name, w, b, None, False, w.size + b.size, None))
        w, b = weights["head.weight"], weights["head.bias"]
        out.append(("head", w, b, None, True, w.size + b.size, None))
        return out
    raise SystemExit(f"the checker covers LeNet and MLP panels, not {arch}")


def augmented(matrix, bias, last):
    """A' = [[A, b], [0, 1]] (hidden layers) or [A, b] (the last layer)."""
    rows, cols = matrix.shape
    out = np.zeros((rows + (0 if last else 1), cols + 1))
    out[:rows, :cols] = matrix
    out[:rows, cols] = bias
    if not last:
        out[rows, cols] = 1.0
    return out


def forward(layers, x):
    """Logits of the rows of `x` (normalized, flattened channels first)."""
    for name, matrix, bias, pool, last, _, shape in layers:
        x = x @ matrix.T + bias
        if last:
            return x
        x = np.maximum(x, 0.0)
        if pool:
            channels, side = shape
            half = side // pool
            x = x.reshape(len(x), channels, half, pool, half, pool).max(axis=(3, 5))
            x = x.reshape(len(x), -1)
    return x


def round_up(value):
    for grid_value in NORMS:
        if grid_value >= value:
            return grid_value
    return None


def quantile(sorted_values, q):
    return sorted_values[int(round((len(sorted_values) - 1) * q))]


def ramp(margins, gamma):
    return float(np.clip(1.0 - margins / gamma, 0.0, 1.0).mean())


def margin_loss(margins, gamma):
    return float((margins <= gamma).mean())


def choose_margin(margins, sorted_margins, bound):
    """The panel's margin rule: the grid margin minimizing the bound when it is <= 1 there;
    else the minimizer among margins at most the (errors + 0.1)-quantile of the margins."""
    errors = margin_loss(margins, 0.0)
    cap = quantile(sorted_margins, min(errors + 0.1, 1.0))
    best = below = None
    for gamma in NORMS:
        value = bound(gamma)
        if value is None:
            continue
        if gamma <= cap and (below is None or value < below[1]):
            below = (gamma, value)
        if best is None or value < best[1]:
            best = (gamma, value)
    if best is None:
        return None
    if best[1] <= 1.0 or below is None:
        return best
    return below


def ln_sign_patterns(n, degree, variables):
    if n < variables:
        return n * math.log(2)
    return math.log(2) + variables * math.log(2 * math.e * n * degree / variables)


def main():
    url, experiment_id, mnist = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]
    experiment = json.loads(get(f"{url}/api/experiments/{experiment_id}"))
    job = json.loads(get(f"{url}/api/experiments/{experiment_id}/bounds"))
    panel = job["result"]
    if panel is None:
        raise SystemExit(f"experiment {experiment_id} has no finished panel ({job['status']})")
    weights = safetensors(get(f"{url}/api/experiments/{experiment_id}/weights.safetensors"))
    model, spec = experiment["model"], experiment["input"]
    if experiment["config"]["dataset"] != "mnist":
        raise SystemExit("the checker reads MNIST's files")
    layers = layers_of(model, weights)
    problems, lines = [], []

    def agree(what, ours, theirs, tolerance=TOLERANCE, absolute=0.0):
        scale = max(abs(ours), abs(theirs), 1e-12)
        close = abs(ours - theirs) <= max(tolerance * scale, absolute)
        lines.append(f"{'ok ' if close else 'BAD'} {what}: numpy {ours:.6g}, panel {theirs:.6g}")
        if not close:
            problems.append(what)

    # Norms of each layer's map.
    facts = []
    for (name, matrix, bias, pool, last, parameters, shape), stated in zip(
        layers, panel["layers"]
    ):
        assert stated["name"] == name, (stated["name"], name)
        full = augmented(matrix, bias, last)
        svd = float(np.linalg.svd(full, compute_uv=False)[0])
        plain = float(np.linalg.svd(matrix, compute_uv=False)[0])
        certified = stated["spectral_with_bias"]
        holds = certified >= svd * (1 - 1e-9) and stated["spectral"] >= plain * (1 - 1e-9)
        lines.append(
            f"{'ok ' if holds else 'BAD'} {name}: certified ‖A'‖σ {certified:.6g} ≥ SVD "
            f"{svd:.6g} (×{certified / svd:.4f}); ‖A‖σ {stated['spectral']:.6g} ≥ {plain:.6g}"
        )
        if not holds:
            problems.append(f"{name} certified norm below the SVD")
        rows = np.sqrt((full[: matrix.shape[0]] ** 2).sum(axis=1))
        two_one = float(rows.sum()) + (0.0 if last else 1.0)
        agree(f"{name} ‖A‖F", float(np.linalg.norm(matrix)), stated["frobenius"])
        agree(f"{name} ‖A'ᵀ‖₂,₁", two_one, stated["two_one"])
        agree(f"{name} parameters", float(parameters), float(stated["parameters"]))
        windows = None
        if pool:
            channels, side = shape
            windows = (channels * (side // pool) ** 2, pool * pool)
        facts.append(
            {
                "parameters": parameters,
                "inputs": matrix.shape[1],
                "outputs": matrix.shape[0],
                "pooling": windows,
                "spectral": certified,
                "frobenius": float(np.linalg.norm(full)),
                "max_row": float(rows.max()),
                "two_one": two_one,
                "two_one_init": stated["two_one_from_init"],
                "last": last,
            }
        )

    # The sample: the first n_train training images (no fixed encoder here, nothing held out).
    m = panel["n_train"]
    images = idx(mnist_file(mnist, "train-images-idx3-ubyte"))[:m].reshape(m, -1)
    labels = idx(mnist_file(mnist, "train-labels-idx1-ubyte"))[:m].astype(np.int64)
    mean, std = spec["mean"][0], spec["std"][0]
    margins = np.empty(m)
    total_norm = 0.0
    for start in range(0, m, 2000):
        x = (images[start : start + 2000] / 255.0 - mean) / std
        total_norm += float((x**2).sum())
        logits = forward(layers, x)
        rows = np.arange(len(x))
        y = labels[start : start + 2000]
        true = logits[rows, y]
        logits[rows, y] = -np.inf
        margins[start : start + len(x)] = true - logits.max(axis=1)
    sorted_margins = np.sort(margins)
    train_error = margin_loss(margins, 0.0)
    # Float32 and float64 forward passes may disagree on a margin within rounding of 0.
    agree("training error", train_error, panel["train_error"], absolute=2.0 / m)
    for q, value in panel["margins"]["quantiles"]:
        agree(f"margin quantile {q}", quantile(sorted_margins, q), value, 1e-3)
    agree("√Σ‖x‖²", math.sqrt(total_norm), panel["data_norm"])

    k, delta = panel["n_classes"], panel["delta"]
    depth = len(facts)
    data_norm = math.sqrt(total_norm + m)
    extreme = max(abs(mean), abs(1 - mean)) / std
    domain_norm = math.sqrt(extreme**2 * spec["height"] * spec["width"] + 1)
    elementwise = all(f["pooling"] is None for f in facts)
    ours = {}

    # VC: growth function by region counting, Mohri et al. Thm 3.3.
    total, variables = 0.0, 0
    for index, f in enumerate(facts):
        variables += f["parameters"]
        if f["last"]:
            total += ln_sign_patterns(m * (k - 1), depth, variables)
        else:
            total += ln_sign_patterns(m * f["outputs"], index + 1, variables)
            if f["pooling"]:
                windows, size = f["pooling"]
                total += ln_sign_patterns(m * windows * size * (size - 1) / 2, index + 1, variables)
    ours["vc"] = (
        train_error + 2 * math.sqrt(2 * total / m) + math.sqrt(math.log(1 / delta) / (2 * m))
    )

    # BFT, references 0 and the initialization.
    widest = max(max(f["inputs"] + 1, f["outputs"] + (0 if f["last"] else 1)) for f in facts)
    for key, field in (("bft_zero", "two_one"), ("bft_init", "two_one_init")):
        s = [round_up(f["spectral"]) for f in facts]
        b = [round_up(f[field]) for f in facts]
        complexity = math.prod(s) * sum((bi / si) ** (2 / 3) for si, bi in zip(s, b)) ** 1.5
        slope = 48 * math.log(m) * math.sqrt(math.log(2 * widest**2)) * data_norm * complexity / m
        confidence = 3 * math.sqrt((math.log(1 / delta) + math.log(193) * (2 * depth + 1)) / (2 * m))
        choice = choose_margin(
            margins,
            sorted_margins,
            lambda g: ramp(margins, g) + 8 / m + slope / g + confidence,
        )
        ours[key] = choice[1]

    if elementwise:
        # GRS and NTS: Frobenius norms (the last layer: its largest row), Mohri et al. Thm 9.2.
        product = math.prod(
            round_up(f["max_row"] if f["last"] else f["frobenius"]) for f in facts
        )
        confidence = 3 * math.sqrt((math.log(2 / delta) + math.log(193) * (depth + 1)) / (2 * m))
        for key, factor in (
            # Depth 1 is a linear class: factor 1 for both.
            ("grs", math.sqrt(2 * math.log(2) * depth) + 1 if depth > 1 else 1.0),
            ("nts", 2.0 ** (depth - 1)),
        ):
            rademacher = factor * product * data_norm / m
            choice = choose_margin(
                margins,
                sorted_margins,
                lambda r: ramp(margins, r) + 4 * k / r * rademacher + confidence,
            )
            ours[key] = choice[1]
        # NBS: σ the largest grid value meeting the perturbation conditions.
        h = max(max(f["inputs"] + 1, f["outputs"]) for f in facts)
        spread = math.sqrt(2 * h * math.log(4 * depth * h))
        spectral = [f["spectral"] for f in facts]
        norm_squared = sum(float((t**2).sum()) for t in weights.values())
        union = math.log(6 * m * len(SCALES) * len(NORMS) / delta)

        def nbs(gamma):
            limit_a = gamma / (
                4 * math.e * domain_norm * math.prod(spectral) * sum(1 / s for s in spectral)
                * spread
            )
            limit = min(limit_a, min(spectral) / (depth * spread))
            sigmas = [s for s in SCALES if s <= limit]
            if not sigmas:
                return None
            kl = norm_squared / (2 * sigmas[-1] ** 2)
            return margin_loss(margins, gamma) + 4 * math.sqrt((kl + union) / (m - 1))

        choice = choose_margin(margins, sorted_margins, nbs)
        if choice:
            ours["nbs"] = choice[1]

    stated = {bound["key"]: bound for bound in panel["bounds"]}
    for key, value in ours.items():
        bound = stated.get(key)
        if bound is None or bound["value"] is None:
            lines.append(f"BAD {key}: numpy {value:.6g}, the panel has none")
            problems.append(key)
            continue
        agree(f"bound {key}", value, bound["value"])
    print(f"experiment {experiment_id} ({model['arch']}, m = {m}):")
    print("\n".join("  " + line for line in lines))
    if problems:
        print(f"{len(problems)} disagreements: {', '.join(problems)}")
        sys.exit(1)
    print(f"all {len(lines)} checks agree")


if __name__ == "__main__":
    main()
