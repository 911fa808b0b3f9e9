"""The class report (``python -m gradkit.course report``): statistics, similarity, LMS files.

- A 4-student, 3-item gradebook built here (nbgrader's own database): difficulty, the
  corrected item-total correlation and the shares at 0 / partial / full against hand
  computation; choices read from the answer cells without running them; the Canvas and
  plain CSV files, with and without a roster.
- Bad input: each error names the argument, the value and what is allowed, and nothing
  is written.
- A synthetic class of ps02 (``tests/report_fixtures/synthetic_class.py``: 26 honest
  students drawn from the reference and the mutants, two originals and their near-copies)
  graded by the real engine (sandboxed, 2 workers): the report agrees with the engine's
  scores, flags the items built to be flagged, finds the two near-copies and no honest
  pair, and its page opens in headless Chromium with its figures loaded and no request
  leaving the page.
"""
from __future__ import annotations

import csv
import math
import warnings
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from gradkit.course import report as rep
from gradkit.course.__main__ import main
from gradkit.course.report_similarity import Settings
from gradkit.course.report_stats import Bands, cronbach_alpha, item_analysis
from tests.course import ROOT
from tests.test_browser import browser, page  # noqa: F401  (fixtures: headless Chromium)

SMALL = "ps99_small"
#           q1 (1 pt)  ex1 (2 pts)  ex2 (4 pts)   total
SMALL_SCORES = {"s1": (1, 2, 4),      # 7
                "s2": (1, 1, 0),      # 2
                "s3": (0, 2, 4),      # 6
                "s4": (0, 0, 0)}      # 0
SMALL_ITEMS = [("q1", 1.0), ("ex1", 2.0), ("ex2", 4.0)]
SMALL_ANSWERS = {"s1": 'answer_q1 = "B"', "s2": 'answer_q1 = "b "', "s3": 'answer_q1 = "C"',
                 "s4": 'answer_q1 = __import__("os").system("touch /tmp/pwned_by_report")'}


# ------------------------------------------------------------------ the small class

def _cell(kind, source, grade_id, *, solution=False, grade=False, points=None):
    cell = (nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell)(source)
    meta = {"grade_id": grade_id, "solution": solution, "grade": grade, "locked": not solution,
            "schema_version": 3}
    if points is not None:
        meta["points"] = points
    cell.metadata["nbgrader"] = meta
    return cell


def _small_source():
    nb = nbformat.v4.new_notebook()
    for item, points in SMALL_ITEMS:
        answer = 'answer_q1 = "B"' if item == "q1" else f"def {item}():\n    return 1"
        nb.cells.append(_cell("code", f"### BEGIN SOLUTION\n{answer}\n### END SOLUTION",
                              item, solution=True))
        nb.cells.append(_cell("code", "assert True", f"{item}_tests", grade=True,
                              points=points))
    return nb


@pytest.fixture(scope="module")
def _small_template(tmp_path_factory):
    """``ps99_small`` graded in a gradebook of its own (4 students, 3 items), built once:
    a new nbgrader gradebook costs seconds (it runs `alembic`)."""
    import os
    import sys

    from nbgrader.api import Gradebook
    course = tmp_path_factory.mktemp("small") / "course"
    (course / "solutions" / SMALL).mkdir(parents=True)
    (course / "nbgrader_config.py").write_text("c = get_config()\n")
    source = _small_source()
    nbformat.write(source, course / "solutions" / SMALL / f"{SMALL}.ipynb")
    # a new gradebook asks the `alembic` command for its schema version: this venv's
    with pytest.MonkeyPatch.context() as mp, warnings.catch_warnings():
        mp.setenv("PATH", os.pathsep.join([str(Path(sys.executable).parent),
                                           os.environ.get("PATH", "")]))
        # nbgrader's add_submission trips SQLAlchemy's autoflush warning (as in
        # gradkit.course.gradebook.record): harmless
        warnings.filterwarnings("ignore", message=r".*not in session, add operation along")
        with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
            gb.add_assignment(SMALL)
            gb.add_notebook(SMALL, SMALL)
            for item, points in SMALL_ITEMS:
                gb.add_solution_cell(item, SMALL, SMALL)
                gb.add_grade_cell(f"{item}_tests", SMALL, SMALL, max_score=points,
                                  cell_type="code")
            for student, row in SMALL_SCORES.items():
                gb.add_student(student)
                gb.add_submission(SMALL, student)
                for (item, _), score in zip(SMALL_ITEMS, row):
                    g = gb.find_grade(f"{item}_tests", SMALL, SMALL, student)
                    g.auto_score = float(score)
                    g.needs_manual_grade = False
                gb.db.commit()
        # an empty gradebook beside it, for the "nothing graded" case
        with Gradebook(f"sqlite:///{course.parent / 'empty.db'}") as gb:
            gb.add_assignment(SMALL)
    for student, answer in SMALL_ANSWERS.items():
        folder = course / "autograded" / student / SMALL
        folder.mkdir(parents=True)
        nb = _small_source()
        nb.cells[0].source = answer
        nbformat.write(nb, folder / f"{SMALL}.ipynb")
    return course


