"""How long each part of the test suite takes.

Usage: .venv/bin/python benchmarks/suite_times.py [extra pytest args]

Runs the suite as `make test` does (two workers) with a junit report, then prints the
wall time and the summed test time per file (a lesson, a problem set's pipeline, a module
of unit tests), slowest first. It measures; it asserts nothing.
"""
from __future__ import annotations

import collections
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    report = ROOT / "build" / "suite-times.xml"
    report.parent.mkdir(exist_ok=True)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "GRADKIT_HEADLESS": "1"}
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadgroup",
                           "-q", f"--junitxml={report}", *sys.argv[1:]], cwd=ROOT, env=env)
    wall = time.perf_counter() - t0
    per_file = collections.Counter()
    counts = collections.Counter()
    for case in ET.parse(report).iter("testcase"):
        name = case.get("file") or case.get("classname", "?").replace(".", "/")
        per_file[name] += float(case.get("time", 0))
        counts[name] += 1
    print(f"\nwall time {wall:.0f} s on {os.cpu_count()} CPUs (pytest exit {proc.returncode})")
    print(f"{'part':<60}{'tests':>7}{'seconds':>10}")
    for name, seconds in per_file.most_common():
        print(f"{name:<60}{counts[name]:>7}{seconds:>10.1f}")
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
