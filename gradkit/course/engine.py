"""Grade a class: every submission in its own sandbox, in parallel, one gradebook writer.

``grade(...)`` finds ``submitted/<student>/<assignment>/*.ipynb`` (nbgrader's layout, any
file name), grades each submission in a fresh trusted runner
(:mod:`gradkit.course.trusted`) on Dask workers (a ``LocalCluster`` with one process per
core, or the cluster at ``scheduler``), and, as results arrive, writes them into
nbgrader's gradebook (any SQLAlchemy URL) with the autograded notebooks nbgrader's
``generate_feedback`` and formgrader read. One submission's failure is that student's
status, never the batch's.
"""
from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["CannotGrade", "GradeResult", "Job", "Outcome", "find_submissions", "grade",
           "grade_job"]


class CannotGrade(ValueError):
    """The grader itself cannot run (bad arguments, no such assignment, no sandbox)."""


@dataclass
class Job:
    """Everything a worker needs to grade one submission (no shared files needed)."""

    student: str
    assignment: str
    source_text: str                 # the instructor's source notebook (JSON)
    submission: bytes                # the student's file, as submitted
    submission_name: str
    timeout: float = 1800.0          # the whole submission, wall clock
    cell_timeout: float = 180.0
    sandbox: bool = True
    env: dict = field(default_factory=dict)
    limits: dict = field(default_factory=dict)
    warm: bool = True                # fork the runner from a warm zygote (else a new one)


@dataclass
class Outcome:
    """One student's grade as the table shows it."""

    student: str
    status: str
    detail: str = ""
    scores: dict = field(default_factory=dict)      # test grade_id -> [score, max]
    manual: dict = field(default_factory=dict)      # manually graded grade_id -> max
    flags: list = field(default_factory=list)
    messages: dict = field(default_factory=dict)
    outputs: dict = field(default_factory=dict)
    answers: dict = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def total(self) -> float:
        return sum(s for s, _ in self.scores.values())


def find_submissions(submitted: Path, assignment: str,
                     students: list[str] | None = None) -> dict[str, Path | str]:
    """``{student: notebook path}``, or a reason string where a folder holds no single
    notebook (none, or several)."""
    out: dict[str, Path | str] = {}
    if not submitted.is_dir():
        return out
    for folder in sorted(p for p in submitted.iterdir() if p.is_dir()):
        student = folder.name
        if students and student not in students:
            continue
        here = folder / assignment
        if not here.is_dir():
            continue
        notebooks = sorted(p for p in here.rglob("*.ipynb")
                           if ".ipynb_checkpoints" not in p.parts)
        if len(notebooks) == 1:
            out[student] = notebooks[0]
        elif not notebooks:
            out[student] = f"no notebook in submitted/{student}/{assignment}/"
        else:
            names = ", ".join(p.name for p in notebooks)
            out[student] = f"{len(notebooks)} notebooks in submitted/{student}/{assignment}/ " \
                           f"({names}): submit one"
    return out


# what the kernels and runners take from the grader's environment (the CPU vector level
# PyTorch uses, and the thread count when one is set); nothing else reaches a sandbox
_PASSED_ON = ("ATEN_CPU_CAPABILITY", "OMP_NUM_THREADS", "MKL_NUM_THREADS")

_ZYGOTES: dict = {}          # per worker process: environment -> its warm zygote


def _zygote(env: dict[str, str]):
    from .zygote import Zygote
    key = tuple(sorted(env.items()))
    z = _ZYGOTES.get(key)
    if z is None or not z.alive:
        z = _ZYGOTES[key] = Zygote(env)
    return z


def _runner_env(job_env: dict) -> dict[str, str]:
    """The environment of a job's runner: the worker's, changed by the job's (a value
    None unsets a name, for the runner and the kernel)."""
    env = {**os.environ, **{k: v for k, v in job_env.items() if isinstance(v, str)}}
    for key in [k for k, v in job_env.items() if v is None]:
        env.pop(key, None)
    return env


