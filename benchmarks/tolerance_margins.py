"""How close each problem-set test comes to failing the reference, at every vector level.

Usage: .venv/bin/python benchmarks/tolerance_margins.py [ASSIGNMENT ...]
           [--levels default,avx2,avx512] [--threads 1,2] [--variants] [--jobs 2]
           [--json FILE]

Executes each problem set's nbgrader source (reference solutions, visible and hidden
tests) in a fresh kernel per configuration: every ``ATEN_CPU_CAPABILITY`` level the CPU
has (PyTorch then picks those vector kernels, as it would on a machine that has only
them) times each thread count. With ``--variants`` it also runs, at the machine's own
level, every honest variant in ``tests/equivalents/<assignment>.py``: a correct answer
written in a different but equivalent order of operations.

The kernel's ``gradkit.checks`` are wrapped to record each call. For ``check_close`` the
*use* of a call is ``max |got - expected| / (atol + rtol |expected|)`` over its entries:
1 means on the edge of failing, and 1 / use is the margin. For ``check_between`` it prints
the value's spread over the runs and its distance to the nearer bound (both in decades
when the value and the bounds are positive: the margin is distance / spread). It prints the
worst call of every test cell over all runs, then every call whose margin is under 10.
This script measures; it asserts nothing (the pipeline tests assert full marks).
"""
from __future__ import annotations

import argparse
import concurrent.futures
import json
import math
import os
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LEVELS = ("default", "avx2", "avx512")

# Runs first in the kernel: wraps the checks (before the set-up cell imports them) so
# that every call is logged with the cell it ran in.
_RECORDER = r'''
import json as _tm_json, math as _tm_math
import torch as _tm_torch
import gradkit.checks as _tm_checks
_tm_log, _tm_cell = [], None

def _tm_use(got, expected, rtol, atol):
    try:
        def as64(x):    # Python floats straight to float64 (not through float32)
            if isinstance(x, _tm_torch.Tensor):
                return x.detach().double().cpu()
            return _tm_torch.as_tensor(x, dtype=_tm_torch.float64)
        g, e = as64(got), as64(expected)
        if g.shape != e.shape:
            return None
        same = (g == e) | (_tm_torch.isnan(g) & _tm_torch.isnan(e))
        d = ((g - e).abs() / (atol + rtol * e.abs())).masked_fill(same, 0.0)
        return float(d.max()) if d.numel() else 0.0
    except Exception:
        return None

def _tm_wrap(name, record):
    original = getattr(_tm_checks, name)
    def wrapper(*args, **kwargs):
        entry = {"cell": _tm_cell, "check": name}
        try:
            entry.update(record(*args, **kwargs))
        except Exception as exc:
            entry["note"] = f"not recorded: {exc!r}"
        try:
            original(*args, **kwargs)
            entry["passed"] = True
        except AssertionError:
            entry["passed"] = False
            raise
        finally:
            _tm_log.append(entry)
    setattr(_tm_checks, name, wrapper)

def _tm_close(got, expected, name, *, rtol=1e-5, atol=1e-8, hint=""):
    return {"name": name, "rtol": rtol, "atol": atol, "use": _tm_use(got, expected, rtol, atol)}

def _tm_between(got, low, high, name, hint=""):
    value = float(got.item() if hasattr(got, "item") else got)
    return {"name": name, "value": value, "low": float(low), "high": float(high)}

def _tm_check(condition, message):
    return {"name": str(message).splitlines()[0][:100]}

_tm_wrap("check_close", _tm_close)
_tm_wrap("check_between", _tm_between)
_tm_wrap("check", _tm_check)
'''


def _cell(source: str):
    import nbformat
    return nbformat.v4.new_code_cell(source)


def instrumented(nb, out_file: str):
    """The notebook with the recorder first, a marker before each graded cell, a dump last."""
    import copy
    nb = copy.deepcopy(nb)
    cells = [_cell(_RECORDER)]
    for c in nb.cells:
        gid = c.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if c.cell_type == "code":
            cells.append(_cell(f"_tm_cell = {gid!r}"))
        cells.append(c)
    cells.append(_cell(f"open({out_file!r}, 'w').write(_tm_json.dumps(_tm_log))"))
    nb.cells = cells
    return nb


