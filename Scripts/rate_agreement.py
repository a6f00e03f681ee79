#!/usr/bin/env python3
"""Top-1 agreement of a model on the same clips at two sample rates: the original 44.1 kHz ESC-50 clips in
../shared/esc50/audio-44k against their 16 kHz copies in audio-16k, each through the model's own front end
(`audiospecnet infer --json`, which resamples every input to the model's rate).

    python3 Scripts/rate_agreement.py --model model.safetensors [--a ../shared/esc50/audio-44k] [--b ../shared/esc50/audio-16k]

Prints the agreement, the accuracy of each side against the labels in the file names (ESC-50's
`fold-src-take-target` naming), and the clips where the two disagree.
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def classify(binary, model, paths):
    out = subprocess.run([binary, "infer", "--model", model, "--json", "--top", "1", "-"], input="\n".join(paths),
                         capture_output=True, text=True)
    if out.returncode not in (0, 1):
        sys.exit(f"infer failed ({out.returncode}): {out.stderr.strip()}")
    rows = [json.loads(line) for line in out.stdout.splitlines() if line.strip()]
    return {os.path.basename(r["file"]): r.get("predictions", [{}])[0].get("class") for r in rows}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True)
    p.add_argument("--a", default=os.path.join(HERE, "..", "..", "shared", "esc50", "audio-44k"))
    p.add_argument("--b", default=os.path.join(HERE, "..", "..", "shared", "esc50", "audio-16k"))
    p.add_argument("--binary", default=os.path.join(HERE, "..", ".build", "release", "audiospecnet"))
    p.add_argument("--classes", default=os.path.join(HERE, "..", "esc50-meta", "classes.csv"))
    a = p.parse_args()
    names = sorted(f for f in os.listdir(a.a) if os.path.exists(os.path.join(a.b, f)))
    if not names:
        sys.exit(f"no clip is in both {a.a} and {a.b}")
    with open(a.classes) as f:
        category = {int(t): c for t, c in (line.strip().split(",") for line in list(f)[1:])}
    pa = classify(a.binary, a.model, [os.path.join(a.a, n) for n in names])
    pb = classify(a.binary, a.model, [os.path.join(a.b, n) for n in names])
    truth = {n: category[int(os.path.splitext(n)[0].split("-")[-1])] for n in names}
    agree = sum(pa.get(n) == pb.get(n) for n in names)
    acc_a = sum(pa.get(n) == truth[n] for n in names)
    acc_b = sum(pb.get(n) == truth[n] for n in names)
    print(f"clips: {len(names)}")
    print(f"top-1 agreement: {agree}/{len(names)} = {100 * agree / len(names):.1f} %")
    print(f"accuracy {os.path.basename(os.path.normpath(a.a))}: {100 * acc_a / len(names):.1f} %, "
          f"{os.path.basename(os.path.normpath(a.b))}: {100 * acc_b / len(names):.1f} %")
    for n in names:
        if pa.get(n) != pb.get(n):
            print(f"  {n}: {pa.get(n)} vs {pb.get(n)} (true {truth[n]})")


if __name__ == "__main__":
    main()