def grade_job(job: Job) -> dict:
    """Grade one submission in a fresh trusted runner (this is a worker's task): a fork of
    this worker's warm zygote (:mod:`gradkit.course.zygote`), or with ``warm=False`` a new
    interpreter. The runner gets the job's wall clock plus a minute; past that it and its
    sandbox are stopped and the student's status says so."""
    with tempfile.TemporaryDirectory(prefix=f"gk-grade-{job.student}-") as tmp:
        tmp = Path(tmp)
        (tmp / "source.ipynb").write_text(job.source_text, encoding="utf-8")
        (tmp / job.submission_name).write_bytes(job.submission)
        spec = {"student": job.student, "source": str(tmp / "source.ipynb"),
                "submission": str(tmp / job.submission_name), "timeout": job.timeout,
                "cell_timeout": job.cell_timeout, "sandbox": job.sandbox, "env": job.env,
                "limits": job.limits, "scratch_root": str(tmp)}
        (tmp / "job.json").write_text(json.dumps(spec))
        out = tmp / "result.json"
        env = _runner_env(job.env)
        t0 = time.monotonic()
        stopped = None
        if job.warm:
            stopped = _zygote(env).run(tmp / "job.json", out, job.timeout + 60)
        else:
            proc = subprocess.Popen([sys.executable, "-m", "gradkit.course.trusted",
                                     str(tmp / "job.json"), str(out)], env=env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                    start_new_session=True)
            try:
                proc.wait(timeout=job.timeout + 60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, 9)
                proc.wait()
                stopped = f"still running after {job.timeout:.0f} s: stopped"
        seconds = round(time.monotonic() - t0, 1)
        if stopped and stopped.startswith("still running"):
            return {"student": job.student, "status": "timeout", "detail": stopped,
                    "seconds": seconds}
        if not out.is_file():
            return {"student": job.student, "status": "grader error",
                    "detail": stopped or "the trusted runner wrote no result",
                    "seconds": seconds}
        return json.loads(out.read_text())


def _outcome(result: dict) -> Outcome:
    keep = {k: result[k] for k in Outcome.__dataclass_fields__ if k in result}
    return Outcome(**keep)


def _progress(done: int, total: int, t0: float, last: str, stream=sys.stderr) -> None:
    width = 30
    filled = int(width * done / max(total, 1))
    elapsed = time.monotonic() - t0
    eta = elapsed / done * (total - done) if done else 0
    line = (f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total} graded, "
            f"{elapsed:.0f} s, about {eta:.0f} s left  {last[:30]:<30}")
    if stream.isatty():                  # one line, redrawn
        stream.write("\r" + line + ("\n" if done == total else ""))
    else:                                # a log: a line per submission
        stream.write(line.rstrip() + "\n")
    stream.flush()


def run_jobs(jobs: list[Job], *, workers: int, scheduler: str | None, on_result) -> None:
    """Grade ``jobs`` concurrently on Dask (a ``LocalCluster`` of ``workers`` processes, or
    the cluster at ``scheduler``); call ``on_result(result)`` in this process as each
    finishes (so one coordinator writes the gradebook)."""
    if not jobs:
        return
    from dask.distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler:
        client = Client(scheduler, timeout="30s")
    else:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=":0", silence_logs=40)
        client = Client(cluster)
    try:
        futures = {client.submit(grade_job, job, key=f"grade-{job.student}-{i}", pure=False,
                                 retries=0): job for i, job in enumerate(jobs)}
        for future in as_completed(futures):
            job = futures[future]
            try:
                result = future.result()
            except Exception as e:      # noqa: BLE001 - a lost worker: this student only
                result = {"student": job.student, "status": "grader error",
                          "detail": f"{type(e).__name__}: {e}"[:2000]}
            on_result(result)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def write_csv(path: Path, outcomes: list[Outcome], cells: list[str]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["student", "status", *cells, "total", "flags", "detail"])
        for o in outcomes:
            w.writerow([o.student, o.status, *[_fmt(o.scores.get(c, [0, 0])[0]) for c in cells],
                        _fmt(o.total), " | ".join(o.flags), o.detail])


def _fmt(x: float) -> str:
    return f"{x:g}"


def table(outcomes: list[Outcome], cells: list[str], maxima: dict[str, float]) -> str:
    """The grade table: one row per student, a column per test cell, status and flags."""
    w = max([len(o.student) for o in outcomes] + [8]) + 2
    short = [c.removesuffix("_tests")[:10] for c in cells]
    head = f"{'student':<{w}}{'status':<16}" + "".join(f"{s:>11}" for s in short) + \
        f"{'total':>8}  flags"
    rows = [head, f"{'(max)':<{w}}{'':<16}" + "".join(f"{maxima[c]:>11g}" for c in cells)
            + f"{sum(maxima.values()):>8g}"]
    for o in outcomes:
        rows.append(f"{o.student:<{w}}{o.status[:15]:<16}"
                    + "".join(f"{o.scores.get(c, [0, 0])[0]:>11g}" for c in cells)
                    + f"{o.total:>8g}  {len(o.flags) or ''}")
    return "\n".join(rows)