def with_answers(nb, answers: dict[str, str]):
    """A copy of the source notebook with some solution cells replaced."""
    import copy
    nb = copy.deepcopy(nb)
    for c in nb.cells:
        meta = c.get("metadata", {}).get("nbgrader", {})
        if meta.get("solution") and meta.get("grade_id") in answers:
            c.source = answers[meta["grade_id"]]
    return nb


def run_one(assignment: str, level: str | None, threads: int, variant: str | None) -> dict:
    """Execute one configuration in a child process (its own environment)."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), GRADKIT_HEADLESS="1")
    if level:
        env["ATEN_CPU_CAPABILITY"] = level
    else:
        env.pop("ATEN_CPU_CAPABILITY", None)
    with tempfile.TemporaryDirectory(prefix="tolerance-") as tmp:
        out = Path(tmp) / "log.json"
        proc = subprocess.run([sys.executable, __file__, "--child", assignment, str(out),
                               variant or ""], env=env, capture_output=True, text=True)
        log = json.loads(out.read_text()) if out.is_file() else []
    return {"assignment": assignment, "level": level or "own", "threads": threads,
            "variant": variant, "log": log, "errors": proc.stdout[-3000:] if proc.returncode
            else ""}


def _child(assignment: str, out: str, variant: str) -> int:
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError
    from traitlets.config import Config

    from gradkit.course._kernels import socket_kernel_settings
    from tests.course import mutant_answer, source_nb, variants

    src = source_nb(assignment)
    if variant:
        from gradkit.course import grading
        v = variants(assignment)[variant]
        src = with_answers(src, {v["cell"]: mutant_answer(grading.reference_answers(src), v)})
    nb = instrumented(src, out)
    with tempfile.TemporaryDirectory(prefix="tm-ipc-") as sockets:
        config = Config({"KernelManager": socket_kernel_settings(sockets)})
        client = NotebookClient(nb, timeout=600, kernel_name="python3", config=config,
                                allow_errors=True,
                                resources={"metadata": {"path": str(ROOT / "solutions" /
                                                                    assignment)}})
        try:
            client.execute()
        except CellExecutionError as exc:     # pragma: no cover - allow_errors keeps going
            print(exc)
    failed = [c for c in nb.cells if any(o.get("output_type") == "error"
                                         for o in c.get("outputs", []))]
    for c in failed:
        err = next(o for o in c.outputs if o.get("output_type") == "error")
        print(f"cell failed: {c.source[:60]!r}: {err.get('ename')}: {err.get('evalue')[:300]}")
    return 1 if failed else 0


def report(runs: list[dict]) -> dict:
    """Per call site (cell, check, name): worst use over runs; check_between spreads."""
    sites: dict = defaultdict(list)
    for run in runs:
        for e in run["log"]:
            sites[(run["assignment"], e["cell"], e["check"], e.get("name"))].append(
                dict(e, level=run["level"], threads=run["threads"], variant=run["variant"]))
    out = {}
    for key, entries in sites.items():
        assignment, cell, check, name = key
        row = {"assignment": assignment, "cell": cell, "check": check, "name": name,
               "runs": len(entries), "failed": sum(not e.get("passed", True) for e in entries)}
        if check == "check_close":
            uses = [e["use"] for e in entries if e.get("use") is not None]
            worst = max(uses) if uses else None
            row.update(rtol=entries[0].get("rtol"), atol=entries[0].get("atol"), use=worst,
                       margin=(math.inf if worst == 0 else 1 / worst) if worst is not None
                       else None,
                       worst_at=max(entries, key=lambda e: e.get("use") or 0)["level"])
        elif check == "check_between":
            values = [e["value"] for e in entries if "value" in e]
            low, high = entries[0]["low"], entries[0]["high"]
            # positive quantities that span decades are compared on the log scale
            scale = (math.log10 if min(values) > 0 and low > 0 and math.isfinite(high)
                     else (lambda x: x))
            lo, hi = scale(min(values)), scale(max(values))
            spread = hi - lo
            gap = min(lo - (scale(low) if math.isfinite(low) else -math.inf),
                      (scale(high) if math.isfinite(high) else math.inf) - hi)
            row.update(low=low, high=high, min=min(values), max=max(values), spread=spread,
                       log=scale is math.log10,
                       margin=math.inf if spread == 0 else gap / spread)
        out[key] = row
    return out


def _fmt(x) -> str:
    if x is None:
        return "-"
    if isinstance(x, float) and math.isinf(x):
        return "exact"
    return f"{x:.3g}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignments", nargs="*")
    parser.add_argument("--levels", default=None,
                        help="comma-separated ATEN_CPU_CAPABILITY levels (default: all the "
                             "CPU has)")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--variants", action="store_true",
                        help="also run tests/equivalents/<assignment>.py at the own level")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--json", type=Path, help="write every call's record here")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return _child(*args.child)

    from gradkit.course import grading
    from tests.course import variants
    from tests.levels import supported_levels
    known = grading.assignments(ROOT)
    names = args.assignments or known
    bad = [a for a in names if a not in known]
    if bad:
        parser.error(f"assignments {bad} are not among {', '.join(known)}")
    levels = args.levels.split(",") if args.levels else list(supported_levels())
    unknown = [lv for lv in levels if lv not in LEVELS]
    if unknown:
        parser.error(f"--levels {unknown} are not among {', '.join(LEVELS)}")
    threads = [int(t) for t in args.threads.split(",")]
    jobs = [(a, lv, t, None) for a in names for lv in levels for t in threads]
    if args.variants:
        jobs += [(a, None, 1, v) for a in names for v in variants(a)]
    print(f"{len(jobs)} runs ({', '.join(names)}; levels {', '.join(levels)}; threads "
          f"{args.threads}{'; variants' if args.variants else ''}), {args.jobs} at a time",
          flush=True)
    runs = []
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        for i, run in enumerate(pool.map(lambda j: run_one(*j), jobs), 1):
            runs.append(run)
            tag = run["variant"] or f"{run['level']}/{run['threads']}t"
            status = "FAILED TESTS\n" + run["errors"] if run["errors"] else "ok"
            print(f"[{i}/{len(jobs)}] {run['assignment']} {tag}: {len(run['log'])} checks, "
                  f"{status}", flush=True)
    rows = report(runs)
    if args.json:
        args.json.write_text(json.dumps(runs))
    by_cell: dict = defaultdict(list)
    for row in rows.values():
        by_cell[(row["assignment"], row["cell"])].append(row)
    print(f"\n{'assignment':<36}{'test cell':<34}{'checks':>7}{'worst close margin':>20}"
          f"{'worst between margin':>22}")
    for (a, cell), cell_rows in by_cell.items():
        closes = [r["margin"] for r in cell_rows if r["check"] == "check_close"
                  and r.get("margin") is not None]
        betweens = [r["margin"] for r in cell_rows if r["check"] == "check_between"]
        print(f"{a:<36}{str(cell):<34}{len(cell_rows):>7}"
              f"{_fmt(min(closes)) if closes else '-':>20}"
              f"{_fmt(min(betweens)) if betweens else '-':>22}")
    thin = sorted((r for r in rows.values() if r.get("margin") is not None
                   and r["margin"] < 10), key=lambda r: r["margin"])
    print(f"\ncalls with a margin under 10 ({len(thin)}):")
    for r in thin:
        tol = (f"rtol={r['rtol']:g} atol={r['atol']:g} worst at {r['worst_at']}"
               if r["check"] == "check_close" else
               f"[{r['low']:g}, {r['high']:g}], values {r['min']:.6g}..{r['max']:.6g}")
        print(f"  {r['assignment'][:4]} {r['cell']}: {r['name']!r}: margin {_fmt(r['margin'])}"
              f" ({tol}){' FAILED in ' + str(r['failed']) + ' runs' if r['failed'] else ''}")
    failed = [r for r in rows.values() if r["failed"]]
    print(f"\ncalls that failed in some run: {len(failed)}")
    for r in failed:
        print(f"  {r['assignment'][:4]} {r['cell']}: {r['name']!r} ({r['failed']} of "
              f"{r['runs']} runs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
