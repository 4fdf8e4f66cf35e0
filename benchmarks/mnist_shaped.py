"""P3's helpers, run as their own processes so that the benchmark runner stays small: a process started by a
large one inherits its peak memory in ru_maxrss (Linux counts the parent's at exec), which would spoil P5.

    python benchmarks/mnist_shaped.py write FILE.csv    # 60,000 random rows of 784 pixels (0-255) and a label (0-9)
    python benchmarks/mnist_shaped.py matmul            # prints numpy's float32 GFLOP/s for 60,000x784 @ 784x512
"""

from __future__ import annotations

import sys
import time

import numpy as np

ROWS, PIXELS, UNITS = 60_000, 784, 512


def write(path: str) -> None:
    rng = np.random.default_rng(0)
    table = np.concatenate([rng.integers(0, 256, (ROWS, PIXELS)), rng.integers(0, 10, (ROWS, 1))], axis=1)
    np.savetxt(path, table, fmt="%d", delimiter=",")


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
    if sys.argv[1:2] == ["write"] and len(sys.argv) == 3:
        write(sys.argv[2])
    elif sys.argv[1:] == ["matmul"]:
        print(matmul_gflops())
    else:
        raise SystemExit(__doc__)
