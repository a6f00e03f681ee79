#!/usr/bin/env python3
"""Writes the TensorBoard event-file fixtures of TensorBoardTests with tensorboardX's SummaryWriter.

    pip install tensorboardX
    python3 Scripts/make_tensorboard_fixture.py [--out Tests/Fixtures/tensorboard]

Two files, each renamed from `events.out.tfevents.<time>.<host>` to a fixed name:
- scalars.tfevents: the file_version event, then a few scalars with known tags, values, steps and wall times
  (a zero value, a zero step, a step that needs a three-byte varint, float32 rounding).
- resumed.tfevents: a writer opened with purge_step=5, as after a crash: tensorboardX writes its own
  file_version event, then file_version again and SessionLog START at step 5, then one scalar at step 5.
Only the file_version events' wall times come from the clock; the test reads them from the file. SCALARS
below is what the Swift test (TensorBoardTests.swift) expects to find, in this order.
"""
import argparse
import glob
import os
import shutil
import tempfile

from tensorboardX import SummaryWriter

# (tag, value, step, wall time)
SCALARS = [
    ("train/loss", 2.5, 0, 1700000000.25),
    ("train/lr", 0.002, 0, 1700000000.25),
    ("val/accuracy", 0.0, 1, 1700000001.5),
    ("train/loss", 1.125, 1, 1700000001.75),
    ("train/lr", 1e-7, 123456, 1700000002.0),
]
RESUMED_STEP = 5
RESUMED_SCALAR = ("train/loss", 0.75, 5, 1700000010.0)


def write(directory, name, purge_step, scalars):
    work = tempfile.mkdtemp()
    writer = SummaryWriter(work, purge_step=purge_step)
    for tag, value, step, wall in scalars:
        writer.add_scalar(tag, value, global_step=step, walltime=wall)
    writer.close()
    files = glob.glob(os.path.join(work, "events.out.tfevents.*"))
    assert len(files) == 1, files
    shutil.move(files[0], os.path.join(directory, name))
    shutil.rmtree(work)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    here = os.path.dirname(os.path.abspath(__file__))
    parser.add_argument("--out", default=os.path.normpath(os.path.join(here, "..", "Tests", "Fixtures", "tensorboard")))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    write(args.out, "scalars.tfevents", None, SCALARS)
    write(args.out, "resumed.tfevents", RESUMED_STEP, [RESUMED_SCALAR])
    for name in ("scalars.tfevents", "resumed.tfevents"):
        path = os.path.join(args.out, name)
        print(f"{path}: {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
