"""The lessons' claims: every lesson has a claims file, a claim breaks when its words leave
the prose or its measurement stops agreeing, and the claims run after a lesson's last cell."""
import json
import subprocess
import sys

import pytest

from tests.course import LESSONS, ROOT

CLAIMS = ROOT / "tests" / "lesson_claims"


def _claim_module() -> dict:
    namespace = {}
    exec(compile((CLAIMS / "_claim.py").read_text(encoding="utf-8"), "_claim.py", "exec"),
         namespace)
    return namespace


def _run_claims():
    return _claim_module()["_run_claims"]


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_every_lesson_has_a_claims_file(lesson):
    assert (CLAIMS / f"{lesson.stem}.py").is_file()


@pytest.fixture
def course(tmp_path):
    nb = {"cells": [{"cell_type": "markdown", "source": ["The loss fell\n", "about tenfold."]},
                    {"cell_type": "code", "source": ["quiz('it fell in 3 steps')"]}]}
    (tmp_path / "lesson.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    (tmp_path / "README.md").write_text("| 01 | loss x0.1 |", encoding="utf-8")
    return tmp_path


def _check(course, claims: str, **variables):
    (course / "claims.py").write_text(claims, encoding="utf-8")
    _run_claims()(str(course / "lesson.ipynb"), str(course / "README.md"),
                  str(course / "claims.py"), variables)


def test_claims_that_hold_pass_and_are_counted(course, capsys):
    _check(course, 'claim("The loss fell about tenfold.", 8 <= ratio <= 12)\n'
                   'claim("it fell in 3 steps", steps == 3)\n'
                   'claim("loss x0.1", round(1 / ratio, 1) == 0.1, where="README")\n',
           ratio=10.3, steps=3)
    assert capsys.readouterr().out.strip() == "3 claims hold"


def test_every_broken_claim_is_listed_with_its_line_and_measurement(course):
    with pytest.raises(AssertionError) as failure:
        _check(course, 'claim("The loss fell about tenfold.", 8 <= ratio <= 12, got=ratio)\n'
                       'claim("about a hundredfold", True)\n'
                       'claim("it fell in 3 steps", steps == 3, got=steps)\n',
               ratio=31.0, steps=3)
    message = str(failure.value)
    assert "2 of 3 claims" in message
    assert "line 1: the lesson says 'The loss fell about tenfold.', but the lesson measured 31.0" \
        in message
    assert "line 2: the lesson no longer says 'about a hundredfold'" in message
    assert "line 3" not in message


def test_a_claims_file_without_claims_fails_and_where_is_checked(course):
    with pytest.raises(AssertionError, match="checks no claim"):
        _check(course, "x = 1\n")
    with pytest.raises(ValueError, match="where='slides' is not one of lesson, README"):
        _check(course, 'claim("loss", True, where="slides")\n')


def test_decades_off_fit_is_zero_on_a_geometric_sequence_and_finds_an_outlier():
    decades_off_fit = _claim_module()["decades_off_fit"]
    assert decades_off_fit([3.0 * 0.5 ** k for k in range(6)]).abs().max() < 1e-12
    off = decades_off_fit([1.0, 1.0, 10.0, 1.0, 1.0])     # flat fit through 10^(1/5)
    assert off.tolist() == pytest.approx([-0.2, -0.2, 0.8, -0.2, -0.2])


def _collected(*args):
    out = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-n", "0",
                          *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return [line for line in out.splitlines() if "::" in line]


def test_the_claims_item_follows_a_whole_lessons_last_cell_only():
    lesson = "lessons/05_gradient_clipping.ipynb"
    items = _collected(lesson)
    assert items[-1] == f"{lesson}::claims"
    assert items[:-1] == [f"{lesson}::Cell {i}" for i in range(len(items) - 1)]
    assert _collected(f"{lesson}::Cell 3") == [f"{lesson}::Cell 3"]   # a part: no claims
