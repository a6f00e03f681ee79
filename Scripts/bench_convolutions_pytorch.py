#!/usr/bin/env python3
"""PyTorch's CPU convolutions on the AudioCNN's conv shapes at batch 32, for comparison with
`audiospecnet bench convolutions` (same shapes, same columns).

Times forward, backward-data and backward-weights of every conv (torch.ops.aten.convolution_backward,
what autograd calls), min over repeats, and the total for one training step's convolutions (repeats
counted, no input gradient for the stem). Usage: python3 Scripts/bench_convolutions_pytorch.py [--threads 2]
[--batch 32] [--channels-last] [--clock cpu]
"""
import argparse
import time

import torch

LAYERS = [  # name, C, K, kernel, stride, padding, H, W, repeats per step
    ("conv1 7x7/2", 1, 64, 7, 2, 3, 128, 216, 1),
    ("layer1 3x3", 64, 64, 3, 1, 1, 32, 54, 6),
    ("layer2.0 3x3/2", 64, 128, 3, 2, 1, 32, 54, 1),
    ("layer2.0 1x1/2", 64, 128, 1, 2, 0, 32, 54, 1),
    ("layer2 3x3", 128, 128, 3, 1, 1, 16, 27, 7),
    ("layer3.0 3x3/2", 128, 256, 3, 2, 1, 16, 27, 1),
    ("layer3.0 1x1/2", 128, 256, 1, 2, 0, 16, 27, 1),
    ("layer3 3x3", 256, 256, 3, 1, 1, 8, 14, 11),
    ("layer4.0 3x3/2", 256, 512, 3, 2, 1, 8, 14, 1),
    ("layer4.0 1x1/2", 256, 512, 1, 2, 0, 8, 14, 1),
    ("layer4 3x3", 512, 512, 3, 1, 1, 4, 7, 5),
]


CLOCK = time.perf_counter


def best_ms(fn, reps):
    fn()
    best = float("inf")
    for _ in range(reps):
        t0 = CLOCK()
        fn()
        best = min(best, (CLOCK() - t0) * 1e3)
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--channels-last", action="store_true")
    ap.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                    help="cpu: process CPU time, meaningful on a shared machine with --threads 1")
    args = ap.parse_args()
    global CLOCK
    CLOCK = time.process_time if args.clock == "cpu" else time.perf_counter
    torch.set_num_threads(args.threads)
    fmt = torch.channels_last if args.channels_last else torch.contiguous_format
    print(f"PyTorch {torch.__version__} convolutions: batch {args.batch}, threads {torch.get_num_threads()}, "
          f"{'channels_last' if args.channels_last else 'NCHW'}, {args.clock} clock, min of {args.reps}")
    print(f"{'layer':16}{'fwd ms':>9}{'bwd-x ms':>10}{'bwd-w ms':>10}{'fwd GF/s':>9}{'bwd-x GF':>9}{'bwd-w GF':>9}")
    total = 0.0
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for name, c, k, ks, s, p, h, w, reps in LAYERS:
            x = torch.randn(args.batch, c, h, w, generator=g).contiguous(memory_format=fmt)
            wt = (torch.randn(k, c, ks, ks, generator=g) * 0.05).contiguous(memory_format=fmt)
            y = torch.nn.functional.conv2d(x, wt, stride=s, padding=p)
            dy = torch.randn(y.shape, generator=g).contiguous(memory_format=fmt)
            oh, ow = y.shape[2], y.shape[3]
            flops = 2.0 * args.batch * k * c * ks * ks * oh * ow
            conv = lambda: torch.nn.functional.conv2d(x, wt, stride=s, padding=p)

            def bwd(mask):
                return lambda: torch.ops.aten.convolution_backward(
                    dy, x, wt, None, [s, s], [p, p], [1, 1], False, [0, 0], 1, mask)

            fwd = best_ms(conv, args.reps)
            bw = best_ms(bwd([False, True, False]), args.reps)
            bx = best_ms(bwd([True, False, False]), args.reps) if c > 1 else 0.0
            total += (fwd + bx + bw) * reps
            gf = lambda ms: flops / ms / 1e6 if ms > 0 else 0.0
            print(f"{name:16}{fwd:9.2f}{bx:10.2f}{bw:10.2f}{gf(fwd):9.1f}{gf(bx):9.1f}{gf(bw):9.1f}")
    print(f"One training step's convolutions at batch {args.batch}: {total:.1f} ms")


if __name__ == "__main__":
    main()
