"""Measure how long each lesson takes to run headless, top to bottom.

Usage: .venv/bin/python benchmarks/lesson_runtime.py [--repeats N] [lessons/NN_topic.ipynb ...]

Each lesson is executed in a fresh kernel (as nbval and `make site` do), `repeats` times;
the script prints the median and the spread, the kernel start included. Target: 30 s on
a 2-core CPU. This script measures; it asserts nothing.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from traitlets.config import Config

from gradkit.course._kernels import socket_kernel_settings

ROOT = Path(__file__).resolve().parent.parent


def run_once(path: Path) -> float:
    nb = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory(prefix="lesson-runtime-") as sockets:
        config = Config({"KernelManager": socket_kernel_settings(sockets)})
        t0 = time.perf_counter()
        NotebookClient(nb, timeout=600, kernel_name="python3", config=config,
                       resources={"metadata": {"path": str(path.parent)}}).execute()
        return time.perf_counter() - t0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lessons", nargs="*", type=Path)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if args.repeats < 1:
        parser.error(f"--repeats={args.repeats} must be >= 1")
    os.environ.setdefault("GRADKIT_HEADLESS", "1")
    lessons = args.lessons or sorted((ROOT / "lessons").glob("[0-9][0-9]_*.ipynb"))
    print(f"{os.cpu_count()} CPUs, {args.repeats} runs each, fresh kernel per run")
    print(f"{'lesson':<45}{'median s':>10}{'min s':>8}{'max s':>8}")
    for path in lessons:
        times = []
        for _ in range(args.repeats):
            times.append(run_once(path))
            print(".", end="", flush=True, file=sys.stderr)
        print(f"\r{path.name:<45}{statistics.median(times):>10.1f}{min(times):>8.1f}"
              f"{max(times):>8.1f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
