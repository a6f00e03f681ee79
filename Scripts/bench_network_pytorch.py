#!/usr/bin/env python3
"""PyTorch CPU baseline for the AudioCNN benchmark (the numbers `audiospecnet bench` is compared against).

Measures, for the width-64 AudioCNN on 1x128x216 log-mel inputs (--frames 157: a 5 s clip at 16 kHz), with
torch.set_num_threads(--threads), after untimed warm-ups (2 training steps, 5 batch-1 and 1 batch-32 inference passes):
  - training samples/s at batch 32 (forward + backward + AdamW step, CE with label smoothing 0.1, train mode),
  - inference ms per clip at batch 1 and at batch 32 (eval mode, torch.no_grad),
  - peak resident memory (ru_maxrss) of the training run and of the inference run,
each for fp32 default (NCHW) and channels_last (NHWC). Every (layout, phase) runs in a fresh subprocess so
that peaks do not mix and allocator state from one does not help the other.

    python3 Scripts/bench_network_pytorch.py [--threads 2] [--quick] [--json]
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def _peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def _clock(args):
    """perf_counter (wall), or process_time: CPU time of all threads, steady on a machine shared with other work."""
    return time.process_time if args.clock == "cpu" else time.perf_counter


def worker(args):
    """Runs one (layout, phase) measurement in this process and prints one JSON line."""
    import torch
    import torch.nn.functional as F
    sys.path.insert(0, HERE)
    from reference_model import AudioCNN

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    fmt = torch.channels_last if args.layout == "channels_last" else torch.contiguous_format
    model = AudioCNN(num_classes=50, width=args.width).to(memory_format=fmt)
    result = {}

    def batch(n):
        x = torch.randn(n, 1, 128, args.frames) * 20.0 - 40.0
        return x.contiguous(memory_format=fmt)

    if args.phase == "train":
        model.train()
        opt = torch.optim.AdamW(model.parameters(), lr=0.002, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)
        x = batch(args.batch)
        y = torch.randint(0, 50, (args.batch,))

        def step():
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(x), y, label_smoothing=0.1)
            loss.backward()
            opt.step()
            return loss

        for _ in range(args.warmup):
            step()
        t0 = _clock(args)()
        for _ in range(args.steps):
            step()
        dt = _clock(args)() - t0
        result["train_samples_per_s"] = args.batch * args.steps / dt
        result["train_s_per_step"] = dt / args.steps
        result["peak_rss_mib"] = _peak_rss_mib()
    else:
        model.eval()
        with torch.no_grad():
            for n, warm, iters, key in ((1, args.infer_warmup, args.infer_iters, "infer_ms_per_clip_b1"),
                                        (args.batch, 1, args.infer_iters_b32, "infer_ms_per_clip_b32")):
                x = batch(n)
                for _ in range(warm):
                    model(x)
                t0 = _clock(args)()
                for _ in range(iters):
                    model(x)
                dt = _clock(args)() - t0
                result[key] = dt * 1000.0 / (iters * n)
        result["infer_peak_rss_mib"] = _peak_rss_mib()
    print(json.dumps(result))


def run_config(layout, phase, args):
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", "--layout", layout, "--phase", phase,
           "--threads", str(args.threads), "--batch", str(args.batch), "--width", str(args.width), "--frames", str(args.frames),
           "--warmup", str(args.warmup), "--steps", str(args.steps), "--infer-warmup", str(args.infer_warmup),
           "--infer-iters", str(args.infer_iters), "--infer-iters-b32", str(args.infer_iters_b32), "--clock", args.clock]
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (default 2)")
    ap.add_argument("--batch", type=int, default=32, help="training / large inference batch (default 32)")
    ap.add_argument("--width", type=int, default=64, help="AudioCNN width (default 64, the recipe)")
    ap.add_argument("--frames", type=int, default=216, help="log-mel frames (216: 5 s at 22 050 Hz; 157: at 16 000 Hz)")
    ap.add_argument("--warmup", type=int, default=2, help="untimed training steps (default 2)")
    ap.add_argument("--steps", type=int, default=5, help="timed training steps (default 5)")
    ap.add_argument("--infer-warmup", type=int, default=5, help="untimed batch-1 inference passes (default 5)")
    ap.add_argument("--infer-iters", type=int, default=30, help="timed batch-1 inference passes (default 30)")
    ap.add_argument("--infer-iters-b32", type=int, default=3, help="timed batch-32 inference passes (default 3)")
    ap.add_argument("--layouts", default="default,channels_last", help="comma list: default,channels_last")
    ap.add_argument("--quick", action="store_true", help="smoke run: 1 warm-up + 2 timed steps, few inference passes")
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    ap.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                    help="wall time, or process CPU time summed over threads (default wall)")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--layout", default="default", help=argparse.SUPPRESS)
    ap.add_argument("--phase", default="train", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.quick:
        args.warmup, args.steps = 1, 2
        args.infer_warmup, args.infer_iters, args.infer_iters_b32 = 2, 5, 1
    if args.worker:
        worker(args)
        return

    import torch
    report = {"torch_version": torch.__version__, "clock": args.clock, "threads": args.threads, "batch": args.batch, "width": args.width,
              "frames": args.frames,
              "steps": {"train_warmup": args.warmup, "train_timed": args.steps, "infer_b1_timed": args.infer_iters,
                        "infer_b32_timed": args.infer_iters_b32},
              "configs": {}}
    for layout in args.layouts.split(","):
        cfg = {}
        for phase in ("train", "infer"):
            if not args.json:
                print(f"running {layout} / {phase} ...", file=sys.stderr, flush=True)
            cfg.update(run_config(layout, phase, args))
        report["configs"][layout] = cfg
    if args.json:
        print(json.dumps(report))
        return
    print(f"PyTorch {report['torch_version']} CPU, {args.threads} threads, AudioCNN width {args.width}, "
          f"input 1x128x{args.frames}, batch {args.batch}")
    hdr = f"{'layout':<15}{'train samples/s':>17}{'infer ms/clip b1':>18}{'infer ms/clip b32':>19}" \
          f"{'peak RSS train MiB':>20}{'peak RSS infer MiB':>20}"
    print(hdr)
    print("-" * len(hdr))
    for layout, c in report["configs"].items():
        print(f"{layout:<15}{c['train_samples_per_s']:>17.2f}{c['infer_ms_per_clip_b1']:>18.2f}"
              f"{c['infer_ms_per_clip_b32']:>19.2f}{c['peak_rss_mib']:>20.0f}{c['infer_peak_rss_mib']:>20.0f}")


if __name__ == "__main__":
    main()