@pytest.fixture
def small_course(_small_template, tmp_path):
    """A fresh copy of the small course (tests write reports into it)."""
    import shutil
    course = tmp_path / "course"
    shutil.copytree(_small_template, course)
    shutil.copy2(_small_template.parent / "empty.db", tmp_path / "empty.db")
    return course


def _pearson(x, y):
    mx, my = sum(x) / len(x), sum(y) / len(y)
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y))
    return sxy / math.sqrt(sum((a - mx) ** 2 for a in x) * sum((b - my) ** 2 for b in y))


def test_item_statistics_match_hand_computation(small_course):
    data = rep.load_class(SMALL, small_course)
    items = item_analysis(data.scores, data.maxima)
    # difficulty = mean score / points: q1 (1+1+0+0)/4/1, ex1 (2+1+2+0)/4/2, ex2 8/4/4
    assert items.loc["q1_tests", "difficulty"] == pytest.approx(0.5)
    assert items.loc["ex1_tests", "difficulty"] == pytest.approx(5 / 8)
    assert items.loc["ex2_tests", "difficulty"] == pytest.approx(0.5)
    # corrected item-total r: with the totals of the other items (worked through by hand:
    # q1: x = 1,1,0,0, rest = 6,1,6,0: sum dx dr = 0.5, sum dx^2 = 1, sum dr^2 = 30.75)
    assert items.loc["q1_tests", "discrimination"] == pytest.approx(0.5 / math.sqrt(30.75))
    assert items.loc["ex1_tests", "discrimination"] == pytest.approx(6.5 / math.sqrt(2.75 * 17))
    assert items.loc["ex2_tests", "discrimination"] == pytest.approx(6 / math.sqrt(16 * 4.75))
    # and the same by the definition, written out
    rows = list(SMALL_SCORES.values())
    for k, (item, _) in enumerate(SMALL_ITEMS):
        x = [r[k] for r in rows]
        rest = [sum(r) - r[k] for r in rows]
        assert items.loc[f"{item}_tests", "discrimination"] == pytest.approx(_pearson(x, rest))
    # shares: ex1 scores 2, 1, 2, 0 of 2
    assert items.loc["ex1_tests", ["zero", "partial", "full"]].tolist() == [0.25, 0.25, 0.5]
    # q1's r = 0.09 is below 0.1: flagged as not separating students
    assert "weak" in items.loc["q1_tests", "flags"]
    assert items.loc["ex1_tests", "flags"] == ""
    # alpha = k/(k-1) (1 - sum var_i / var T), sample variances
    var_i = [pd.Series([r[k] for r in rows]).var() for k in range(3)]
    var_t = pd.Series([sum(r) for r in rows]).var()
    assert cronbach_alpha(data.scores) == pytest.approx(1.5 * (1 - sum(var_i) / var_t))


def test_flags_outside_the_bands():
    scores = pd.DataFrame({"easy": [1, 1, 1, 1, 1, 0], "hard": [0, 0, 0, 0, 0, 1],
                           "same": [1, 1, 1, 1, 1, 1], "good": [1, 1, 1, 0, 0, 0],
                           "other": [1, 1, 0, 1, 0, 0]})
    items = item_analysis(scores, pd.Series(1.0, index=scores.columns), Bands())
    assert "easy" in items.loc["easy", "flags"]
    assert "hard" in items.loc["hard", "flags"]
    assert "no spread" in items.loc["same", "flags"]
    assert math.isnan(items.loc["same", "discrimination"])
    assert items.loc["hard", "discrimination"] < 0 and "negative" in items.loc["hard", "flags"]
    assert all(items["reading"].astype(bool) == items["flags"].astype(bool))


def test_choices_read_without_running_anything(small_course):
    data = rep.load_class(SMALL, small_course)
    picked, keys = rep.choices(data)
    assert keys == {"q1_tests": "B"}
    assert picked["q1_tests"].to_dict() == {"s1": "B", "s2": "B", "s3": "C",
                                            "s4": rep.NOT_LITERAL}
    assert not Path("/tmp/pwned_by_report").exists()


