"""exercises/ is exactly what `nbgrader generate_assignment` makes of solutions/."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from gradkit.course import grading
from tests.course import ASSIGNMENTS, ROOT


def _files(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): p.read_text() for p in sorted(folder.rglob("*"))
            if p.is_file() and ".ipynb_checkpoints" not in p.parts}


def _normalised(text: str) -> list:
    nb = json.loads(text)
    return [(c["cell_type"], c.get("id"), "".join(c["source"]),
             json.dumps(c.get("metadata", {}), sort_keys=True)) for c in nb["cells"]]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_matches_generated(assignment, tmp_path):
    committed = ROOT / "exercises" / assignment
    assert committed.is_dir(), (f"exercises/{assignment} is missing: run "
                                f"`.venv/bin/python -m gradkit.course.grading release {assignment}`")
    fresh = _files(grading.generate_release(assignment, tmp_path, ROOT))
    have = _files(committed)
    assert sorted(have) == sorted(fresh), "the release has different files than generated"
    for name, text in fresh.items():
        if name.endswith(".ipynb"):
            stale = _normalised(have[name]) != _normalised(text)
        else:
            stale = have[name] != text
        assert not stale, (f"exercises/{assignment}/{name} differs from what generate_assignment "
                           f"makes of solutions/: run `.venv/bin/python -m gradkit.course.grading "
                           f"release {assignment}` and commit the result")


def test_every_solution_has_a_release():
    released = sorted(p.name for p in (ROOT / "exercises").iterdir() if p.is_dir())
    assert released == ASSIGNMENTS, f"exercises/ has {released}, solutions/ has {ASSIGNMENTS}"
