#!/usr/bin/env python3
"""The PyTorch front end on the same files, for `audiospecnet bench frontend`: soundfile decode, mono mean,
python-soxr HQ resample to 22 050 Hz, fit to 5 s, torch.stft (float32) + HTK mel matmul + 10·log10.

    python3 Scripts/bench_frontend_pytorch.py (--files LIST | DIR) [--workers N] [--passes P]

Prints a human line per measure, then one JSON line (the last) that the Swift benchmark reads:
{"decode_ms", "resample_ms", "logmel_ms", "total_ms", "clips_per_s", "label"}. One thread per process
(torch.set_num_threads(1)); the all-cores pass is a multiprocessing pool of N such workers, like a DataLoader.
"""
import argparse
import json
import multiprocessing as mp
import os
import sys
import time

import numpy as np
import soundfile as sf
import soxr
import torch

SR, N_FFT, HOP, N_MELS, CLIP = 22050, 1024, 512, 128, 110250


def filterbank():
    """torchaudio melscale_fbanks(513, 0, 11025, 128, 22050, norm=None, mel_scale='htk'), float32 [513, 128]."""
    n_freqs = N_FFT // 2 + 1
    freqs = torch.linspace(0, SR // 2, n_freqs)
    mel = lambda f: 2595.0 * np.log10(1.0 + f / 700.0)
    m = torch.linspace(mel(0.0), mel(11025.0), N_MELS + 2)
    f = 700.0 * (10 ** (m / 2595.0) - 1.0)
    diff = f[1:] - f[:-1]
    slopes = f.unsqueeze(0) - freqs.unsqueeze(1)
    down = -slopes[:, :-2] / diff[:-1]
    up = slopes[:, 2:] / diff[1:]
    return torch.clamp(torch.minimum(down, up), min=0)


FB = None
WINDOW = None


def init_worker():
    global FB, WINDOW
    torch.set_num_threads(1)
    FB = filterbank()
    WINDOW = torch.hann_window(N_FFT)


def decode(path):
    x, sr = sf.read(path, dtype="float32", always_2d=True)
    return x.mean(axis=1), sr


def resample(x, sr):
    return x if sr == SR else soxr.resample(x, sr, SR, quality="HQ")


def logmel(y):
    clip = np.zeros(CLIP, dtype=np.float32)
    n = min(CLIP, len(y))
    clip[:n] = y[:n]
    spec = torch.stft(torch.from_numpy(clip), N_FFT, HOP, window=WINDOW, center=True, pad_mode="reflect", return_complex=True)
    power = spec.real ** 2 + spec.imag ** 2
    return 10.0 * torch.log10(torch.clamp(FB.T @ power, min=1e-10))


def whole(path):
    x, sr = decode(path)
    return logmel(resample(x, sr)).shape[1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("directory", nargs="?")
    ap.add_argument("--files")
    ap.add_argument("--workers", type=int, default=os.cpu_count())
    ap.add_argument("--limit", type=int, default=200)
    ap.add_argument("--passes", type=int, default=5)
    a = ap.parse_args()
    if a.files:
        files = [l for l in open(a.files).read().splitlines() if l]
    elif a.directory:
        files = sorted(os.path.join(a.directory, f) for f in os.listdir(a.directory)
                       if f.lower().endswith((".wav", ".flac", ".ogg")))[: a.limit]
    else:
        sys.exit("give DIR or --files LIST")
    init_worker()
    for p in files[:5]:
        whole(p)
    n = len(files)
    # Each file keeps its fastest time per measure over the passes (the Swift benchmark does the same).
    best_file = [[float("inf")] * 4 for _ in files]
    for _ in range(max(1, a.passes)):
        for i, p in enumerate(files):
            t0 = time.perf_counter()
            x, sr = decode(p)
            t1 = time.perf_counter()
            y = resample(x, sr)
            t2 = time.perf_counter()
            logmel(y)
            t3 = time.perf_counter()
            for k, v in enumerate((t1 - t0, t2 - t1, t3 - t2, t3 - t0)):
                best_file[i][k] = min(best_file[i][k], v)
    best_stages = [sum(b[k] for b in best_file) / n for k in range(4)]
    best = float("inf")
    with mp.Pool(a.workers, initializer=init_worker) as pool:
        pool.map(whole, files[: a.workers * 2])  # start the workers
        for _ in range(max(1, a.passes)):
            t0 = time.perf_counter()
            pool.map(whole, files, chunksize=4)
            best = min(best, time.perf_counter() - t0)
    out = {"decode_ms": 1e3 * best_stages[0], "resample_ms": 1e3 * best_stages[1], "logmel_ms": 1e3 * best_stages[2],
           "total_ms": 1e3 * best_stages[3], "clips_per_s": n / best,
           "label": f"torch {torch.__version__}, python-soxr {soxr.__version__}, soundfile {sf.__version__}, {a.workers} worker processes"}
    print(f"pytorch: {out['total_ms']:.3f} ms per clip on one thread, {out['clips_per_s']:.1f} clips/s with {a.workers} workers", file=sys.stderr)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
