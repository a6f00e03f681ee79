#!/usr/bin/env python3
"""Reads a `train` run folder with TensorBoard's own reader and checks what the tool wrote there.

    pip install tensorboard
    python3 Scripts/check_tensorboard.py RUN_DIR

TensorBoard's EventAccumulator loads every events.out.tfevents.* file of RUN_DIR in name order, checking the
records' CRCs and dropping, at a SessionLog START (a resumed run's second file), the steps the first file
holds at and after the resume step. The script prints each scalar tag with its steps and first/last values,
the images and text tags, and compares the per-epoch figures with RUN_DIR/metrics.csv: train/accuracy,
train/epoch_loss, val/loss and val/accuracy must be the CSV's (to float32), one per epoch, at the global
step of each epoch's last optimizer step; train/loss and train/lr one per step, 0 to the last, none twice.
Exit status 1 when any check fails.
"""
import csv
import glob
import os
import sys

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    run = sys.argv[1]
    files = sorted(glob.glob(os.path.join(run, "events.out.tfevents.*")))
    print(f"{run}: {len(files)} event file(s): {', '.join(os.path.basename(f) for f in files)}")
    acc = EventAccumulator(run, size_guidance={"scalars": 0, "images": 0, "tensors": 0})
    acc.Reload()
    tags = acc.Tags()
    failures = []

    def check(ok, what):
        if not ok:
            failures.append(what)
            print("FAIL: " + what)

    for tag in sorted(tags["scalars"]):
        events = acc.Scalars(tag)
        steps = [e.step for e in events]
        print(f"scalar {tag}: {len(events)} points, steps {steps[0]}..{steps[-1]}, "
              f"first {events[0].value:.6g}, last {events[-1].value:.6g}")
        check(steps == sorted(set(steps)), f"{tag}: steps not increasing once each: {steps}")
    for tag in tags["images"]:
        for image in acc.Images(tag):
            is_png = image.encoded_image_string[:8] == PNG_SIGNATURE
            print(f"image {tag}: step {image.step}, {image.width}x{image.height}, {len(image.encoded_image_string)} bytes, PNG {is_png}")
            check(is_png, f"{tag}: not a PNG")
    for tag in tags["tensors"]:
        for t in acc.Tensors(tag):
            plugin = acc.SummaryMetadata(tag).plugin_data.plugin_name
            text = t.tensor_proto.string_val[0].decode() if t.tensor_proto.string_val else ""
            print(f"tensor {tag} ({plugin}): step {t.step}, {len(text)} characters, first line: {text.splitlines()[0] if text else ''}")

    with open(os.path.join(run, "metrics.csv")) as f:
        rows = list(csv.DictReader(f))
    epochs = len(rows)
    loss_steps = [e.step for e in acc.Scalars("train/loss")] if "train/loss" in tags["scalars"] else []
    check(loss_steps == list(range(len(loss_steps))) and len(loss_steps) > 0, "train/loss: one point per step from 0")
    steps_per_epoch = len(loss_steps) // max(1, epochs)
    check(steps_per_epoch * epochs == len(loss_steps), f"{len(loss_steps)} steps is not a multiple of {epochs} epochs")
    expected_steps = [(e + 1) * steps_per_epoch - 1 for e in range(epochs)]
    for tag, column in [("train/epoch_loss", "train_loss"), ("train/accuracy", "train_acc"), ("val/loss", "val_loss"), ("val/accuracy", "val_acc"),
                        ("val/macro_f1", "val_macro_f1")]:
        if not rows[0][column]:
            check(tag not in tags["scalars"], f"{tag} written for a run with nothing held out")
            continue
        events = acc.Scalars(tag) if tag in tags["scalars"] else []
        check([e.step for e in events] == expected_steps, f"{tag}: steps {[e.step for e in events]}, expected {expected_steps}")
        for e, row in zip(events, rows):
            check(abs(e.value - float(row[column])) <= 1e-6 * max(1, abs(float(row[column]))),
                  f"{tag} at step {e.step}: {e.value} vs metrics.csv {row[column]}")
    check("curves" in tags["images"] or not os.path.exists(os.path.join(run, "curves.png")), "no curves image")
    check("val/confusion" in tags["images"] or not rows[0]["val_acc"], "no validation confusion matrix image")
    check("config" in tags["tensors"], "no config text")
    print(f"{epochs} epochs of {steps_per_epoch} steps; " + ("all checks passed" if not failures else f"{len(failures)} check(s) failed"))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
