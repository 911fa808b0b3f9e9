"""The real nbgrader pipeline grades every problem set fairly.

For each assignment, one ``nbgrader autograde`` run grades: the reference solution (full
marks), the blank release (zero on every graded cell) and every known-wrong mutant from
``tests/mutants/`` (zero on exactly the cells it names, full marks everywhere else).
The reference is graded again at every other CPU vector level the machine has
(``tests/levels.py``): full marks at each.
"""
from __future__ import annotations

import pytest

from gradkit import grading
from tests.course import (ASSIGNMENTS, ROOT, mutant_answer, mutants, release_nb, source_nb,
                          variant_submissions, variants)
from tests.levels import other_levels, own_level

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
        for k, answers in enumerate(variant_submissions(assignment, ref)):
            subs[f"variant_{k}"] = grading.make_submission(rel, answers)
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
def test_honest_variants_get_full_marks(assignment):
    # correct answers written differently from the reference (tests/equivalents/): a
    # tolerance tighter than their rounding differences would mark right work wrong
    report = _report(assignment)
    rows = {s: row for s, row in report.scores.items() if s.startswith("variant_")}
    assert rows, f"tests/equivalents/{assignment}.py defines no VARIANTS"
    short = {s: {cell: f"{sc:g}/{m:g}" for cell, (sc, m) in row.items() if sc != m}
             for s, row in rows.items()}
    short = {s: cells for s, cells in short.items() if cells}
    assert not short, f"honest variants lost points: {short} ({sorted(variants(assignment))})"


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


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_an_honest_variant_per_code_exercise(assignment):
    src = source_nb(assignment)
    code_cells = {gid for gid in grading.solution_cell_ids(src) if gid.startswith("ex")}
    covered = {v["cell"] for v in variants(assignment).values()}
    unknown = covered - set(grading.solution_cell_ids(src))
    assert not unknown, f"variants name cells that are not solution cells: {unknown}"
    missing = sorted(code_cells - covered)
    assert not missing, f"code exercises without an honest variant in tests/equivalents/: {missing}"


def _level_params():
    return [pytest.param(a, level, marks=pytest.mark.xdist_group(f"{a}@{level}"))
            for a in ASSIGNMENTS for level in other_levels()]


@pytest.mark.parametrize("assignment,level", _level_params())
def test_reference_gets_full_marks_at_every_level(assignment, level):
    # As an instructor grades on their own machine: plain `nbgrader autograde`, PyTorch's
    # default thread count, the CPU's vector level forced to each other one it has.
    src, rel = source_nb(assignment), release_nb(assignment)
    report = grading.run_pipeline(
        assignment, {"reference": grading.make_submission(rel, grading.reference_answers(src))},
        ROOT, env={"ATEN_CPU_CAPABILITY": level, "OMP_NUM_THREADS": None})
    row = report.scores["reference"]
    short = {cell: f"{s:g}/{m:g}" for cell, (s, m) in row.items() if s != m}
    assert not short, (f"at ATEN_CPU_CAPABILITY={level} (this machine runs {own_level()}) "
                       f"the reference solution lost points: {short}")
