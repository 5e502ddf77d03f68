"""Compares memlab's scattering transform with Kymatio's (numpy backend) on the same input.

Reads the JSON `memlab scattering` writes (the normalized input images, memlab's
coefficients and its filter bank), recomputes both with Kymatio 0.3.0 in float64, and prints
the relative errors: per filter (max |difference| / max |Kymatio's filter|), and per image and
channel (‖memlab − Kymatio‖ / ‖Kymatio‖ of each coefficient map). Exits 1 if any exceeds the
tolerance (default 1e-4)."""
import json
import sys

import numpy as np
from kymatio.numpy import Scattering2D


def main(path, tolerance):
    run = json.load(open(path))
    count, channels, height, width = run["input_shape"]
    images = np.asarray(run["input"], dtype=np.float64).reshape(count, channels, height, width)
    transform = Scattering2D(J=run["scales"], shape=(height, width), L=run["angles"])

    # Filters: every wavelet at every resolution, and the low-pass.
    filter_error = 0.0
    assert len(transform.psi) == len(run["wavelets"]), "wavelet count"
    for theirs, ours in zip(transform.psi, run["wavelets"]):
        assert (theirs["j"], theirs["theta"]) == (ours["scale"], ours["angle"])
        assert len(theirs["levels"]) == len(ours["levels"])
        for a, b in zip(theirs["levels"], ours["levels"]):
            b = np.asarray(b).reshape(a.shape)
            filter_error = max(filter_error, np.abs(a - b).max() / np.abs(a).max())
    for a, b in zip(transform.phi["levels"], run["lowpass"]):
        b = np.asarray(b).reshape(a.shape)
        filter_error = max(filter_error, np.abs(a - b).max() / np.abs(a).max())

    # Coefficients: Kymatio gives (count, channels, K, h, w); memlab (count, channels · K, h, w).
    theirs = transform(images)
    ours = np.asarray(run["coefficients"], dtype=np.float64).reshape(theirs.shape)
    difference = np.sqrt(((ours - theirs) ** 2).sum(axis=(-1, -2)))
    norm = np.sqrt((theirs ** 2).sum(axis=(-1, -2)))
    per_map = difference / np.maximum(norm, 1e-300)
    overall = np.sqrt(((ours - theirs) ** 2).sum()) / np.sqrt((theirs ** 2).sum())
    print(
        f"{run['dataset']:<14} J={run['scales']} L={run['angles']} images={count} "
        f"coefficients={theirs.shape[2]}x{theirs.shape[3]}x{theirs.shape[4]}: "
        f"filters {filter_error:.2e}, worst map {per_map.max():.2e}, overall {overall:.2e}"
    )
    if max(filter_error, per_map.max()) > tolerance:
        print(f"  above the tolerance {tolerance:g}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 1e-4)