@dataclass
class GradeResult:
    """What :func:`grade` did: an outcome per student, in the order of their folders."""

    assignment: str
    course: Path
    outcomes: list[Outcome]
    cells: list[str]                  # the test cells, in notebook order
    maxima: dict[str, float]
    csv_path: Path
    seconds: float

    def table(self) -> str:
        return table(self.outcomes, self.cells, self.maxima)

    def by_student(self) -> dict[str, Outcome]:
        return {o.student: o for o in self.outcomes}


def _database_url(url) -> str:
    """The gradebook's SQLAlchemy URL; ``postgresql://`` means the psycopg (3) driver,
    the one the ``course`` extra installs."""
    if not isinstance(url, str) or "://" not in url:
        raise CannotGrade(f"db={url!r} must be a SQLAlchemy URL such as "
                          "sqlite:////path/gradebook.db or postgresql://user@host/db")
    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _cell_timeout(course: Path) -> float:
    """``c.Execute.timeout`` from the course's nbgrader_config.py, else 180 s."""
    text = (course / "nbgrader_config.py").read_text(encoding="utf-8")
    for line in text.splitlines():
        line = line.split("#")[0].strip()
        if line.replace(" ", "").startswith("c.Execute.timeout="):
            try:
                return float(line.split("=", 1)[1])
            except ValueError:
                break
    return 180.0


def _test_cells(source: dict) -> dict[str, float]:
    out = {}
    for c in source["cells"]:
        meta = (c.get("metadata") or {}).get("nbgrader") or {}
        if meta.get("grade") and not meta.get("solution") and c.get("cell_type") == "code":
            out[meta["grade_id"]] = float(meta.get("points", 0))
    return out


def _positive(name: str, value, kind=float):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0 \
            or (kind is int and int(value) != value):
        what = "a positive whole number" if kind is int else "a positive number"
        raise CannotGrade(f"{name}={value!r} must be {what}")
    return kind(value)


