#!/usr/bin/env python3
"""PyTorch reference recipe for ESC-50, for a side-by-side accuracy comparison with `audiospecnet train`.

The recipe (the reference design): AudioCNN (width 64, blocks 3-4-6-3, dropout 0.5), batch 32, AdamW (betas
0.9/0.999, eps 1e-8, weight_decay 0.01) with OneCycleLR(max_lr=0.002, pct_start=0.1, stepped every batch,
cycle_momentum on beta1), cross-entropy with label smoothing 0.1, SpecAugment on the dB spectrogram
(FrequencyMasking(30) then TimeMasking(80), mask value 0, per clip, fresh each epoch; written by hand exactly
as torchaudio's non-iid mask_along_axis), mixup with lambda ~ Beta(0.2, 0.2) on batches where
np.random.random() > 0.7, mixing within the batch by a random permutation.

Front end (the same as the Swift tool; computed once for every clip and kept in memory): soundfile decode,
mean to mono, soxr HQ resample to 22 050 Hz, pad with zeros / crop to 5 s (110 250 samples), torch.stft
(periodic Hann 1024, hop 512, centre with reflect padding), power 2, HTK mel filterbank with 128 bands from
0 to 11 025 Hz, unnormalised (torchaudio's melscale_fbanks), 10*log10(max(x, 1e-10)) -> [1, 128, 216].

    /work/shared/esc50/unpack /tmp/esc50 16k
    python3 Scripts/train_reference.py --data /tmp/esc50 --train-folds 1,2,3 --test-fold 4 --epochs 100 --out runs/ref

Writes per-epoch lines to stdout and OUT/metrics.csv, the best-by-test-accuracy checkpoint OUT/best_model.pth
(the reference's layout: a dict with model_state_dict, classes, epoch, accuracy) and OUT/summary.json.
Train accuracy counts predictions against the batch's original (unmixed) labels. Note that, as in the
reference, the best epoch is picked on the test fold, so "best test accuracy" is optimistic; the final-epoch
test accuracy is reported too.
"""
import argparse
import csv
import json
import math
import os
import random
import sys
import time

import numpy as np
import soundfile as sf
import soxr
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference_model import AudioCNN  # noqa: E402

SAMPLE_RATE = 22050
N_FFT = 1024
HOP = 512
N_MELS = 128
F_MIN = 0.0
F_MAX = 11025.0
CLIP_SECONDS = 5
CLIP_SAMPLES = SAMPLE_RATE * CLIP_SECONDS


# ------------------------------------------------------------------------------------------- front end

