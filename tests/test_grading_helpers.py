"""gradkit.course.grading's pure helpers (the pipeline itself is tested in test_grading_pipeline)."""
import os

import nbformat
import pytest

from gradkit.course import grading
from gradkit.course._kernels import socket_kernel_settings


def _cell(source, gid, solution=False, grade=False):
    c = nbformat.v4.new_code_cell(source)
    c.metadata["nbgrader"] = {"grade": grade, "solution": solution, "locked": not solution,
                              "grade_id": gid, "schema_version": 3}
    return c


def _source():
    nb = nbformat.v4.new_notebook()
    nb.cells = [_cell("import torch", "setup"),
                _cell("def f(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION",
                      "ex1_f", solution=True),
                _cell("check(f(1) == 2, 'f')", "ex1_f_tests", grade=True),
                _cell("### BEGIN SOLUTION\nanswer_q1 = 'B'\n### END SOLUTION", "q1_answer",
                      solution=True)]
    return nb


def test_reference_answers_strip_markers():
    assert grading.reference_answers(_source()) == {
        "ex1_f": "def f(x):\n    return 2 * x", "q1_answer": "answer_q1 = 'B'"}
    assert grading.solution_cell_ids(_source()) == ["ex1_f", "q1_answer"]


def test_make_submission_fills_only_named_cells():
    release = _source()
    sub = grading.make_submission(release, {"q1_answer": "answer_q1 = 'C'"})
    assert sub.cells[3].source == "answer_q1 = 'C'"
    assert sub.cells[1].source == release.cells[1].source
    assert release.cells[3].source.startswith("### BEGIN")   # the input is not modified
    with pytest.raises(KeyError, match="release: ex9; solution cells are ex1_f, q1_answer"):
        grading.make_submission(release, {"ex9": "x = 1"})


def test_grade_report_table_and_totals():
    r = grading.GradeReport("ps00", {"ref": {"ex1": (2.0, 2.0), "q1": (1.0, 1.0)},
                                     "blank": {"ex1": (0.0, 2.0), "q1": (0.0, 1.0)}})
    assert r.total("ref") == 3 and r.total("blank") == 0 and r.max_total() == 3
    lines = r.table().splitlines()
    assert lines[0].split() == ["submission", "ex1", "q1", "total"]
    assert lines[2].split() == ["ref", "2", "1", "3"]


def test_course_root_and_assignment_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no nbgrader_config.py"):
        grading.assignments(tmp_path)
    (tmp_path / "nbgrader_config.py").write_text("")
    (tmp_path / "solutions").mkdir()
    assert grading.assignments(tmp_path) == []
    with pytest.raises(ValueError, match="assignment='ps99' is not one of"):
        grading.run_pipeline("ps99", {}, tmp_path)


def test_error_excerpt_keeps_the_failing_students_traceback():
    # nbgrader logs the cause, goes on grading the other students, and only then exits 1:
    # the traceback sits in the middle of a long log
    noise = "[AutogradeApp | INFO] Autograding someone else\n" * 400
    log = ("[AutogradeApp | INFO] Converting notebook a.ipynb\n"
           "[AutogradeApp | ERROR] There was an error processing assignment: submitted/x\n"
           "[AutogradeApp | ERROR] Traceback (most recent call last):\n"
           "      File \"client.py\", line 211, in wait_for_ready\n"
           "    RuntimeError: Kernel didn't respond in 60 seconds\n"
           + noise + "[AutogradeApp | ERROR] Please see the above traceback\n")
    excerpt = grading._error_excerpt(log)
    assert "RuntimeError: Kernel didn't respond in 60 seconds" in excerpt
    assert "Autograding someone else" not in excerpt
    assert excerpt.count("| ERROR]") == 3
    # a log without ERROR lines: its tail, cut to the limit
    plain = "line\n" * 5000
    assert grading._error_excerpt(plain, limit=100).endswith("line\nline\n")
    assert len(grading._error_excerpt(plain, limit=100)) <= 104


def test_kernels_use_unix_sockets_on_posix(tmp_path):
    settings = socket_kernel_settings(tmp_path / "sub" / "..", "k3")
    if os.name == "posix":     # absolute, resolved: the kernel and its client share it
        assert settings == {"transport": "ipc", "ip": str(tmp_path.resolve() / "k3")}
    else:
        assert settings == {}
