"""Every problem set is graded fairly, by the course's engine and by plain nbgrader.

For each assignment, one run of the engine (``gradkit.course``: sandboxed kernels, tests
in a trusted runner) grades: the reference solution (full marks), the blank release
(zero on every graded cell), every known-wrong mutant from ``tests/mutants/`` (zero on
exactly the cells it names, full marks everywhere else), the honest variants of
``tests/equivalents/`` (full marks), and the reference again at every other CPU vector
level the machine has (``tests/levels.py``), with PyTorch's default thread count (full
marks); none of these is flagged. On one assignment plain ``nbgrader autograde`` and the
engine give the same grades to the same submissions.
"""
from __future__ import annotations

import pytest

from gradkit.course import grading
from tests.course import (ASSIGNMENTS, EACH_MUTANT, ROOT, mutant_answer, mutant_groups,
                          mutants, release_nb, rounds, source_nb, variant_submissions,
                          variants, with_answers)
from tests.levels import other_levels, own_level

_reports: dict[str, grading.GradeReport] = {}


def _report(assignment: str) -> grading.GradeReport:
    if assignment not in _reports:
        src, rel = source_nb(assignment), release_nb(assignment)
        ref = grading.reference_answers(src)
        subs = {"reference": grading.make_submission(rel, ref),
                "blank": grading.make_submission(rel, {})}
        for student, names in mutant_groups(assignment).items():
            subs[student] = grading.make_submission(
                rel, with_answers(ref, mutants(assignment), names))
        for k, answers in enumerate(variant_submissions(assignment, ref)):
            subs[f"variant_{k}"] = grading.make_submission(rel, answers)
        # as an instructor grades on their own machine: PyTorch's default thread count,
        # the CPU's vector level forced to each other one it has
        at_level = {f"reference_at_{level}": {"ATEN_CPU_CAPABILITY": level,
                                              "OMP_NUM_THREADS": None}
                    for level in other_levels()}
        for student in at_level:
            subs[student] = subs["reference"]
        _reports[assignment] = grading.grade_submissions(assignment, subs, ROOT,
                                                         student_env=at_level)
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
def test_every_submission_graded_and_none_flagged(assignment):
    # honest work, right or wrong, gets a plain status and no flags (no checksum noise)
    report = _report(assignment)
    odd = {s: (report.status[s], report.flags[s]) for s in report.scores
           if report.status[s] != "graded" or report.flags[s]}
    assert not odd, f"honest submissions with another status or flags: {odd}"


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
    # graded in rounds (tests/course.py: mutant_groups) unless GRADKIT_MUTANTS=each
    report = _report(assignment)
    found = mutants(assignment)
    assert found, f"tests/mutants/{assignment}.py defines no MUTANTS"
    wrong = []
    for student, names in mutant_groups(assignment).items():
        row = report.scores[student]
        loses = set()
        for name in names:
            unknown = set(found[name]["loses"]) - set(row)
            assert not unknown, f"mutant {name} names unknown graded cells {unknown}"
            loses |= set(found[name]["loses"])
        for cell, (score, max_score) in row.items():
            expected = 0.0 if cell in loses else max_score
            if score != expected:
                wrong.append(f"{student} ({', '.join(names)}): {cell} scored {score:g}, "
                             f"expected {expected:g}")
    hint = "" if EACH_MUTANT else ("\n(mutants graded in rounds: GRADKIT_MUTANTS=each grades "
                                   "each alone and names the one at fault)")
    assert not wrong, "mutants not graded as intended:\n" + "\n".join(wrong) + hint


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_rounds_hold_every_mutant_and_variant_once(assignment):
    for found in (mutants(assignment), variants(assignment)):
        groups = rounds(found)
        held = [name for names in groups for name in names]
        assert sorted(held) == sorted(found), "an entry is missing from the rounds or held twice"
        for names in groups:
            cells = [found[n]["cell"] for n in names]
            assert len(cells) == len(set(cells)), f"a round changes a cell twice: {names}"


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


@pytest.mark.parametrize("assignment", _params())
def test_reference_gets_full_marks_at_every_level(assignment):
    report = _report(assignment)
    short = {}
    for level in other_levels():
        row = report.scores[f"reference_at_{level}"]
        lost = {cell: f"{s:g}/{m:g}" for cell, (s, m) in row.items() if s != m}
        if lost:
            short[level] = lost
    assert not short, (f"with ATEN_CPU_CAPABILITY forced (this machine runs {own_level()}) "
                       f"the reference solution lost points: {short}")


PARITY = "ps02_vanishing_exploding_gradients"


@pytest.mark.xdist_group(f"{PARITY}@nbgrader")
def test_engine_and_nbgrader_agree():
    # the same submissions, graded by plain nbgrader autograde: the same points
    src, rel = source_nb(PARITY), release_nb(PARITY)
    ref = grading.reference_answers(src)
    subs = grading.samples(PARITY, ROOT)
    for name in list(mutants(PARITY))[:2]:
        subs[f"mutant_{name}"] = grading.make_submission(
            rel, {**ref, mutants(PARITY)[name]["cell"]: mutant_answer(ref, mutants(PARITY)[name])})
    by_nbgrader = grading.run_pipeline(PARITY, subs, ROOT).scores
    by_engine = grading.grade_submissions(PARITY, subs, ROOT).scores
    assert by_engine == by_nbgrader
