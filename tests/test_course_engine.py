"""gradkit.course's grading command: what it refuses before any work, and its layering."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest

from gradkit.course import engine
from tests.course import ROOT

A = "ps02_vanishing_exploding_gradients"


@pytest.fixture
def course(tmp_path):
    shutil.copy2(ROOT / "nbgrader_config.py", tmp_path / "nbgrader_config.py")
    shutil.copytree(ROOT / "solutions" / A, tmp_path / "solutions" / A)
    (tmp_path / "submitted" / "s1" / A).mkdir(parents=True)
    shutil.copy2(ROOT / "exercises" / A / f"{A}.ipynb", tmp_path / "submitted" / "s1" / A)
    return tmp_path


def test_student_facing_modules_never_import_the_course_package():
    for path in sorted((ROOT / "gradkit").glob("*.py")):
        text = path.read_text()
        assert not re.search(r"^\s*(from|import)\s+(gradkit\.course|\.course)\b|"
                             r"^\s*from\s+\.\s+import\s+.*\bcourse\b", text, re.M), path.name


@pytest.mark.parametrize("kwargs,message", [
    ({"workers": 0}, r"workers=0 must be a positive whole number"),
    ({"workers": 1.5}, r"workers=1.5 must be a positive whole number"),
    ({"timeout": -1}, r"timeout=-1 must be a positive number"),
    ({"cell_timeout": 0}, r"cell_timeout=0 must be a positive number"),
    ({"scheduler": "localhost"}, r"scheduler='localhost' must be an address like tcp://"),
    ({"limits": {"gpus": 1}}, r"unknown \['gpus'\]"),
    ({"students": ["nobody"]}, r"no submission of .* for nobody"),
])
def test_bad_arguments_are_refused_before_any_work(course, kwargs, message):
    with pytest.raises(engine.CannotGrade, match=message):
        engine.grade(A, course=course, **kwargs)
    assert not (course / "gradebook.db").exists()


def test_unknown_assignment_names_the_known_ones(course):
    with pytest.raises(engine.CannotGrade, match=rf"assignment='ps99' is not in .* \(there: {A}\)"):
        engine.grade("ps99", course=course)


def test_no_sandbox_means_no_grading_for_credit(course, monkeypatch):
    from gradkit.course import sandbox
    monkeypatch.setattr(sandbox, "unavailable", lambda: "bwrap: not found")
    with pytest.raises(engine.CannotGrade, match=r"bwrap: not found.*--no-sandbox"):
        engine.grade(A, course=course)


def test_command_line_exits_2_with_a_message(course):
    proc = subprocess.run([sys.executable, "-m", "gradkit.course", "grade", "ps99",
                           "--course", str(course)], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "assignment='ps99' is not in" in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "gradkit.course", "grade", A,
                           "--course", str(course), "--workers", "0"],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "workers=0" in proc.stderr


def test_a_folder_with_no_single_notebook_is_a_status_not_an_error(course):
    folder = course / "submitted" / "s2" / A
    folder.mkdir(parents=True)
    (folder / "answers.py").write_text("x = 1\n")
    found = engine.find_submissions(course / "submitted", A)
    assert isinstance(found["s1"], type(course)) and "no notebook" in found["s2"]
