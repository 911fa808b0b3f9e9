"""The instructor's side: build submissions and run the real nbgrader pipeline on them.

Used by the course's pipeline tests (reference, blank and deliberately wrong submissions)
and by ``make grade-demo``. This is the one gradkit module that knows the course layout:
``solutions/<assignment>/<assignment>.ipynb`` is the nbgrader source and the release is
what ``nbgrader generate_assignment`` makes of it.

Command line::

    python -m gradkit.course.grading release [ASSIGNMENT...]  # regenerate exercises/ from solutions/
    python -m gradkit.course.grading samples ASSIGNMENT       # write sample submissions to submitted/
    python -m gradkit.course.grading demo [ASSIGNMENT...]     # whole pipeline in a temp dir, print grades
"""
from __future__ import annotations

import contextlib
import copy
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from ._kernels import socket_kernel_settings

__all__ = ["assignments", "reference_answers", "solution_cell_ids",
           "make_submission", "GradeReport", "grade_submissions", "run_pipeline",
           "generate_release", "samples"]

_ASSIGNMENT_PREFIX = "ps"
_BEGIN, _END = "### BEGIN SOLUTION", "### END SOLUTION"


def _course_root(root=None) -> Path:
    root = Path(root) if root is not None else Path.cwd()
    if not (root / "nbgrader_config.py").is_file():
        raise FileNotFoundError(f"root={str(root)!r} has no nbgrader_config.py: "
                                "run from the course's top folder or pass root=")
    return root


def assignments(root=None) -> list[str]:
    """Names of the assignments in ``solutions/`` (folders ``psNN_topic``), sorted."""
    src = _course_root(root) / "solutions"
    return sorted(p.name for p in src.iterdir()
                  if p.is_dir() and p.name.startswith(_ASSIGNMENT_PREFIX)
                  and (p / f"{p.name}.ipynb").is_file())


def _nbgrader_meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def solution_cell_ids(nb) -> list[str]:
    """grade_ids of the cells a student writes in (nbgrader ``solution`` cells), in order."""
    return [_nbgrader_meta(c)["grade_id"] for c in nb.cells if _nbgrader_meta(c).get("solution")]


def reference_answers(source_nb) -> dict[str, str]:
    """The reference answer of every solution cell of an nbgrader source notebook:
    ``{grade_id: source}`` with the ``### BEGIN/END SOLUTION`` marker lines removed."""
    out = {}
    for cell in source_nb.cells:
        meta = _nbgrader_meta(cell)
        if not meta.get("solution"):
            continue
        lines = [ln for ln in cell.source.splitlines()
                 if ln.strip() not in (_BEGIN, _END)]
        out[meta["grade_id"]] = "\n".join(lines)
    return out


def make_submission(release_nb, answers: dict[str, str]):
    """A copy of the release notebook with the given solution cells filled in.

    Args:
        release_nb: the student release (an nbformat notebook).
        answers: ``{grade_id: source}`` for the cells to fill; others stay as released.

    Returns:
        A new notebook.
    """
    ids = set(solution_cell_ids(release_nb))
    unknown = sorted(set(answers) - ids)
    if unknown:
        raise KeyError(f"answers name cells that are not solution cells of the release: "
                       f"{', '.join(unknown)}; solution cells are {', '.join(sorted(ids))}")
    nb = copy.deepcopy(release_nb)
    for cell in nb.cells:
        gid = _nbgrader_meta(cell).get("grade_id")
        if gid in answers and _nbgrader_meta(cell).get("solution"):
            cell.source = answers[gid]
    return nb


@dataclass
class GradeReport:
    """Scores of every submission: ``scores[student][grade_id] = (score, max_score)`` for
    the autograded cells; ``manual`` names the cells an instructor grades by hand."""

    assignment: str
    scores: dict[str, dict[str, tuple[float, float]]] = field(default_factory=dict)
    manual: list[str] = field(default_factory=list)
    seconds: float = 0.0
    status: dict[str, str] = field(default_factory=dict)       # the engine's only
    flags: dict[str, list[str]] = field(default_factory=dict)  # the engine's only

    def total(self, student: str) -> float:
        return sum(s for s, _ in self.scores[student].values())

    def max_total(self) -> float:
        first = next(iter(self.scores.values()))
        return sum(m for _, m in first.values())

    def table(self) -> str:
        """The grade table as aligned text: one row per submission, one column per cell."""
        if not self.scores:
            return "(no submissions)"
        cells = list(next(iter(self.scores.values())))
        w = max(len(s) for s in self.scores) + 2
        head = f"{'submission':<{w}}" + "".join(f"{c[:12]:>13}" for c in cells) + f"{'total':>10}"
        maxrow = f"{'(max)':<{w}}" + "".join(
            f"{next(iter(self.scores.values()))[c][1]:>13g}" for c in cells) + f"{self.max_total():>10g}"
        rows = [head, maxrow]
        for student, row in self.scores.items():
            rows.append(f"{student:<{w}}" + "".join(f"{row[c][0]:>13g}" for c in cells)
                        + f"{self.total(student):>10g}")
        return "\n".join(rows)


