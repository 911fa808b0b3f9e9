"""How fast the course's grading command is against plain serial ``nbgrader autograde``.

The same 24 submissions of one problem set (a third reference answers, a third blank
releases, a third mutants from ``tests/mutants/``) are graded twice in this run, in two
scratch copies of the course:

* ``nbgrader autograde ASSIGNMENT --force``, as nbgrader does it: one kernel after the
  other, tests in the student's kernel (timed: the autograde command alone, after
  ``generate_assignment``);
* ``python -m gradkit.course grade ASSIGNMENT --workers N``: sandboxed kernels, tests in
  trusted runners, N Dask workers (timed: the whole command, registering the assignment
  and starting the cluster included).

Both must give every submission the same points. Prints the wall times, the seconds per
submission and the ratio. Usage:

    .venv/bin/python benchmarks/grading_speed.py [--assignment ps02_...] [--workers 2]
        [--submissions 24] [--repeats 1]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _submissions(assignment: str, n: int) -> dict:
    from gradkit.course import grading
    from tests.course import mutant_answer, mutants, release_nb, source_nb
    src, rel = source_nb(assignment), release_nb(assignment)
    ref = grading.reference_answers(src)
    wrong = list(mutants(assignment).values())
    subs = {}
    for k in range(n):
        kind = k % 3
        if kind == 0:
            subs[f"s{k:02d}_reference"] = grading.make_submission(rel, ref)
        elif kind == 1:
            subs[f"s{k:02d}_blank"] = grading.make_submission(rel, {})
        else:
            m = wrong[(k // 3) % len(wrong)]
            subs[f"s{k:02d}_mutant"] = grading.make_submission(
                rel, {**ref, m["cell"]: mutant_answer(ref, m)})
    return subs


def _env() -> dict:
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def _nbgrader(assignment: str, subs: dict) -> tuple[float, dict]:
    from nbgrader.api import Gradebook

    from gradkit.course.grading import _run, _scratch_course
    with tempfile.TemporaryDirectory(prefix="bench-nbgrader-") as tmp:
        with _scratch_course(assignment, ROOT, subs, tmp) as work:
            _run(["generate_assignment", assignment, "--force"], work)
            t0 = time.perf_counter()
            _run(["autograde", assignment, "--force"], work)
            seconds = time.perf_counter() - t0
            with Gradebook(f"sqlite:///{work / 'gradebook.db'}") as gb:
                points = {s: gb.find_submission(assignment, s).score for s in subs}
    return seconds, points


def _engine(assignment: str, subs: dict, workers: int) -> tuple[float, dict]:
    import csv

    from gradkit.course.grading import _scratch_course
    with tempfile.TemporaryDirectory(prefix="bench-engine-") as tmp:
        with _scratch_course(assignment, ROOT, subs, tmp) as work:
            t0 = time.perf_counter()
            proc = subprocess.run([sys.executable, "-m", "gradkit.course", "grade", assignment,
                                   "--course", str(work), "--workers", str(workers)],
                                  env=_env(), capture_output=True, text=True)
            seconds = time.perf_counter() - t0
            if proc.returncode != 0:
                raise SystemExit(f"the grading command failed:\n{proc.stderr[-3000:]}")
            with open(work / "grades.csv", newline="") as f:
                points = {r["student"]: float(r["total"]) for r in csv.DictReader(f)}
    return seconds, points


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--assignment", default="ps02_vanishing_exploding_gradients")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--submissions", type=int, default=24)
    p.add_argument("--repeats", type=int, default=1)
    args = p.parse_args()
    if args.workers < 1 or args.submissions < 1 or args.repeats < 1:
        p.error("--workers, --submissions and --repeats must be at least 1")
    subs = _submissions(args.assignment, args.submissions)
    n = len(subs)
    print(f"{args.assignment}: {n} submissions, {os.cpu_count()} cores, "
          f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', '(unset)')}", flush=True)
    rows = []
    for r in range(args.repeats):
        t_nb, p_nb = _nbgrader(args.assignment, subs)
        print(f"  run {r + 1}: nbgrader autograde, serial: {t_nb:7.1f} s "
              f"({t_nb / n:.1f} s per submission)", flush=True)
        t_en, p_en = _engine(args.assignment, subs, args.workers)
        print(f"  run {r + 1}: gradkit.course grade, {args.workers} workers, sandboxed: "
              f"{t_en:7.1f} s ({t_en / n:.1f} s per submission)", flush=True)
        differ = {s: (p_nb[s], p_en[s]) for s in subs if p_nb[s] != p_en[s]}
        if differ:
            print(f"  the two graders disagree: {differ}")
            return 1
        rows.append((t_nb, t_en))
    ratios = sorted(nb / en for nb, en in rows)
    print(f"speed-up (nbgrader wall time / gradkit.course wall time): "
          f"{', '.join(f'{x:.2f}' for x in ratios)}; target >= 1.8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
