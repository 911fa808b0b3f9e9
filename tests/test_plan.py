"""Where each cell runs: an instructor cell that is the same for every student runs once
(in the trusted runner), and its values reach the sandbox only where student code reads
them; everything else runs as the student ran it."""
from __future__ import annotations

import json

import nbformat
import pytest

from gradkit.course.plan import build_plan, global_reads
from gradkit.course.sandbox import unavailable


def test_global_reads_follow_the_order_the_code_runs_in():
    code = ("for name, run in runs.items():\n    print(name, run)\n"
            "x = y + 1\nx += z\nw += 1\n"
            "if a:\n    b = 1\nprint(b)\n"
            "def f(p, q=d0):\n    m = p + glob\n    return m\n"
            "[i * k for i in seq]\nimport numpy as np\nnp.zeros(3)\n"
            "with open(fn) as fh:\n    fh.read()\nl[0] = 5\n")
    assert global_reads(code) == {"runs", "print", "y", "z", "w", "a", "b", "d0", "glob",
                                  "k", "seq", "open", "fn", "l"}


@pytest.mark.parametrize("code", ["globals()['runs']", "eval('runs')", "getattr(m, 'x')",
                                  "import sys\nsys.modules['__main__'].runs", "x = (",
                                  "get_ipython().user_ns['runs']"])
def test_reads_by_a_computed_name_cannot_be_listed(code):
    assert global_reads(code) is None


def _cell(kind: str, gid: str, source: str, points: int = 1):
    cell = nbformat.v4.new_code_cell(source)
    meta = {"grade_id": gid, "locked": kind != "answer", "schema_version": 3,
            "grade": kind == "test", "solution": kind == "answer"}
    if kind == "test":
        meta["points"] = points
    cell.metadata["nbgrader"] = meta
    return cell


SETUP = "import math\n"
RUNS = "runs = [math.sqrt(4.0), 3.0]\nprint('the recorded runs')\n"


def _notebooks(answer: str, runs: str = RUNS, test: str = "assert total(runs) == 5.0\n"):
    source = nbformat.v4.new_notebook(cells=[
        _cell("instructor", "setup", SETUP),
        _cell("instructor", "runs", runs),
        _cell("answer", "ex1", "### BEGIN SOLUTION\ndef total(xs):\n    return sum(xs)\n"
                               "### END SOLUTION\n"),
        _cell("test", "ex1_tests", test)])
    submission = nbformat.from_dict(json.loads(nbformat.writes(source)))
    submission.cells[2].source = answer
    return source, submission


def _kernel_roles(answer: str, **kw) -> tuple[str, frozenset]:
    source, submission = _notebooks(answer, **kw)
    plan = build_plan(json.loads(nbformat.writes(source)), nbformat.writes(submission))
    runs = next(c for c in plan.cells if c.grade_id == "runs")
    return runs.kernel, runs.sends


def test_a_cell_no_student_code_reads_skips_the_sandbox():
    assert _kernel_roles("def total(xs):\n    return sum(xs)\n") == ("skip", frozenset())


def test_values_student_code_reads_are_sent_once_computed():
    answer = "def total(xs):\n    return sum(xs)\nshown = total(runs)\n"
    assert _kernel_roles(answer) == ("send", frozenset({"runs"}))
    answer = "def total(xs):\n    return sum(xs) + len(runs) * 0\n"    # read at call time
    assert _kernel_roles(answer) == ("send", frozenset({"runs"}))


def test_an_earlier_answer_that_reads_the_cell_at_call_time_counts():
    source, submission = _notebooks("def total(xs):\n    return sum(xs)\n")
    helper = _cell("answer", "ex0", "def first_run():\n    return runs[0]\n")
    source.cells.insert(1, helper)
    submission.cells.insert(1, helper)
    plan = build_plan(json.loads(nbformat.writes(source)), nbformat.writes(submission))
    runs = next(c for c in plan.cells if c.grade_id == "runs")
    assert (runs.kernel, runs.sends) == ("send", frozenset({"runs"}))


def test_a_cell_that_reads_a_students_name_runs_in_the_sandbox():
    answer = "scale = 2.0\ndef total(xs):\n    return sum(xs)\n"
    assert _kernel_roles(answer, runs="runs = [scale, 3.0]\n")[0] == "run"


def test_student_code_that_may_read_any_name_keeps_every_cell():
    answer = "def total(xs):\n    return sum(xs)\nprint(globals()['runs'])\n"
    assert _kernel_roles(answer)[0] == "run"


@pytest.fixture
def grade(tmp_path):
    from gradkit.course.trusted import grade_submission
    if unavailable():
        pytest.skip(f"no sandbox here: {unavailable()}")

    def run(answer: str, **kw) -> dict:
        source, submission = _notebooks(answer, **kw)
        nbformat.write(source, tmp_path / "source.ipynb")
        nbformat.write(submission, tmp_path / "submission.ipynb")
        return grade_submission({"student": "s", "source": str(tmp_path / "source.ipynb"),
                                 "submission": str(tmp_path / "submission.ipynb"),
                                 "timeout": 120, "cell_timeout": 60, "sandbox": True,
                                 "scratch_root": str(tmp_path)})
    return run


def test_sent_values_are_what_the_kernel_would_have_computed(grade):
    answer = ("def total(xs):\n    return sum(xs) + 0 * len(runs)\n"     # read at call time
              "print(total(runs))\n")                                      # and at the top
    result = grade(answer)
    assert result["scores"] == {"ex1_tests": [1.0, 1.0]}, result["messages"]
    assert "runs" not in result["outputs"]          # computed once, by the runner
    assert result["outputs"]["ex1"][0]["text"] == "5.0\n"


def test_a_value_that_cannot_be_sent_is_computed_in_the_sandbox(grade):
    runs = "def runs_of(k):\n    return [k, 3.0]\nruns = [math.sqrt(4.0), 3.0]\nprint('ran')\n"
    answer = "def total(xs):\n    return sum(runs_of(2.0))\n"
    result = grade(answer, runs=runs)
    assert result["scores"] == {"ex1_tests": [1.0, 1.0]}, result["messages"]
    assert result["outputs"]["runs"][0]["text"] == "ran\n"
