"""P3's helper, run as its own process so that the benchmark runner stays small: a process started by a
large one inherits its peak memory in ru_maxrss (Linux counts the parent's at exec), which would spoil P5 and P6.

    python benchmarks/mnist_shaped.py matmul            # prints numpy's float32 GFLOP/s for 60,000x784 @ 784x512
"""

from __future__ import annotations

import sys
import time

import numpy as np

ROWS, PIXELS, UNITS = 60_000, 784, 512


def matmul_gflops(repeat: int = 7) -> float:
    """numpy's single-precision product of an epoch's inputs with the first layer's weights, the best of `repeat`:
    the hardware's practical ceiling for this MLP."""
    rng = np.random.default_rng(0)
    x, w = rng.random((ROWS, PIXELS), dtype=np.float32), rng.random((PIXELS, UNITS), dtype=np.float32)
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        x @ w
        best = min(best, time.perf_counter() - start)
    return 2 * ROWS * PIXELS * UNITS / best / 1e9


if __name__ == "__main__":
    if sys.argv[1:] == ["matmul"]:
        print(matmul_gflops())
    else:
        raise SystemExit(__doc__)
