"""Scores into nbgrader's gradebook, and the autograded notebooks beside it.

The gradebook is nbgrader's own database (sqlite by default, any SQLAlchemy URL, e.g.
PostgreSQL), so ``nbgrader export``, ``nbgrader generate_feedback`` and formgrader work
on what :func:`record` writes. The assignment's cells are registered the way nbgrader
does it, by running ``nbgrader generate_assignment`` on a scratch copy of the course
against the same database (:func:`register_assignment`). The autograded notebook of a
student is the release (visible tests only: hidden tests never reach a feedback page)
with the student's answers, their outputs, and under each test its message.
"""
from __future__ import annotations

import contextlib
import copy
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

__all__ = ["register_assignment", "record", "autograded_notebook"]


def register_assignment(course: Path, assignment: str, db_url: str) -> dict:
    """Register ``assignment``'s cells in the gradebook at ``db_url``; return its release
    notebook (nbgrader's own ``generate_assignment``, run in a scratch copy)."""
    with tempfile.TemporaryDirectory(prefix="gk-register-") as tmp:
        tmp = Path(tmp)
        shutil.copy2(course / "nbgrader_config.py", tmp / "nbgrader_config.py")
        shutil.copytree(course / "solutions" / assignment, tmp / "solutions" / assignment,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        env = dict(os.environ)
        env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
        proc = subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment",
                               assignment, "--force", f"--CourseDirectory.db_url={db_url}"],
                              cwd=tmp, env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"nbgrader generate_assignment {assignment} failed:\n"
                               f"{(proc.stdout + proc.stderr)[-3000:]}")
        release = tmp / "exercises" / assignment / f"{assignment}.ipynb"
        return json.loads(release.read_text(encoding="utf-8"))


def _meta(cell) -> dict:
    return (cell.get("metadata") or {}).get("nbgrader") or {}


def autograded_notebook(release: dict, outcome) -> dict:
    """The release with ``outcome``'s answers and outputs, and each test's message."""
    nb = copy.deepcopy(release)
    for cell in nb["cells"]:
        meta = _meta(cell)
        gid = meta.get("grade_id")
        if cell.get("cell_type") == "code":
            cell["execution_count"] = None
            cell["outputs"] = []
        if gid is None:
            continue
        if meta.get("solution") and gid in outcome.answers:
            cell["source"] = outcome.answers[gid]
        if cell.get("cell_type") != "code":
            continue
        if meta.get("grade") and not meta.get("solution"):
            score, points = outcome.scores.get(gid, [0.0, meta.get("points", 0)])
            text = outcome.messages.get(gid, "")
            verdict = (f"Passed: {score:g} of {points:g} points" if score == points
                       else f"Failed: {score:g} of {points:g} points")
            cell["outputs"] = [{"output_type": "stream", "name": "stdout",
                                "text": verdict + (f"\n\n{text}" if text else "") + "\n"}]
        else:
            cell["outputs"] = _safe_outputs(outcome.outputs.get(gid, []))
    return nb


def _safe_outputs(outputs) -> list:
    """The student's outputs, limited to the kinds and sizes a feedback page shows."""
    keep = []
    for o in outputs if isinstance(outputs, list) else []:
        if not isinstance(o, dict) or o.get("output_type") not in (
                "stream", "display_data", "execute_result", "error"):
            continue
        o = copy.deepcopy(o)
        if "data" in o and isinstance(o["data"], dict):
            o["data"] = {k: v for k, v in o["data"].items()
                         if k in ("text/plain", "image/png") and len(str(v)) < 400_000}
            o.setdefault("metadata", {})
        keep.append(o)
    return keep[:50]


def record(db_url: str, course: Path, assignment: str, release: dict, outcome,
           gradebook=None) -> None:
    """Write one student's outcome: gradebook rows (through ``gradebook``, an open
    nbgrader ``Gradebook``, else one opened for this), and
    ``autograded/<student>/<assignment>/<assignment>.ipynb``."""
    from nbgrader.api import Gradebook

    notebook = assignment
    with warnings.catch_warnings(), \
            (contextlib.nullcontext(gradebook) if gradebook else Gradebook(db_url)) as gb:
        # nbgrader's add_submission trips SQLAlchemy's autoflush warning about objects it
        # has not added yet (nbgrader's own autograde does the same); harmless
        warnings.filterwarnings("ignore", message=r".*not in session, add operation along")
        gb.update_or_create_student(outcome.student)
        gb.update_or_create_submission(assignment, outcome.student,
                                       timestamp=datetime.datetime.now(datetime.timezone.utc))
        sub = gb.find_submission_notebook(notebook, assignment, outcome.student)
        for grade in sub.grades:
            if grade.name in outcome.scores:
                grade.auto_score = float(outcome.scores[grade.name][0])
                grade.needs_manual_grade = False
            elif grade.name in outcome.manual:
                grade.auto_score = None
                grade.needs_manual_grade = outcome.status != "not gradable"
                if outcome.status == "not gradable":
                    grade.auto_score = 0.0
            else:
                grade.auto_score = 0.0
                grade.needs_manual_grade = False
        sub.flagged = bool(outcome.flags) or outcome.status not in ("graded",)
        gb.db.commit()
    folder = course / "autograded" / outcome.student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{notebook}.ipynb").write_text(
        json.dumps(autograded_notebook(release, outcome), indent=1), encoding="utf-8")