def _error_excerpt(log: str, limit: int = 8000) -> str:
    """The part of an nbgrader log that says what went wrong: every ERROR line with the
    indented traceback lines under it (nbgrader goes on to the next student after one
    fails, so the cause is often far from the end of the log); the log's tail if none."""
    keep: list[str] = []
    under_error = False
    for line in log.splitlines():
        if "| ERROR]" in line or "| CRITICAL]" in line:
            keep.append(line)
            under_error = True
        elif under_error and (not line.strip() or line.startswith((" ", "\t"))):
            keep.append(line)
        else:
            under_error = False
    text = "\n".join(keep) if keep else log
    return text if len(text) <= limit else "...\n" + text[-limit:]


def _run(args: list[str], cwd: Path, env_changes: dict[str, str | None] | None = None) -> None:
    # nbgrader runs `alembic` from PATH: put this interpreter's bin/ first
    env = dict(os.environ)
    for key, value in (env_changes or {}).items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    with tempfile.TemporaryDirectory(prefix="gk-ipc-") as scratch:
        extra = ([f"--KernelManager.{k}={v}" for k, v in socket_kernel_settings(scratch).items()]
                 if args[0] == "autograde" else [])   # kernels only in autograde
        proc = subprocess.run([sys.executable, "-m", "nbgrader", *args, *extra], cwd=cwd,
                              env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed (exit {proc.returncode}) in "
                           f"{cwd}:\n{_error_excerpt(proc.stdout + proc.stderr)}")


def _stage_course(root: Path, assignment: str, workdir: Path) -> None:
    workdir.mkdir(parents=True, exist_ok=True)
    shutil.copy2(root / "nbgrader_config.py", workdir / "nbgrader_config.py")
    shutil.copytree(root / "solutions" / assignment, workdir / "solutions" / assignment,
                    dirs_exist_ok=True, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))


def generate_release(assignment: str, out_dir, root=None) -> Path:
    """Run ``nbgrader generate_assignment`` on a copy of the course; return the release folder
    (``out_dir/exercises/<assignment>``)."""
    root = _course_root(root)
    _check_assignment(assignment, root)
    out_dir = Path(out_dir)
    _stage_course(root, assignment, out_dir)
    _run(["generate_assignment", assignment, "--force"], out_dir)
    return out_dir / "exercises" / assignment


@contextlib.contextmanager
def _scratch_course(assignment: str, root: Path, submissions: dict, workdir=None):
    """A copy of the course's source with ``submitted/<student>/<assignment>/`` filled;
    in a new temporary folder (removed after) unless ``workdir`` is given."""
    with contextlib.ExitStack() as stack:
        if workdir is None:
            workdir = stack.enter_context(
                tempfile.TemporaryDirectory(prefix=f"grade-{assignment}-"))
        work = Path(workdir)
        _stage_course(root, assignment, work)
        for student, nb in submissions.items():
            dest = work / "submitted" / student / assignment
            dest.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, dest / f"{assignment}.ipynb")
        yield work


def _check_assignment(assignment: str, root: Path) -> None:
    known = assignments(root)
    if assignment not in known:
        raise ValueError(f"assignment={assignment!r} is not one of {', '.join(known) or '(none)'}")


def run_pipeline(assignment: str, submissions: dict[str, object], root=None,
                 workdir=None, env: dict[str, str | None] | None = None) -> GradeReport:
    """Grade submissions with the real nbgrader pipeline, in a scratch copy of the course.

    generate_assignment -> submitted/<student>/ -> autograde (all students in one call)
    -> generate_feedback -> export.

    Args:
        assignment: e.g. "ps02_vanishing_exploding_gradients".
        submissions: ``{student_id: notebook}`` (nbformat notebooks).
        root: the course's top folder (default: the current directory).
        workdir: where to build the scratch course (default: a new temp dir, removed after).
        env: environment changes for the nbgrader commands and so for the kernels that
            run the notebooks (``{"ATEN_CPU_CAPABILITY": "avx2"}``); ``None`` as a value
            removes that variable.

    Returns:
        A :class:`GradeReport` read from the gradebook.
    """
    from nbgrader.api import Gradebook

    root = _course_root(root)
    _check_assignment(assignment, root)
    bad = [s for s in submissions if not s.replace("_", "").replace("-", "").isalnum()]
    if bad:
        raise ValueError(f"student ids {bad} must be letters, digits, '_' or '-'")
    bad_env = {k: v for k, v in (env or {}).items()
               if not isinstance(k, str) or not (v is None or isinstance(v, str))}
    if bad_env:
        raise ValueError(f"env={bad_env!r}: names must be strings and values strings or None")
    t0 = time.perf_counter()
    with _scratch_course(assignment, root, submissions, workdir) as work:
        _run(["generate_assignment", assignment, "--force"], work)
        _run(["autograde", assignment, "--force"], work, env)
        _run(["generate_feedback", assignment, "--force"], work)
        _run(["export"], work)
        report = GradeReport(assignment)
        with Gradebook(f"sqlite:///{work / 'gradebook.db'}") as gb:
            for student in submissions:
                nb = gb.find_submission_notebook(assignment, assignment, student)
                report.scores[student] = {
                    g.name: (float(g.score), float(g.max_score))
                    for g in nb.grades
                    if g.max_score and g.cell.cell_type == "code"}
                report.manual = sorted({g.name for g in nb.grades
                                        if g.max_score and g.cell.cell_type != "code"})
        order = _grade_cell_order(work / "solutions" / assignment / f"{assignment}.ipynb")
        for student, row in report.scores.items():
            report.scores[student] = {k: row[k] for k in order if k in row}
        report.seconds = time.perf_counter() - t0
        return report


