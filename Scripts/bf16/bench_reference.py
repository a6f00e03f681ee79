"""Single-thread fp32 sgemm (numpy's BLAS) and, where installed, PyTorch's bf16 matmul on the shapes that
selftest.c times, so the device run prints the two yardsticks beside the C kernel. No output if neither
library is installed."""
import os
import time

for var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS"):
    os.environ[var] = "1"

SHAPES = [(64, 50000, 576, 0, 0), (128, 13824, 1152, 0, 0), (256, 3456, 2304, 0, 0), (512, 1000, 4608, 0, 0),
          (64, 576, 27648, 0, 1), (576, 27648, 64, 1, 0)]


def best_of(fn, reps=3):
    best = float("inf")
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main():
    try:
        import numpy as np
    except ImportError:
        print("numpy: not installed")
        return
    try:
        import torch
        torch.set_num_threads(1)
    except ImportError:
        torch = None
        print("torch: not installed")
    rng = np.random.default_rng(0)
    for m, n, k, ta, tb in SHAPES:
        a = rng.uniform(-1, 1, (k, m) if ta else (m, k)).astype(np.float32)
        b = rng.uniform(-1, 1, (n, k) if tb else (k, n)).astype(np.float32)
        oa, ob = (a.T if ta else a), (b.T if tb else b)
        flops = 2.0 * m * n * k
        line = f"ref   M={m:<4} N={n:<6} K={k:<5} tA={ta} tB={tb}: numpy fp32 {flops / best_of(lambda: oa @ ob) * 1e-9:7.1f} GFLOP/s"
        if torch is not None:
            ta_, tb_ = torch.from_numpy(a).bfloat16(), torch.from_numpy(b).bfloat16()
            xa, xb = (ta_.t() if ta else ta_), (tb_.t() if tb else tb_)
            line += f", torch bf16 {flops / best_of(lambda: xa @ xb) * 1e-9:7.1f} GFLOP/s"
            fa, fb = torch.from_numpy(oa.copy()), torch.from_numpy(ob.copy())
            line += f", torch fp32 {flops / best_of(lambda: fa @ fb) * 1e-9:7.1f} GFLOP/s"
        print(line, flush=True)
    print("numpy BLAS:", getattr(np, "__config__", None) and "see np.show_config" or "?")


if __name__ == "__main__":
    main()
