#!/usr/bin/env python3
"""Regenerates every committed test fixture under Tests/Fixtures/ from PyTorch 2.13 (CPU).

    pip install torch==2.13.0 numpy soundfile soxr
    python3 Scripts/make_fixtures.py [frontend|network|training|swa ...]

Each part lives in Scripts/fixtures/<part>.py and exposes main(fixtures_dir). Fixtures are committed, so
CI needs no Python; rerun this only when a reference changes.
"""
import importlib
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
FIXTURES = os.path.join(ROOT, "Tests", "Fixtures")
PARTS = ["frontend", "network", "training", "swa"]

if __name__ == "__main__":
    sys.path.insert(0, HERE)
    wanted = sys.argv[1:] or PARTS
    for part in wanted:
        if part not in PARTS:
            sys.exit(f"make_fixtures: unknown part {part!r} (choose from {', '.join(PARTS)})")
        module = importlib.import_module(f"fixtures.{part}")
        print(f"== {part}")
        module.main(FIXTURES)
