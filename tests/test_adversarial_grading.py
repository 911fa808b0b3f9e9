"""One batch of cheating, broken and honest submissions, graded by ``gradkit.course``.

The corpus (``tests/adversarial.py``) goes through the real command path in one run,
sandbox on, two workers: no case may earn a point an honest grader would not give, every
student gets a status, honest classmates are graded exactly, and what nbgrader reads
afterwards (the gradebook, ``generate_feedback``, ``export``) works and shows no hidden
test code.
"""
from __future__ import annotations

import hashlib
import html
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from gradkit.course import engine
from gradkit.course.sandbox import unavailable
from tests import adversarial
from tests.course import ROOT

A = adversarial.ASSIGNMENT
GROUP = pytest.mark.xdist_group("adversarial")
pytestmark = [GROUP, pytest.mark.skipif(
    bool(unavailable()) and not os.environ.get("CI"),
    reason=f"bubblewrap cannot run here: {unavailable()}")]


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    course = tmp_path_factory.mktemp("adversarial-course")
    shutil.copy2(ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
    shutil.copytree(ROOT / "solutions" / A, course / "solutions" / A)
    cases = adversarial.cases(str(course))
    for case in cases:
        folder = course / "submitted" / case.name / A
        folder.mkdir(parents=True)
        for name, raw in adversarial.submission_files(case).items():
            (folder / name).write_bytes(raw)
    before = _digests(course / "solutions")
    result = engine.grade(A, course=course, workers=2, cell_timeout=45, timeout=600)
    print("\n" + result.table())
    return {"course": course, "cases": {c.name: c for c in cases}, "result": result,
            "solutions_before": before}


def _digests(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _expected(case, maxima) -> dict[str, float]:
    zero = set(maxima) if case.expect == adversarial.ALL else set(case.expect)
    return {cell: 0.0 if cell in zero else points for cell, points in maxima.items()}


@pytest.mark.parametrize("name", [c.name for c in adversarial.cases("COURSE")])
def test_case_gets_the_honest_grade(batch, name):
    case = batch["cases"][name]
    result = batch["result"]
    outcome = result.by_student()[name]
    got = {cell: s for cell, (s, _) in outcome.scores.items()}
    want = _expected(case, result.maxima)
    wrong = {cell: f"{got.get(cell)} (expected {want[cell]:g})" for cell in want
             if got.get(cell) != want[cell]}
    assert not wrong, (f"{name}: {wrong}\nstatus {outcome.status}: {outcome.detail}\n"
                       + "\n".join(f"{c}: {m[:400]}" for c, m in outcome.messages.items()
                                   if c in wrong))
    if case.status is not None:
        assert outcome.status == case.status, f"{name}: {outcome.status}: {outcome.detail}"
    if case.flag == "":
        assert not outcome.flags, f"{name}, an honest notebook, was flagged: {outcome.flags}"
    elif case.flag is not None:
        assert any(case.flag in f for f in outcome.flags), \
            f"{name}: no flag says {case.flag!r}: {outcome.flags}"


def test_no_unearned_points_and_no_lost_student(batch):
    result = batch["result"]
    assert sorted(result.by_student()) == sorted(batch["cases"])
    unearned = {}
    for name, case in batch["cases"].items():
        want = _expected(case, result.maxima)
        extra = sum(max(0.0, s - want[c]) for c, (s, _) in
                    result.by_student()[name].scores.items())
        if extra:
            unearned[name] = extra
    assert not unearned, f"unearned points: {unearned}"
    statuses = {o.status for o in result.outcomes}
    assert statuses <= {"graded", "graded, with a timeout", "kernel died", "not gradable"}, \
        statuses


def test_instructor_files_are_untouched(batch):
    assert _digests(batch["course"] / "solutions") == batch["solutions_before"]


def test_gradebook_holds_every_score(batch):
    from nbgrader.api import Gradebook
    result = batch["result"]
    with Gradebook(f"sqlite:///{batch['course'] / 'gradebook.db'}") as gb:
        for o in result.outcomes:
            nb = gb.find_submission_notebook(A, A, o.student)
            stored = {g.name: g.score for g in nb.grades if g.name in result.maxima}
            assert stored == {c: s for c, (s, _) in o.scores.items()}, o.student
            assert (nb.flagged or False) == bool(o.flags or o.status != "graded"), o.student


def test_grades_csv_has_a_row_per_student(batch):
    rows = batch["result"].csv_path.read_text().splitlines()
    assert rows[0].split(",")[:2] == ["student", "status"]
    assert len(rows) == 1 + len(batch["cases"])


def test_nbgrader_feedback_and_export_work_and_hide_hidden_tests(batch):
    course = batch["course"]
    env = {**os.environ, "PATH": os.pathsep.join([str(Path(sys.executable).parent),
                                                   os.environ.get("PATH", "")])}
    for args in (["generate_feedback", A, "--force"], ["export", "--to", "export.csv"]):
        proc = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                              capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    source = json.loads((course / "solutions" / A / f"{A}.ipynb").read_text())
    hidden = []
    for cell in source["cells"]:
        text = "".join(cell["source"])
        for block in re.findall(r"### BEGIN HIDDEN TESTS(.*?)### END HIDDEN TESTS", text, re.S):
            hidden += [ln.strip() for ln in block.splitlines() if len(ln.strip()) > 30]
    assert hidden, "ps05 has hidden tests to look for"
    pages = sorted((course / "feedback").glob(f"*/{A}/*.html"))
    assert len(pages) == len(batch["cases"])
    for page in pages:
        text = html.unescape(re.sub(r"<[^>]+>", "", page.read_text()))
        leaked = [ln for ln in hidden if ln in text]
        assert not leaked, f"{page} shows hidden test code: {leaked[:3]}"
    export = (course / "export.csv").read_text().splitlines()
    assert len(export) == 1 + len(batch["cases"])
