"""Writes shared/tests/fixtures/kymatio_scattering.json: Kymatio's Scattering2D (numpy
backend, float64 input) on small seeded images, the known answers memlab's own scattering
transform is tested against without Python. Run by `bash bench/scattering_kymatio.sh --fixture`."""
import json
import sys

import numpy as np
from kymatio.numpy import Scattering2D

CASES = [
    # (height, width, J, L, seed)
    (16, 16, 2, 4, 1),
    (12, 20, 3, 3, 2),
]


def main(path):
    cases = []
    for height, width, scales, angles, seed in CASES:
        rng = np.random.default_rng(seed)
        image = rng.random((1, height, width))
        coefficients = Scattering2D(J=scales, shape=(height, width), L=angles)(image)
        cases.append({
            "height": height,
            "width": width,
            "scales": scales,
            "angles": angles,
            "image": image.ravel().tolist(),
            "shape": list(coefficients.shape[1:]),
            "coefficients": coefficients.ravel().tolist(),
        })
    with open(path, "w") as out:
        json.dump({"kymatio": "0.3.0", "cases": cases}, out)


if __name__ == "__main__":
    main(sys.argv[1])
