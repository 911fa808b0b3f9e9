"""The real nbgrader pipeline grades every problem set fairly.

For each assignment, one ``nbgrader autograde`` run grades: the reference solution (full
marks), the blank release (zero on every graded cell) and every known-wrong mutant from
``tests/mutants/`` (zero on exactly the cells it names, full marks everywhere else).
"""
from __future__ import annotations

import pytest

from gradkit import grading
from tests.course import ASSIGNMENTS, ROOT, mutant_answer, mutants, release_nb, source_nb

_reports: dict[str, grading.GradeReport] = {}


def _report(assignment: str) -> grading.GradeReport:
    if assignment not in _reports:
        src, rel = source_nb(assignment), release_nb(assignment)
        ref = grading.reference_answers(src)
        subs = {"reference": grading.make_submission(rel, ref),
                "blank": grading.make_submission(rel, {})}
        for name, m in mutants(assignment).items():
            subs[f"mutant_{name}"] = grading.make_submission(
                rel, {**ref, m["cell"]: mutant_answer(ref, m)})
        _reports[assignment] = grading.run_pipeline(assignment, subs, ROOT)
        print(f"\n{assignment} ({_reports[assignment].seconds:.0f} s)\n"
              + _reports[assignment].table())
    return _reports[assignment]


def _params():
    return [pytest.param(a, marks=pytest.mark.xdist_group(a)) for a in ASSIGNMENTS]


@pytest.mark.parametrize("assignment", _params())
def test_reference_gets_full_marks(assignment):
    row = _report(assignment).scores["reference"]
    short = {cell: f"{s:g}/{m:g}" for cell, (s, m) in row.items() if s != m}
    assert not short, f"the reference solution lost points: {short}"


@pytest.mark.parametrize("assignment", _params())
def test_blank_release_gets_zero(assignment):
    row = _report(assignment).scores["blank"]
    scored = {cell: s for cell, (s, _) in row.items() if s != 0}
    assert not scored, f"the blank release earned points: {scored}"


@pytest.mark.parametrize("assignment", _params())
def test_each_mutant_loses_exactly_its_exercise(assignment):
    report = _report(assignment)
    found = mutants(assignment)
    assert found, f"tests/mutants/{assignment}.py defines no MUTANTS"
    wrong = []
    for name, m in found.items():
        row = report.scores[f"mutant_{name}"]
        unknown = set(m["loses"]) - set(row)
        assert not unknown, f"mutant {name} names unknown graded cells {unknown}"
        for cell, (score, max_score) in row.items():
            expected = 0.0 if cell in m["loses"] else max_score
            if score != expected:
                wrong.append(f"{name}: {cell} scored {score:g}, expected {expected:g}")
    assert not wrong, "mutants not graded as intended:\n" + "\n".join(wrong)


@pytest.mark.parametrize("assignment", _params())
def test_two_mutants_per_code_exercise(assignment):
    found = mutants(assignment)
    src = source_nb(assignment)
    # code exercises are the solution cells named ex*; review-question answers are q*
    code_cells = [gid for gid in grading.solution_cell_ids(src) if gid.startswith("ex")]
    assert code_cells, "no code exercise cells (grade_id ex...) in the source"
    counts = {cell: sum(1 for m in found.values() if m["cell"] == cell) for cell in code_cells}
    few = {cell: n for cell, n in counts.items() if n < 2}
    assert not few, f"code exercises with fewer than two mutants: {few}"
