#!/usr/bin/env python3
"""The reference's own stack, for a side-by-side load test with `audiospecnet serve`: a FastAPI + uvicorn
server with PyTorch (CPU) doing what the reference web service's endpoint does, on the same weights.

POST /inference {"audio_data": "<base64 audio file>"}: soundfile decode, mean to mono, soxr HQ resample to
the model's rate, pad/crop to the clip, log-mel (torch.stft + HTK filterbank + dB, the recipe's front end),
the network in eval mode with its feature maps, and the JSON the reference returns: top-3 predictions,
"visualization" (channel mean of each feature map), "input_spectrogram" and "waveform" (at most 8000 points).

    python3 Scripts/reference_server.py --model model.safetensors --port 8001 [--threads 2]

Requires torch, numpy, soundfile, soxr, fastapi, uvicorn (PyPI).
"""
import argparse
import base64
import io
import json
import os
import sys

import numpy as np
import soundfile as sf
import soxr
import torch
import uvicorn
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference_model import AudioCNN, architecture_from_state_dict  # noqa: E402
from safetensors_io import load_file  # noqa: E402
from train_reference import melscale_fbanks  # noqa: E402  (the one HTK filterbank of the Python side)


class InferenceRequest(BaseModel):
    audio_data: str


def build(model_path):
    tensors, meta = load_file(model_path)
    sd = {k: torch.from_numpy(np.asarray(v, dtype=np.int64 if v.dtype == np.int64 else np.float32)) for k, v in tensors.items()
          if not k.startswith("optimizer.")}
    width, blocks, num_classes, in_ch = architecture_from_state_dict(sd)
    model = AudioCNN(num_classes=num_classes, width=width, blocks=blocks, in_channels=in_ch)
    model.load_state_dict(sd, strict=True)
    model.eval()
    classes = json.loads(meta.get("classes", "[]")) or [str(i) for i in range(num_classes)]
    fe = json.loads(meta.get("frontend", "") or "{}")
    front = dict(sample_rate=fe.get("sample_rate", 22050), n_fft=fe.get("n_fft", 1024), hop_length=fe.get("hop_length", 512),
                 n_mels=fe.get("n_mels", 128), f_min=fe.get("f_min", 0.0), f_max=fe.get("f_max", 11025.0),
                 clip_seconds=fe.get("clip_seconds", 5))
    return model, classes, front


def make_app(model, classes, front):
    app = FastAPI()
    sr = front["sample_rate"]
    clip = int(round(sr * front["clip_seconds"]))
    fbank = melscale_fbanks(front["n_fft"] // 2 + 1, front["f_min"], front["f_max"], front["n_mels"], sr)
    window = torch.hann_window(front["n_fft"], periodic=True)

    @app.post("/inference")
    def inference(request: InferenceRequest):
        try:
            raw = base64.b64decode(request.audio_data, validate=False)
            audio, rate = sf.read(io.BytesIO(raw), dtype="float32", always_2d=True)
        except Exception as e:  # noqa: BLE001 - the reference answers any decoding failure with 400
            raise HTTPException(status_code=400, detail=f"not readable audio: {e}")
        audio = audio.mean(axis=1).astype(np.float32)
        if rate != sr:
            audio = soxr.resample(audio, rate, sr, quality="HQ").astype(np.float32)
        x = np.pad(audio, (0, max(0, clip - len(audio))))[:clip]
        spec = torch.stft(torch.from_numpy(x), front["n_fft"], hop_length=front["hop_length"], win_length=front["n_fft"],
                          window=window, center=True, pad_mode="reflect", return_complex=True)
        mel = torch.matmul((spec.abs() ** 2).transpose(0, 1), fbank).transpose(0, 1)
        logmel = 10.0 * torch.log10(torch.clamp(mel, min=1e-10))
        with torch.inference_mode():
            logits, fmaps = model(logmel[None, None], return_feature_maps=True)
            probs = torch.softmax(logits, dim=1)[0]
        top = torch.topk(probs, 3)
        predictions = [{"class": classes[i], "confidence": float(p)} for p, i in zip(top.values.tolist(), top.indices.tolist())]
        viz = {}
        for name, t in fmaps.items():
            m = np.nan_to_num(t[0].mean(dim=0).numpy())
            viz[name] = {"shape": list(m.shape), "values": m.tolist()}
        step = max(1, len(audio) // 8000)
        return {
            "predictions": predictions,
            "visualization": viz,
            "input_spectrogram": {"shape": list(logmel.shape), "values": np.nan_to_num(logmel.numpy()).tolist()},
            "waveform": {"values": np.nan_to_num(audio[::step][:8000]).tolist(), "sample_rate": sr, "duration": len(audio) / sr},
        }

    @app.get("/health")
    def health():
        return {"status": "ok", "classes": classes}

    return app


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8001)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    model, classes, front = build(a.model)
    uvicorn.run(make_app(model, classes, front), host=a.host, port=a.port, log_level="warning")


if __name__ == "__main__":
    main()
