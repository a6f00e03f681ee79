#!/usr/bin/env python3
"""Converts AudioCNN weights between PyTorch .pth files and AudioSpecNet model files (safetensors).

    python3 Scripts/convert_checkpoint.py to-safetensors IN.pth OUT.safetensors [--classes FILE]
    python3 Scripts/convert_checkpoint.py to-pth IN.safetensors OUT.pth

to-safetensors accepts a plain state_dict or the reference trainer's checkpoint dict (keys model_state_dict and
classes, plus epoch/accuracy which are dropped). Class names come from --classes (one per line, in target order),
else the checkpoint's `classes`, else Tests/../esc50-meta/esc50.csv when the class count is 50. Width, blocks,
class count and input channels are inferred from the state_dict's shapes.

The model file: tensors under the state_dict keys, F32 (num_batches_tracked as I64, shape []); metadata (all
strings): format="audiospecnet-model", format_version="1", architecture={"width","blocks","num_classes",
"in_channels"} JSON, classes=JSON list, frontend={"sample_rate":22050,"n_fft":1024,"hop_length":512,
"n_mels":128,"f_min":0,"f_max":11025,"clip_seconds":5} JSON.

to-pth reads every model file the tool writes: F32 or F16 (`export --dtype f16`; widened to float32), model files
and training checkpoints (best.safetensors, last.safetensors: the optimizer state under `__checkpoint__.` is left
out). It writes {"model_state_dict": state_dict (float32), "classes": [...], "frontend": {...}} (the reference's
layout plus the front end), which loads with AudioCNN(num_classes, width, blocks).load_state_dict(ckpt["model_state_dict"]).
"""
import argparse
import csv
import json
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from reference_model import AudioCNN, architecture_from_state_dict  # noqa: E402
from safetensors_io import load_file, save_file  # noqa: E402

DEFAULT_FRONTEND = {"sample_rate": 22050, "n_fft": 1024, "hop_length": 512, "n_mels": 128, "f_min": 0,
                    "f_max": 11025, "clip_seconds": 5}


def esc50_classes():
    path = os.path.join(os.path.dirname(HERE), "esc50-meta", "esc50.csv")
    if not os.path.exists(path):
        return None
    names = {}
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            names[int(r["target"])] = r["category"]
    return [names[i] for i in sorted(names)]


def to_safetensors(src, dst, classes_file=None, frontend=None):
    ckpt = torch.load(src, map_location="cpu", weights_only=False)
    classes = None
    if isinstance(ckpt, dict) and "model_state_dict" in ckpt:
        sd = ckpt["model_state_dict"]
        classes = ckpt.get("classes")
    else:
        sd = ckpt
    sd = {k[len("module."):] if k.startswith("module.") else k: v for k, v in sd.items()}
    width, blocks, num_classes, in_ch = architecture_from_state_dict(sd)
    # check the names and shapes against a freshly built model: exactly the same set, nothing missing or extra
    ref = AudioCNN(num_classes=num_classes, width=width, blocks=blocks, in_channels=in_ch).state_dict()
    missing, extra = sorted(set(ref) - set(sd)), sorted(set(sd) - set(ref))
    bad = [k for k in ref if k in sd and tuple(ref[k].shape) != tuple(sd[k].shape)]
    if missing or extra or bad:
        sys.exit(f"convert_checkpoint: not an AudioCNN state_dict (missing {missing[:5]}, unexpected {extra[:5]}, "
                 f"wrong shape {bad[:5]})")
    if classes_file:
        with open(classes_file) as f:
            classes = [line.strip() for line in f if line.strip()]
    if classes is None:
        classes = esc50_classes() if num_classes == 50 else None
    if classes is None:
        classes = [str(i) for i in range(num_classes)]
    classes = [str(c) for c in classes]
    if len(classes) != num_classes:
        sys.exit(f"convert_checkpoint: {len(classes)} class names for a {num_classes}-class model")
    tensors = {}
    for k in ref:  # state_dict order
        v = sd[k].detach().cpu()
        if k.endswith("num_batches_tracked"):
            tensors[k] = np.array(int(v.item()), dtype=np.int64)
        else:
            tensors[k] = v.to(torch.float32).numpy()
    meta = {
        "format": "audiospecnet-model",
        "format_version": "1",
        "architecture": json.dumps({"width": width, "blocks": blocks, "num_classes": num_classes,
                                    "in_channels": in_ch}),
        "classes": json.dumps(classes),
        "frontend": json.dumps(frontend or DEFAULT_FRONTEND),
    }
    save_file(tensors, dst, meta)
    print(f"wrote {dst}: {len(tensors)} tensors, width {width}, blocks {blocks}, {num_classes} classes")


CHECKPOINT_PREFIX = "__checkpoint__."


def to_pth(src, dst):
    tensors, meta = load_file(src)
    if meta.get("format") != "audiospecnet-model":
        print(f"warning: {src} has format {meta.get('format')!r}, not 'audiospecnet-model'", file=sys.stderr)
    # A training checkpoint adds AdamW's moments under a reserved prefix: not part of the model.
    skipped = [k for k in tensors if k.startswith(CHECKPOINT_PREFIX)]
    if skipped:
        print(f"{src}: a training checkpoint; leaving out its optimizer state ({', '.join(skipped)})")
    # F16 model files (export --dtype f16) are widened to float32, the dtype the model's parameters have.
    sd = {k: torch.from_numpy(v.astype(np.float32) if v.dtype == np.float16 else v.copy())
          for k, v in tensors.items() if not k.startswith(CHECKPOINT_PREFIX)}
    width, blocks, num_classes, in_ch = architecture_from_state_dict(sd)
    model = AudioCNN(num_classes=num_classes, width=width, blocks=blocks, in_channels=in_ch)
    model.load_state_dict(sd, strict=True)  # checks every name and shape
    classes = json.loads(meta["classes"]) if "classes" in meta else None
    out = {"model_state_dict": model.state_dict(), "classes": classes}
    if "frontend" in meta:
        out["frontend"] = json.loads(meta["frontend"])
    torch.save(out, dst)
    print(f"wrote {dst}: width {width}, blocks {blocks}, {num_classes} classes")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("to-safetensors", help=".pth (state_dict or reference checkpoint) -> model file")
    a.add_argument("src")
    a.add_argument("dst")
    a.add_argument("--classes", help="text file with one class name per line, in target order")
    a.add_argument("--frontend", help="JSON front-end config to record (default: the recipe's, 22 050 Hz)")
    b = sub.add_parser("to-pth", help="model file -> .pth checkpoint dict (model_state_dict, classes)")
    b.add_argument("src")
    b.add_argument("dst")
    args = ap.parse_args()
    if args.cmd == "to-safetensors":
        to_safetensors(args.src, args.dst, args.classes, json.loads(args.frontend) if args.frontend else None)
    else:
        to_pth(args.src, args.dst)


if __name__ == "__main__":
    main()