def grade(assignment: str, *, course=None, submitted=None, students=None, workers=None,
          scheduler: str | None = None, db: str | None = None, timeout: float = 1800.0,
          cell_timeout: float | None = None, sandbox: bool = True, csv_path=None,
          env: dict | None = None, student_env: dict | None = None,
          limits: dict | None = None, progress=None, announce=None) -> GradeResult:
    """Grade every submission of ``assignment`` (see the module docstring).

    Args:
        assignment: a folder of ``COURSE/solutions/``.
        course: the course folder (``nbgrader_config.py``, ``solutions/``); default cwd.
        submitted: where ``<student>/<assignment>/`` folders are (default COURSE/submitted).
        students: grade only these.
        workers: grading processes of a LocalCluster (default: one per core).
        scheduler: the address of an existing Dask scheduler instead.
        db: the gradebook, any SQLAlchemy URL (default sqlite COURSE/gradebook.db).
        timeout: wall-clock seconds per submission; cell_timeout: per cell (default:
            ``c.Execute.timeout`` of nbgrader_config.py).
        sandbox: False grades without bubblewrap (every row is flagged).
        env: environment for the kernels and runners (default: ATEN_CPU_CAPABILITY and
            the thread counts, where set); a value None unsets a name;
            student_env: ``{student: {name: value}}`` changes of it for some students
            (the test suite grades the reference at each CPU vector level in one batch).
        limits: :class:`gradkit.course.sandbox.Limits` fields to change.
        progress: a stream for the progress bar; announce: a function for the header line.

    Raises:
        CannotGrade: when the arguments or the machine do not allow grading (before any
            grading), or nbgrader cannot register the assignment (before any grade is
            written).
    """
    from .gradebook import record, register_assignment
    from .plan import load_source
    from .sandbox import Limits, unavailable

    course = Path(course or Path.cwd()).resolve()
    if not (course / "nbgrader_config.py").is_file():
        raise CannotGrade(f"course={str(course)!r} has no nbgrader_config.py")
    source_path = course / "solutions" / str(assignment) / f"{assignment}.ipynb"
    if not source_path.is_file():
        known = sorted(p.name for p in (course / "solutions").glob("*") if p.is_dir()) \
            if (course / "solutions").is_dir() else []
        raise CannotGrade(f"assignment={assignment!r} is not in {course / 'solutions'} "
                          f"(there: {', '.join(known) or 'none'})")
    workers = _positive("workers", workers, int) or os.cpu_count() or 1
    timeout = _positive("timeout", timeout)
    cell_timeout = _positive("cell_timeout", cell_timeout) or _cell_timeout(course)
    if scheduler is not None and not (isinstance(scheduler, str) and "://" in scheduler):
        raise CannotGrade(f"scheduler={scheduler!r} must be an address like "
                          "tcp://host:8786")
    bad = sorted(set(limits or {}) - set(Limits.__dataclass_fields__))
    if bad:
        raise CannotGrade(f"limits={limits!r}: unknown {bad}; allowed "
                          f"{sorted(Limits.__dataclass_fields__)}")
    if sandbox and (why := unavailable()):
        raise CannotGrade(f"cannot sandbox the kernels here ({why}); grading for credit "
                          "needs the sandbox. --no-sandbox grades without it (every row "
                          "says so)")
    submitted = Path(submitted or course / "submitted").resolve()
    if not submitted.is_dir():
        raise CannotGrade(f"submitted={str(submitted)!r} is not a folder")
    db = _database_url(db or f"sqlite:///{course / 'gradebook.db'}")
    found = find_submissions(submitted, assignment, students)
    if students:
        missing = sorted(set(students) - set(found))
        if missing:
            raise CannotGrade(f"no submission of {assignment} for {', '.join(missing)} "
                              f"in {submitted}")
    if not found:
        raise CannotGrade(f"no submissions of {assignment} in {submitted}")
    source_text = source_path.read_text(encoding="utf-8")
    maxima = _test_cells(load_source(source_path))
    cells = list(maxima)
    if announce:
        announce(f"{assignment}: {len(found)} submissions, "
                 f"{'sandboxed' if sandbox else 'NOT SANDBOXED (--no-sandbox)'}, "
                 f"{'scheduler ' + scheduler if scheduler else f'{workers} workers'}, "
                 f"gradebook {db}")
    if env is None:
        env = {k: os.environ[k] for k in _PASSED_ON if k in os.environ}
    jobs, outcomes, waiting = [], [], []
    for student, where in found.items():
        if isinstance(where, str):
            waiting.append(Outcome(student, "not gradable", where))
            continue
        name = where.name if where.name.endswith(".ipynb") else "submission.ipynb"
        jobs.append(Job(student, assignment, source_text, where.read_bytes(), name,
                        timeout=timeout, cell_timeout=cell_timeout, sandbox=sandbox,
                        env={**env, **(student_env or {}).get(student, {})},
                        limits=dict(limits or {})))
    t0 = time.monotonic()
    # nbgrader registers the assignment (a few seconds) while the workers start and grade;
    # the first result to arrive waits for it, and if it fails nothing has been written
    from concurrent.futures import ThreadPoolExecutor
    background = ThreadPoolExecutor(1)
    registering = background.submit(register_assignment, course, assignment, db)
    background.shutdown(wait=False)

    def release() -> dict:
        try:
            return registering.result()
        except RuntimeError as e:
            raise CannotGrade(str(e)) from None

    opened: list = []                          # one gradebook connection for the run

    def finish(outcome: Outcome) -> None:
        notebook = release()
        if not opened:
            from nbgrader.api import Gradebook
            opened.append(Gradebook(db))
        while waiting:                         # the not-gradable ones first
            finish(waiting.pop(0))
        outcome.scores = {c: outcome.scores.get(c, [0.0, maxima[c]]) for c in cells}
        if not sandbox:
            outcome.flags.append("graded without the sandbox (--no-sandbox)")
        record(db, course, assignment, notebook, outcome, opened[0])    # as it arrives
        outcomes.append(outcome)
        if progress is not None:
            _progress(len(outcomes), len(found), t0, outcome.student, progress)

    try:
        run_jobs(jobs, workers=workers, scheduler=scheduler,
                 on_result=lambda result: finish(_outcome(result)))
        while waiting:
            finish(waiting.pop(0))
    finally:
        for gb in opened:
            gb.close()
    order = {s: i for i, s in enumerate(found)}
    outcomes.sort(key=lambda o: order.get(o.student, 0))
    csv_path = Path(csv_path or course / "grades.csv")
    write_csv(csv_path, outcomes, cells)
    return GradeResult(assignment, course, outcomes, cells, maxima, csv_path,
                       time.monotonic() - t0)