def test_report_files_and_lms_layout(small_course, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("nbgrader_id,Student,ID,SIS User ID,SIS Login ID,Section\n"
                      "s1,\"Lovelace, Ada\",101,U1,ada,Sec 1\n"
                      "s2,\"Turing, Alan\",102,U2,alan,Sec 2\n")
    r, files = rep.report(SMALL, course=small_course, roster=roster, column="PS 99 (555)")
    out = small_course / "reports" / SMALL
    assert sorted(files) == sorted(["index.html", "items.csv", "choices.csv",
                                    "similarity.csv", "grades_canvas.csv", "grades.csv"])
    assert all(p.parent == out and p.stat().st_size > 0 for p in files.values())
    with open(out / "grades_canvas.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "PS 99 (555)"]
    assert rows[1][0] == "Points Possible" and rows[1][-1] == "7"
    by_student = {row[0]: row for row in rows[2:]}
    assert by_student["Lovelace, Ada"] == ["Lovelace, Ada", "101", "U1", "ada", "Sec 1", "7"]
    assert by_student["s3"] == ["s3", "s3", "s3", "s3", "", "6"]     # not in the roster
    assert r.unlisted == ["s3", "s4"]
    plain = pd.read_csv(out / "grades.csv")
    assert plain.columns.tolist() == ["student_id", "total", "max", "q1_tests", "ex1_tests",
                                      "ex2_tests"]
    assert plain.set_index("student_id")["total"].to_dict() == {"s1": 7, "s2": 2, "s3": 6,
                                                                "s4": 0}
    items = pd.read_csv(out / "items.csv", index_col="item")
    assert items.loc["ex1_tests", "difficulty"] == pytest.approx(0.625)
    page = (out / "index.html").read_text()
    assert "Not in the roster" in page and "s3, s4" in page
    # without a roster the page says the nbgrader id fills the ID columns
    r, files = rep.report(SMALL, course=small_course, out=tmp_path / "plain")
    assert "No roster given" in files["index.html"].read_text()


@pytest.mark.parametrize("args, words", [
    (["ps00_nothing"], ["assignment='ps00_nothing'", "is not in", SMALL]),
    ([SMALL, "--threshold", "1.5"], ["threshold=1.5", "(0, 1]"]),
    ([SMALL, "--db", "gradebook.db"], ["db='gradebook.db'", "SQLAlchemy URL"]),
    ([SMALL, "--db", "sqlite:////nowhere/gradebook.db"], ["db=", "no gradebook file"]),
    ([SMALL, "--roster", "/nowhere/roster.csv"], ["roster=", "is not a file", "nbgrader_id"]),
])
def test_bad_input_is_named_before_any_work(small_course, capsys, args, words):
    assert main(["report", *args, "--course", str(small_course)]) == 2
    err = capsys.readouterr().err
    assert all(w in err for w in words), err
    assert not (small_course / "reports").exists()


def test_no_gradebook_and_nothing_graded(small_course, capsys):
    (small_course / "gradebook.db").rename(small_course / "kept.db")
    assert main(["report", SMALL, "--course", str(small_course)]) == 2
    err = capsys.readouterr().err
    assert "no gradebook at" in err and "grade" in err
    # registered, never graded
    (small_course.parent / "empty.db").rename(small_course / "gradebook.db")
    assert main(["report", SMALL, "--course", str(small_course)]) == 2
    assert "has no graded submissions" in capsys.readouterr().err
    assert not (small_course / "reports").exists()


def test_roster_without_nbgrader_id_column(small_course, tmp_path, capsys):
    roster = tmp_path / "roster.csv"
    roster.write_text("Student,ID\nAda,1\n")
    assert main(["report", SMALL, "--course", str(small_course), "--roster", str(roster)]) == 2
    assert "it needs nbgrader_id" in capsys.readouterr().err


# ------------------------------------------------------------------ the synthetic class

GROUP = pytest.mark.xdist_group("report_class")
_class: dict = {}


def _graded_class(tmp_path_factory):
    """The synthetic class graded once per worker process (the whole group runs in one
    worker: ``--dist loadgroup``), and its report."""
    if not _class:
        from tests.report_fixtures import synthetic_class as synth
        work = tmp_path_factory.mktemp("report_class")
        graded = synth.grade_class(work, workers=2)
        print(f"\nsynthetic class graded in {graded.seconds:.0f} s\n" + graded.table())
        assert main(["report", synth.ASSIGNMENT, "--course", str(work)]) == 0
        out = work / "reports" / synth.ASSIGNMENT
        _class.update(work=work, graded=graded, out=out, synth=synth,
                      report=rep.build(rep.load_class(synth.ASSIGNMENT, work)))
    return _class


@GROUP
def test_class_report_agrees_with_the_engine(tmp_path_factory):
    c = _graded_class(tmp_path_factory)
    graded, r = c["graded"], c["report"]
    odd = {s: st for s, st in graded.status.items() if st != "graded" or graded.flags[s]}
    assert not odd, f"synthetic submissions not graded cleanly: {odd}"
    for student, row in graded.scores.items():
        assert r.data.scores.loc[student].to_dict() == {k: s for k, (s, _) in row.items()}
    # difficulty straight from the engine's scores
    for item in r.items.index:
        points = next(iter(graded.scores.values()))[item][1]
        mean = sum(row[item][0] for row in graded.scores.values()) / len(graded.scores)
        assert r.items.loc[item, "difficulty"] == pytest.approx(mean / points)
    # the near-copies earn what their originals earn: the disguise changed nothing
    for copy, original in c["synth"].COPIES.items():
        assert graded.scores[copy] == graded.scores[original]
    print("\n" + r.items[["difficulty", "discrimination", "flags"]].to_string())


@GROUP
def test_class_report_flags_the_items_built_to_be_flagged(tmp_path_factory):
    items = _graded_class(tmp_path_factory)["report"].items
    assert "easy" in items.loc["q1_sigmoid_bound_tests", "flags"]
    assert "hard" in items.loc["q4_large_init_tests", "flags"]
    assert "negative" in items.loc["q5_slowest_layers_tests", "flags"]
    for item in ("ex2_grad_norms_tests", "ex4_sigmoid_slopes_tests"):
        assert items.loc[item, "discrimination"] > 0.1, items.loc[item]


@GROUP
def test_class_report_counts_the_choices(tmp_path_factory):
    c = _graded_class(tmp_path_factory)
    answers = c["synth"].answer_sets()
    counts = c["report"].choices
    q4 = counts[counts["item"] == "q4_large_init_tests"].set_index("choice")
    picked_c = sum(1 for a in answers.values() if a["q4_large_init"].strip().endswith('"C"'))
    assert q4.loc["C", "count"] == picked_c
    assert q4.loc["B", "key"] and not q4.loc["C", "key"]
    q3 = counts[counts["item"] == "q3_relu_tests"].set_index("choice")
    assert q3.loc["A, C", "key"]
    assert set(counts["item"]) == {"q1_sigmoid_bound_tests", "q3_relu_tests",
                                   "q4_large_init_tests", "q5_slowest_layers_tests"}


@GROUP
def test_class_report_finds_the_near_copies_and_no_honest_pair(tmp_path_factory):
    c = _graded_class(tmp_path_factory)
    r = c["report"]
    found = {frozenset((p.a, p.b)) for p in r.listed}
    copies = {frozenset(pair) for pair in c["synth"].COPIES.items()}
    assert found == copies, [(p.a, p.b, round(p.score, 3)) for p in r.listed]
    honest = [p for p in r.pairs if frozenset((p.a, p.b)) not in copies]
    top = max((p.score for p in honest), default=0.0)
    assert top < r.settings.threshold / 4, f"an honest pair scores {top:.2f}"
    print(f"\nnear-copies: {[(p.a, p.b, round(p.score, 3), p.shared) for p in r.listed]}; "
          f"highest honest pair {top:.3f}")
    for p in r.listed:
        assert p.score > 0.75 and len(p.cells) >= 3
    table = pd.read_csv(c["out"] / "similarity.csv")
    assert set(map(frozenset, table[table["listed"]][["student_a", "student_b"]].values)) \
        == copies


@GROUP
def test_class_report_page_reads_offline_in_chromium(tmp_path_factory, page):  # noqa: F811
    c = _graded_class(tmp_path_factory)
    page_url = (c["out"] / "index.html").resolve().as_uri()
    requests = []
    page.on("request", lambda req: requests.append(req.url))
    page.goto(page_url, wait_until="load")
    images = page.eval_on_selector_all(
        "img", "imgs => imgs.map(i => [i.id, i.complete, i.naturalWidth])")
    text = page.inner_text("body")
    shot = ROOT / "build" / "report" / "report_page.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shot), full_page=True)
    assert {i[0] for i in images} >= {"fig-scatter", "fig-hist"}
    assert all(done and width > 0 for _, done, width in images), images
    outside = [u for u in requests if u != page_url and not u.startswith("data:")]
    assert not outside, f"the page asked the network for {outside}"
    assert not page.console_errors
    assert "A high score is a reason to look, not proof" in text
    assert "No roster given" in text
    assert "q4_large_init_tests" in text and "copy_a" in text
