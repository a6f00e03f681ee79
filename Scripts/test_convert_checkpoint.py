#!/usr/bin/env python3
"""Round-trip test for convert_checkpoint.py (run by hand: python3 Scripts/test_convert_checkpoint.py).

Builds small and full-size AudioCNNs with random weights and running stats, saves them as a plain state_dict
and as the reference's checkpoint dict, converts .pth -> safetensors -> .pth, and checks names, shapes, dtypes,
values (bit for bit: float32), metadata and the class list; also checks that outputs of the reloaded model match,
and that to-pth reads a training checkpoint and (with a built audiospecnet) a float16 export.
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from reference_model import AudioCNN  # noqa: E402
from safetensors_io import load_file, save_file  # noqa: E402

CONVERT = os.path.join(HERE, "convert_checkpoint.py")


def run(*args):
    subprocess.run([sys.executable, CONVERT, *args], check=True, stdout=subprocess.DEVNULL)


def check(width, blocks, num_classes, wrap, tmp):
    torch.manual_seed(width + num_classes)
    model = AudioCNN(num_classes=num_classes, width=width, blocks=blocks)
    with torch.no_grad():
        for name, b in model.named_buffers():
            if name.endswith("running_mean"):
                b.normal_()
            elif name.endswith("running_var"):
                b.uniform_(0.5, 2.0)
            elif name.endswith("num_batches_tracked"):
                b.fill_(123)
    sd = model.state_dict()
    classes = [f"class_{i}" for i in range(num_classes)]
    pth = os.path.join(tmp, "in.pth")
    torch.save({"model_state_dict": sd, "classes": classes, "epoch": 3, "accuracy": 0.5} if wrap else sd, pth)
    st = os.path.join(tmp, "model.safetensors")
    if wrap:
        run("to-safetensors", pth, st)
    else:
        cls = os.path.join(tmp, "classes.txt")
        with open(cls, "w") as f:
            f.write("\n".join(classes) + "\n")
        run("to-safetensors", pth, st, "--classes", cls)
    tensors, meta = load_file(st)
    assert list(tensors) == list(sd), "names/order differ"
    for k, v in sd.items():
        t = tensors[k]
        if k.endswith("num_batches_tracked"):
            assert t.dtype == np.int64 and t.shape == () and int(t) == 123, k
        else:
            assert t.dtype == np.float32 and t.shape == tuple(v.shape), k
            assert np.array_equal(t, v.numpy()), k
    assert meta["format"] == "audiospecnet-model" and meta["format_version"] == "1"
    arch = json.loads(meta["architecture"])
    assert arch == {"width": width, "blocks": list(blocks), "num_classes": num_classes, "in_channels": 1}, arch
    assert json.loads(meta["classes"]) == classes
    assert json.loads(meta["frontend"])["sample_rate"] == 22050
    back = os.path.join(tmp, "back.pth")
    run("to-pth", st, back)
    ck = torch.load(back, weights_only=False)
    assert ck["classes"] == classes
    for k, v in sd.items():
        assert torch.equal(ck["model_state_dict"][k], v), k
    m2 = AudioCNN(num_classes=num_classes, width=width, blocks=blocks)
    m2.load_state_dict(ck["model_state_dict"])
    model.eval(), m2.eval()
    x = torch.randn(2, 1, 64, 72)
    with torch.no_grad():
        assert torch.equal(model(x), m2(x))
    print(f"ok: width {width}, blocks {blocks}, {num_classes} classes, {'checkpoint dict' if wrap else 'state_dict'}")
    check_tool_files(st, sd, classes, tmp)


def tool_binary():
    path = os.environ.get("AUDIOSPECNET_BINARY") or os.path.join(os.path.dirname(HERE), ".build", "release", "audiospecnet")
    return path if os.access(path, os.X_OK) else None


def check_tool_files(st, sd, classes, tmp):
    """to-pth on the other files the tool writes: a training checkpoint (optimizer state left out) and a
    float16 model file from `audiospecnet export --dtype f16` (widened; equal to PyTorch's own .half())."""
    tensors, meta = load_file(st)
    ckpt = os.path.join(tmp, "checkpoint.safetensors")
    count = sum(v.size for k, v in tensors.items() if not k.endswith("num_batches_tracked"))
    extra = {"__checkpoint__.adamw.m": np.zeros(count, np.float32), "__checkpoint__.adamw.v": np.ones(count, np.float32)}
    save_file({**tensors, **extra}, ckpt, {**meta, "checkpoint": "{}"})
    back = os.path.join(tmp, "ckpt.pth")
    run("to-pth", ckpt, back)
    state = torch.load(back, weights_only=False)["model_state_dict"]
    assert list(state) == list(sd) and all(torch.equal(state[k], v) for k, v in sd.items()), "checkpoint to-pth"
    tool = tool_binary()
    if tool is None:
        print("  (no built audiospecnet: float16 export not checked)")
        return
    f16 = os.path.join(tmp, "model-f16.safetensors")
    subprocess.run([tool, "export", st, "--out", f16, "--dtype", "f16"], check=True, stdout=subprocess.DEVNULL)
    try:
        from safetensors.torch import load_file as torch_load_file  # PyTorch's own safetensors loader
        loaded = torch_load_file(f16)
        for k, v in sd.items():
            want = torch.int64 if k.endswith("num_batches_tracked") else torch.float16
            assert loaded[k].dtype == want and tuple(loaded[k].shape) == tuple(v.shape), k
            if want == torch.float16:
                assert torch.equal(loaded[k], v.half()), f"{k}: float16 rounding differs from PyTorch's .half()"
    except ImportError:
        print("  (safetensors package not installed: its loader not checked)")
    back16 = os.path.join(tmp, "f16.pth")
    run("to-pth", f16, back16)
    ck = torch.load(back16, weights_only=False)
    assert ck["classes"] == classes
    for k, v in sd.items():
        got = ck["model_state_dict"][k]
        want = v if k.endswith("num_batches_tracked") else v.half().float()
        assert got.dtype == v.dtype and torch.equal(got, want), k
    print("  ok: a checkpoint's and a float16 model file's to-pth (float16 = PyTorch's .half(), bit for bit)")


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        check(8, (2, 2, 2, 2), 10, False, tmp)
        check(8, (1, 1, 1, 1), 7, True, tmp)
        check(64, (3, 4, 6, 3), 50, True, tmp)
    print("convert_checkpoint round trip: all ok")
