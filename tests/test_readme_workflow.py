"""The README's grading workflow, run as written, grades the sample submissions."""
from __future__ import annotations

import csv
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.course import ROOT


def _workflow() -> str:
    text = (ROOT / "README.md").read_text()
    m = re.search(r"<!-- grading-workflow:start -->\s*```bash\n(.*?)```\s*"
                  r"<!-- grading-workflow:end -->", text, re.S)
    assert m, "README.md has no grading-workflow block"
    return m.group(1)


@pytest.mark.xdist_group("readme")
def test_readme_grading_workflow(tmp_path):
    script = _workflow()
    assignment = re.search(r"gradkit\.course grade (\S+)", script).group(1)
    for name in ("nbgrader_config.py",):
        shutil.copy2(ROOT / name, tmp_path / name)
    for folder in ("solutions", "exercises"):
        shutil.copytree(ROOT / folder / assignment, tmp_path / folder / assignment)
    venv = Path(sys.prefix)
    (tmp_path / ".venv").symlink_to(venv, target_is_directory=True)
    proc = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, f"the README workflow failed:\n{proc.stdout}\n{proc.stderr[-5000:]}"
    with open(tmp_path / "grades.csv", newline="") as f:
        rows = {r["student"]: r for r in csv.DictReader(f)}
    assert set(rows) == {"sample_reference", "sample_blank", "sample_partial"}
    assert {r["status"] for r in rows.values()} == {"graded"}
    with open(tmp_path / "export.csv", newline="") as f:
        exported = {r["student_id"]: r for r in csv.DictReader(f)}
    full = float(exported["sample_reference"]["max_score"])
    for student, row in rows.items():      # the command's table and nbgrader's agree
        assert float(row["total"]) == float(exported[student]["score"]), student
    assert full > 0 and float(rows["sample_reference"]["total"]) == full
    assert float(rows["sample_blank"]["total"]) == 0
    assert 0 < float(rows["sample_partial"]["total"]) < full
    feedback = list((tmp_path / "feedback").rglob("*.html"))
    assert len(feedback) == 3, f"expected 3 feedback pages, found {feedback}"