def melscale_fbanks(n_freqs, f_min, f_max, n_mels, sample_rate):
    """torchaudio.functional.melscale_fbanks(..., norm=None, mel_scale="htk"): [n_freqs, n_mels]."""
    all_freqs = torch.linspace(0, sample_rate // 2, n_freqs)
    m_min = 2595.0 * math.log10(1.0 + f_min / 700.0)
    m_max = 2595.0 * math.log10(1.0 + f_max / 700.0)
    m_pts = torch.linspace(m_min, m_max, n_mels + 2)
    f_pts = 700.0 * (10 ** (m_pts / 2595.0) - 1.0)
    f_diff = f_pts[1:] - f_pts[:-1]
    slopes = f_pts.unsqueeze(0) - all_freqs.unsqueeze(1)
    down = (-1.0 * slopes[:, :-2]) / f_diff[:-1]
    up = slopes[:, 2:] / f_diff[1:]
    return torch.max(torch.zeros(1), torch.min(down, up))


FBANK = melscale_fbanks(N_FFT // 2 + 1, F_MIN, F_MAX, N_MELS, SAMPLE_RATE)
WINDOW = torch.hann_window(N_FFT, periodic=True)


def load_clip(path):
    """Decode, mix to mono, resample to 22 050 Hz (soxr HQ), pad/crop to 5 s: float32 [110250]."""
    x, sr = sf.read(path, dtype="float32", always_2d=True)
    x = x.mean(axis=1).astype(np.float32)
    if sr != SAMPLE_RATE:
        x = soxr.resample(x, sr, SAMPLE_RATE, quality="HQ").astype(np.float32)
    if len(x) < CLIP_SAMPLES:
        x = np.pad(x, (0, CLIP_SAMPLES - len(x)))
    return x[:CLIP_SAMPLES]


def log_mel(x):
    """float32 waveform [n] -> dB log-mel [1, 128, frames]."""
    spec = torch.stft(torch.from_numpy(x), N_FFT, hop_length=HOP, win_length=N_FFT, window=WINDOW, center=True,
                      pad_mode="reflect", normalized=False, onesided=True, return_complex=True)
    power = spec.abs() ** 2  # [513, frames]
    mel = torch.matmul(power.transpose(0, 1), FBANK).transpose(0, 1)  # [128, frames]
    return (10.0 * torch.log10(torch.clamp(mel, min=1e-10))).unsqueeze(0)


# --------------------------------------------------------------------------------------------- augment

def mask_along_axis(spec, mask_param, axis, mask_value=0.0):
    """torchaudio.functional.mask_along_axis (iid_masks=False) on [C, F, T]; axis 1 = freq, 2 = time."""
    size = spec.shape[axis]
    value = torch.rand(1) * mask_param
    min_value = torch.rand(1) * (size - value)
    mask_start = min_value.long()
    mask_end = mask_start + value.long()
    idx = torch.arange(size)
    mask = (idx >= mask_start) & (idx < mask_end)
    mask = mask.view(1, -1, 1) if axis == 1 else mask.view(1, 1, -1)
    return spec.masked_fill(mask, mask_value)


def spec_augment(spec):
    spec = mask_along_axis(spec, 30, axis=1)  # FrequencyMasking(30)
    return mask_along_axis(spec, 80, axis=2)  # TimeMasking(80)


def mixup_data(x, y):
    lam = np.random.beta(0.2, 0.2)
    index = torch.randperm(x.size(0))
    return lam * x + (1 - lam) * x[index, :], y, y[index], lam


# ------------------------------------------------------------------------------------------------ data

def read_meta(data_dir):
    path = os.path.join(data_dir, "meta", "esc50.csv")
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    classes = {}
    for r in rows:
        classes[int(r["target"])] = r["category"]
    return rows, [classes[i] for i in sorted(classes)]


def load_split(data_dir, rows, folds, limit, cache):
    items = [r for r in rows if int(r["fold"]) in folds]
    present = [r for r in items if os.path.exists(os.path.join(data_dir, "audio", r["filename"]))]
    if len(present) < len(items):
        missing = [r["filename"] for r in items if r not in present]
        print(f"warning: {len(missing)} clips of folds {sorted(folds)} missing on disk (e.g. {missing[:3]}); skipped",
              file=sys.stderr)
    if limit:
        present = present[:limit]
    specs, labels = [], []
    t0 = time.time()
    for i, r in enumerate(present):
        key = r["filename"]
        if key not in cache:
            cache[key] = log_mel(load_clip(os.path.join(data_dir, "audio", key)))
        specs.append(cache[key])
        labels.append(int(r["target"]))
        if (i + 1) % 200 == 0:
            print(f"  front end: {i + 1}/{len(present)} clips ({time.time() - t0:.1f} s)", file=sys.stderr, flush=True)
    return torch.stack(specs), torch.tensor(labels, dtype=torch.long)


# ----------------------------------------------------------------------------------------------- train

def evaluate(model, criterion, x, y, batch):
    model.eval()
    total_loss, correct = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            out = model(x[i:i + batch])
            total_loss += criterion(out, y[i:i + batch]).item() * len(out)
            correct += (out.argmax(1) == y[i:i + batch]).sum().item()
    return total_loss / len(x), correct / len(x)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="ESC-50 layout: DIR/audio/*.wav + DIR/meta/esc50.csv")
    ap.add_argument("--train-folds", default="1,2,3")
    ap.add_argument("--test-fold", type=int, default=4)
    ap.add_argument("--epochs", type=int, default=100)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--max-lr", type=float, default=0.002)
    ap.add_argument("--width", type=int, default=64)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--limit", type=int, default=0, help="use only the first N clips of each split (smoke tests)")
    ap.add_argument("--out", default="runs/reference", help="output directory (metrics.csv, best_model.pth, ...)")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    random.seed(args.seed)
    os.makedirs(args.out, exist_ok=True)

    rows, classes = read_meta(args.data)
    train_folds = {int(f) for f in args.train_folds.split(",")}
    cache = {}
    t0 = time.time()
    x_train, y_train = load_split(args.data, rows, train_folds, args.limit, cache)
    x_test, y_test = load_split(args.data, rows, {args.test_fold}, args.limit, cache)
    print(f"front end: {len(x_train)} train + {len(x_test)} test clips, {tuple(x_train.shape[1:])}, "
          f"{time.time() - t0:.1f} s", flush=True)

    model = AudioCNN(num_classes=len(classes), width=args.width)
    criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.max_lr, weight_decay=0.01)
    steps_per_epoch = math.ceil(len(x_train) / args.batch_size)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.max_lr, epochs=args.epochs,
                                                    steps_per_epoch=steps_per_epoch, pct_start=0.1)
    csv_path = os.path.join(args.out, "metrics.csv")
    with open(csv_path, "w") as f:
        f.write("epoch,train_loss,train_acc,test_loss,test_acc,lr,seconds,samples_per_s\n")
    best_acc, best_epoch, run_t0 = -1.0, 0, time.time()
    test_loss = test_acc = float("nan")
    for epoch in range(1, args.epochs + 1):
        model.train()
        t_epoch = time.time()
        perm = torch.randperm(len(x_train))
        total_loss, correct, seen = 0.0, 0.0, 0
        for s in range(steps_per_epoch):
            idx = perm[s * args.batch_size:(s + 1) * args.batch_size]
            data = torch.stack([spec_augment(x_train[i]) for i in idx.tolist()])
            target = y_train[idx]
            if np.random.random() > 0.7:
                data, ta, tb, lam = mixup_data(data, target)
                output = model(data)
                loss = lam * criterion(output, ta) + (1 - lam) * criterion(output, tb)
            else:
                output = model(data)
                loss = criterion(output, target)
            optimizer.zero_grad()
            loss.backward()
            lr = optimizer.param_groups[0]["lr"]  # the lr this step uses (reported: the epoch's last step's)
            optimizer.step()
            scheduler.step()
            total_loss += loss.item() * len(idx)
            correct += (output.argmax(1) == target).sum().item()
            seen += len(idx)
        train_time = time.time() - t_epoch
        test_loss, test_acc = evaluate(model, criterion, x_test, y_test, args.batch_size)
        secs = time.time() - t_epoch
        tl, ta_ = total_loss / seen, correct / seen
        print(f"epoch {epoch:3d}/{args.epochs}  train loss {tl:.4f} acc {ta_:.4f}  test loss {test_loss:.4f} "
              f"acc {test_acc:.4f}  lr {lr:.6g}  {secs:.1f} s  ({seen / train_time:.1f} samples/s)", flush=True)
        with open(csv_path, "a") as f:
            f.write(f"{epoch},{tl:.6f},{ta_:.6f},{test_loss:.6f},{test_acc:.6f},{lr:.8g},{secs:.2f},"
                    f"{seen / train_time:.2f}\n")
        if test_acc > best_acc:
            best_acc, best_epoch = test_acc, epoch
            torch.save({"model_state_dict": model.state_dict(), "epoch": epoch, "accuracy": test_acc,
                        "classes": classes}, os.path.join(args.out, "best_model.pth"))
    wall = time.time() - run_t0
    summary = {"final_test_acc": test_acc, "final_test_loss": test_loss, "best_test_acc": best_acc,
               "best_epoch": best_epoch, "epochs": args.epochs, "train_clips": len(x_train),
               "test_clips": len(x_test), "train_folds": sorted(train_folds), "test_fold": args.test_fold,
               "wall_seconds": wall, "threads": args.threads, "seed": args.seed, "torch_version": torch.__version__}
    with open(os.path.join(args.out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
    print(f"final test accuracy {test_acc:.4f} (best {best_acc:.4f} at epoch {best_epoch}, selected on the test "
          f"fold as in the reference: optimistic); wall {wall:.0f} s", flush=True)


if __name__ == "__main__":
    main()