def grade_submissions(assignment: str, submissions: dict[str, object], root=None, *,
                      workers: int = 1, env: dict[str, str] | None = None,
                      student_env: dict[str, dict[str, str]] | None = None,
                      cell_timeout: float | None = None, workdir=None) -> GradeReport:
    """Grade submissions with the course's own engine (:mod:`gradkit.course.engine`:
    sandboxed kernels, tests in a trusted runner), in a scratch copy of the course.

    Args and result as :func:`run_pipeline`, whose nbgrader pipeline this replaces;
    the report also holds each submission's status and flags. ``env`` is the kernels'
    and runners' environment (default: ``ATEN_CPU_CAPABILITY`` if set), ``student_env``
    changes it for some submissions (``{"ref_avx2": {"ATEN_CPU_CAPABILITY": "avx2"}}``)."""
    from .engine import grade

    root = _course_root(root)
    _check_assignment(assignment, root)
    t0 = time.perf_counter()
    with _scratch_course(assignment, root, submissions, workdir) as work:
        result = grade(assignment, course=work, workers=workers, env=env,
                       student_env=student_env, cell_timeout=cell_timeout)
        report = GradeReport(assignment)
        for o in result.outcomes:
            report.scores[o.student] = {c: tuple(o.scores[c]) for c in result.cells}
            report.status[o.student] = o.status + (f": {o.detail}" if o.detail else "")
            report.flags[o.student] = list(o.flags)
        source = nbformat.read(work / "solutions" / assignment / f"{assignment}.ipynb",
                               as_version=4)
        report.manual = [_nbgrader_meta(c)["grade_id"] for c in source.cells
                         if c.cell_type != "code" and _nbgrader_meta(c).get("grade")]
        report.seconds = time.perf_counter() - t0
        return report


def _grade_cell_order(path: Path) -> list[str]:
    nb = nbformat.read(path, as_version=4)
    return [_nbgrader_meta(c)["grade_id"] for c in nb.cells if _nbgrader_meta(c).get("grade")]


def _source_and_release(assignment: str, root: Path):
    src = nbformat.read(root / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    rel = nbformat.read(root / "exercises" / assignment / f"{assignment}.ipynb", as_version=4)
    return src, rel


def samples(assignment: str, root=None) -> dict[str, object]:
    """Three sample submissions: the reference answers, the blank release, and a partial
    one (the first half of the answer cells filled in)."""
    root = _course_root(root)
    _check_assignment(assignment, root)
    src, rel = _source_and_release(assignment, root)
    answers = reference_answers(src)
    half = dict(list(answers.items())[: len(answers) // 2])
    return {"sample_reference": make_submission(rel, answers),
            "sample_blank": make_submission(rel, {}),
            "sample_partial": make_submission(rel, half)}


def _main(argv: list[str]) -> int:
    usage = ("usage: python -m gradkit.course.grading release [ASSIGNMENT ...]\n"
             "       python -m gradkit.course.grading samples ASSIGNMENT\n"
             "       python -m gradkit.course.grading demo [ASSIGNMENT ...]")
    if not argv or argv[0] not in ("release", "samples", "demo"):
        print(usage, file=sys.stderr)
        return 2
    root = _course_root()
    if argv[0] == "release":
        names = argv[1:] or assignments(root)
        for a in names:
            _check_assignment(a, root)
        for a in names:
            with tempfile.TemporaryDirectory() as tmp:
                made = generate_release(a, tmp, root)
                dest = root / "exercises" / a
                shutil.rmtree(dest, ignore_errors=True)
                shutil.copytree(made, dest)
            print(f"wrote {dest}")
        return 0
    if argv[0] == "samples":
        if len(argv) != 2:
            print(usage, file=sys.stderr)
            return 2
        for student, nb in samples(argv[1], root).items():
            dest = root / "submitted" / student / argv[1]
            dest.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, dest / f"{argv[1]}.ipynb")
            print(f"wrote {dest / (argv[1] + '.ipynb')}")
        return 0
    names = argv[1:] or assignments(root)
    for a in names:
        _check_assignment(a, root)
    for a in names:
        subs = samples(a, root)
        print(f"{a}: generate_assignment, autograde {len(subs)} sample submissions, "
              "generate_feedback, export ...", flush=True)
        report = run_pipeline(a, subs, root)
        print(report.table())
        print(f"({report.seconds:.1f} s)\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
