#!/usr/bin/env python3
"""Checks `audiospecnet export --format onnx` with onnxruntime against the tool's own logits on real clips.

    pip install onnxruntime onnx numpy
    python3 Scripts/check_onnx.py MODEL CLIP_OR_DIR... [--tool .build/release/audiospecnet] [--out DIR] [--tolerance 1e-4]

For each of the two exports (BatchNormalization nodes, and BatchNorm folded into the convolutions), the tool
writes the ONNX file and, for the clips, their log-mels and its own float32 logits (`export --check ...
--test-data DIR`). This script then checks the file with onnx.checker (when the onnx package is installed), runs
onnxruntime on the same log-mels with its graph optimisations on (the default) and off, and reports the largest
relative error of the logits: max |ort - tool| / max |tool| over every clip and class, docs/export.md's measure, and
the top-1 agreement. It also checks that metadata_props "classes" and "frontend" are the text of the safetensors
model file the tool writes from MODEL. Exit status 1 when any error exceeds --tolerance or the metadata differs.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnxruntime as ort

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from safetensors_io import load_file  # noqa: E402


def export(tool, model, clips, out_dir, fold):
    name = "model-folded" if fold else "model"
    onnx_path = os.path.join(out_dir, name + ".onnx")
    test_data = os.path.join(out_dir, name + "-test-data")
    cmd = [tool, "export", model, "--format", "onnx", "--out", onnx_path, "--check", *clips, "--test-data", test_data]
    if fold:
        cmd.append("--fold-batchnorm")
    subprocess.run(cmd, check=True)
    return onnx_path, test_data


def run_ort(onnx_path, inputs, optimize, threads):
    options = ort.SessionOptions()
    options.graph_optimization_level = (ort.GraphOptimizationLevel.ORT_ENABLE_ALL if optimize
                                        else ort.GraphOptimizationLevel.ORT_DISABLE_ALL)
    options.intra_op_num_threads = threads
    session = ort.InferenceSession(onnx_path, options, providers=["CPUExecutionProvider"])
    (inp,), (out,) = session.get_inputs(), session.get_outputs()
    assert inp.name == "log_mel" and out.name == "logits", (inp.name, out.name)
    rows = [session.run(["logits"], {"log_mel": inputs[i:i + 8]})[0] for i in range(0, len(inputs), 8)]
    return np.concatenate(rows), session.get_modelmeta().custom_metadata_map


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", help="model file or checkpoint (.safetensors)")
    ap.add_argument("clips", nargs="+", help="audio files or directories")
    ap.add_argument("--tool", default=os.path.join(os.path.dirname(HERE), ".build", "release", "audiospecnet"))
    ap.add_argument("--out", help="keep the ONNX files and test data here (default: a temporary folder)")
    ap.add_argument("--tolerance", type=float, default=1e-4)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()

    work = args.out or tempfile.mkdtemp(prefix="check-onnx-")
    os.makedirs(work, exist_ok=True)
    # The metadata text to expect: the model file the tool itself writes from MODEL (JSON as the tool
    # formats it), which must also mean what MODEL's own metadata means.
    model_file = os.path.join(work, "model.safetensors")
    subprocess.run([args.tool, "export", args.model, "--out", model_file], check=True)
    _, meta = load_file(model_file)
    _, source_meta = load_file(args.model)
    for key in ("classes", "frontend"):
        if key in source_meta and json.loads(source_meta[key]) != json.loads(meta[key]):
            print(f"the exported model file's {key!r} differs from {args.model}'s")
            sys.exit(1)
    try:
        import onnx
    except ImportError:
        onnx = None
    ok = True
    for fold in (False, True):
        onnx_path, test_data = export(args.tool, args.model, args.clips, work, fold)
        if onnx is not None:
            onnx.checker.check_model(onnx_path, full_check=True)
        inputs = np.load(os.path.join(test_data, "input.npy"))
        reference = np.load(os.path.join(test_data, "logits.npy"))
        for optimize in (True, False):
            logits, props = run_ort(onnx_path, inputs, optimize, args.threads)
            for key in ("classes", "frontend"):
                expected = meta.get(key)
                if expected is not None and props.get(key) != expected:
                    print(f"metadata_props[{key!r}] differs from the model file's: {props.get(key)!r} vs {expected!r}")
                    ok = False
                json.loads(props[key])
            diff = np.abs(logits.astype(np.float64) - reference)
            scale = np.abs(reference).max()
            relative = diff.max() / scale
            per_clip = (diff.max(axis=1) / np.maximum(np.abs(reference).max(axis=1), 1e-30)).max()
            agree = int((logits.argmax(axis=1) == reference.argmax(axis=1)).sum())
            label = f"{'BatchNorm folded' if fold else 'BatchNormalization nodes'}, onnxruntime optimisations {'on' if optimize else 'off'}"
            print(f"{label}: {len(inputs)} clips, input {list(inputs.shape)}; max relative error {relative:.2e} "
                  f"(max |diff| {diff.max():.2e} of max |logit| {scale:.3g}; worst clip {per_clip:.2e}); "
                  f"top-1 agrees on {agree}/{len(inputs)}")
            if not relative <= args.tolerance:
                ok = False
    print(f"onnxruntime {ort.__version__}; files in {work}")
    if not ok:
        print(f"FAIL: above --tolerance {args.tolerance:g} or metadata mismatch")
        sys.exit(1)
    print(f"PASS: every max relative error ≤ {args.tolerance:g}")


if __name__ == "__main__":
    main()
