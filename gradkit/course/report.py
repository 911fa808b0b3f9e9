"""The class report of a graded assignment: which items worked, which submissions look
alike, and the grades in the layout an LMS imports.

``python -m gradkit.course report ASSIGNMENT`` reads nbgrader's gradebook (the scores the
grading command wrote) and the students' answers (``autograded/<student>/<assignment>/``,
else ``submitted/``), and writes ``COURSE/reports/ASSIGNMENT/``:

- ``index.html``: the page (figures embedded, no network), :mod:`.report_page`;
- ``items.csv``: item analysis (:mod:`.report_stats`); ``choices.csv``: the choices picked
  in each multiple-choice review question; ``similarity.csv``: every pair of students that
  shares code of its own (:mod:`.report_similarity`);
- ``grades_canvas.csv``: Canvas's gradebook import layout (``Student, ID, SIS User ID, SIS
  Login ID, Section``, then the assignment's column, with a ``Points Possible`` row);
  ``grades.csv``: student id, total, max and the points of every item.

Students are matched to the LMS through ``--roster FILE``, a CSV with a column
``nbgrader_id`` and any of ``Student, ID, SIS User ID, SIS Login ID, Section``; without
it (or for a student it does not list) the nbgrader id fills the ID columns.
"""
from __future__ import annotations

import ast
import csv
import io
import json
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .report_similarity import Settings

__all__ = ["CannotReport", "ClassData", "LMS_COLUMNS", "Report", "load_class", "build",
           "write", "report"]

LMS_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
NO_ANSWER = "(no answer)"
NOT_LITERAL = "(not a plain value)"


class CannotReport(ValueError):
    """The report cannot be made from these arguments (said before any work)."""


@dataclass
class ClassData:
    """What the report reads: scores from the gradebook, answers from the notebooks."""

    assignment: str
    scores: pd.DataFrame                  # student x graded item: points
    maxima: pd.Series                     # item -> points
    answer_cell: dict[str, str]           # graded item -> the answer cell it grades
    answers: dict[str, dict[str, str]]    # student -> {answer cell: source}
    reference: dict[str, str]             # answer cell -> the reference solution
    awaiting: list[str] = field(default_factory=list)    # items not all graded yet
    flagged: list[str] = field(default_factory=list)     # submissions flagged in grading
    notes: list[str] = field(default_factory=list)


def _fail(name: str, value, allowed: str):
    raise CannotReport(f"{name}={value!r}: {allowed}")


def _db_url(course: Path, assignment: str, db: str | None) -> str:
    from .engine import CannotGrade, _database_url
    if db is None:
        path = course / "gradebook.db"
        if not path.is_file():
            _fail("db", None, f"no gradebook at {path}: grade the assignment first "
                              f"(python -m gradkit.course grade {assignment}) or pass --db URL")
        return f"sqlite:///{path}"
    try:
        url = _database_url(db)
    except CannotGrade as e:
        raise CannotReport(str(e)) from None
    if url.startswith("sqlite:///") and not Path(url[len("sqlite:///"):]).is_file():
        _fail("db", db, f"no gradebook file at {url[len('sqlite:///'):]}")
    return url


def _meta(cell) -> dict:
    return (cell.get("metadata") or {}).get("nbgrader") or {}


def _source_layout(source: dict) -> tuple[list[str], dict[str, str]]:
    """The graded cells in notebook order, and the answer cell each one grades (the
    nearest answer cell above it; a graded answer cell grades itself)."""
    order, answer_of, last = [], {}, None
    for cell in source["cells"]:
        meta = _meta(cell)
        if meta.get("solution"):
            last = meta["grade_id"]
        if meta.get("grade"):
            order.append(meta["grade_id"])
            answer_of[meta["grade_id"]] = meta["grade_id"] if meta.get("solution") else last
    return order, answer_of


def _read_scores(url: str, assignment: str, order: list[str]):
    """(scores, maxima, awaiting, flagged) of every submission the gradebook holds."""
    import warnings

    from nbgrader.api import Gradebook, MissingEntry
    rows, maxima, awaiting, flagged = {}, {}, set(), []
    try:
        with warnings.catch_warnings(), Gradebook(url) as gb:
            warnings.simplefilter("ignore")
            try:
                gb.find_assignment(assignment)
            except MissingEntry:
                known = ", ".join(a.name for a in gb.assignments) or "none"
                _fail("assignment", assignment, f"is not in the gradebook {url} "
                                                f"(there: {known})")
            for sub in gb.assignment_submissions(assignment):
                row = {}
                for nb in sub.notebooks:
                    for g in nb.grades:
                        if not g.max_score:
                            continue
                        maxima[g.name] = float(g.max_score)
                        if g.score is None:
                            awaiting.add(g.name)
                        row[g.name] = g.score
                    if nb.flagged:
                        flagged.append(sub.student.id)
                if row and any(v is not None for v in row.values()):
                    rows[sub.student.id] = row
    except CannotReport:
        raise
    except Exception as e:   # noqa: BLE001 - a database that cannot be read: say which
        _fail("db", url, f"cannot read the gradebook ({type(e).__name__}: {e})")
    if not rows:
        _fail("assignment", assignment, f"has no graded submissions in {url}: grade it "
                                        f"first (python -m gradkit.course grade {assignment})")
    items = [i for i in order if i in maxima] + sorted(set(maxima) - set(order))
    scores = pd.DataFrame.from_dict(rows, orient="index").reindex(columns=items)
    scores = scores.sort_index().astype(float)
    return scores, pd.Series(maxima)[items], sorted(awaiting), sorted(flagged)


def _notebook_answers(path: Path) -> dict[str, str]:
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
        cells = nb["cells"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    out = {}
    for cell in cells if isinstance(cells, list) else []:
        meta = _meta(cell) if isinstance(cell, dict) else {}
        if meta.get("solution") and isinstance(meta.get("grade_id"), str):
            src = cell.get("source", "")
            out[meta["grade_id"]] = "".join(src) if isinstance(src, list) else str(src)
    return out


def _read_answers(course: Path, assignment: str, students) -> tuple[dict, list[str]]:
    """``{student: {answer cell: source}}`` from autograded/ (as graded), else submitted/."""
    answers, notes, missing = {}, [], []
    for student in students:
        found = {}
        for top in ("autograded", "submitted"):
            folder = course / top / student / assignment
            notebooks = sorted(folder.glob("*.ipynb")) if folder.is_dir() else []
            if len(notebooks) == 1:
                found = _notebook_answers(notebooks[0])
                break
        if not found:
            missing.append(student)
        answers[student] = found
    if missing:
        notes.append(f"No notebook found for {len(missing)} graded student(s) "
                     f"({', '.join(missing[:10])}{' ...' if len(missing) > 10 else ''}): "
                     "their answers are missing from the choices and the similarity.")
    return answers, notes


def load_class(assignment: str, course=None, db: str | None = None) -> ClassData:
    """Read scores and answers of ``assignment``; raise :class:`CannotReport` (naming the
    argument) when there is no such assignment, no gradebook or nothing graded."""
    from .grading import reference_answers
    course = Path(course or Path.cwd()).resolve()
    if not (course / "nbgrader_config.py").is_file():
        _fail("course", str(course), "has no nbgrader_config.py (the course's top folder)")
    source_path = course / "solutions" / str(assignment) / f"{assignment}.ipynb"
    if not source_path.is_file():
        known = sorted(p.name for p in (course / "solutions").glob("*") if p.is_dir())
        _fail("assignment", assignment, f"is not in {course / 'solutions'} "
                                        f"(there: {', '.join(known) or 'none'})")
    url = _db_url(course, assignment, db)
    import nbformat
    source = nbformat.read(source_path, as_version=4)
    order, answer_of = _source_layout(source)
    scores, maxima, awaiting, flagged = _read_scores(url, assignment, order)
    answers, notes = _read_answers(course, assignment, scores.index)
    return ClassData(assignment, scores, maxima,
                     {i: answer_of.get(i) for i in maxima.index}, answers,
                     reference_answers(source), awaiting, flagged, notes)


# ------------------------------------------------------------------ multiple choice

def _assigned_value(code: str, name: str):
    """The literal assigned to ``name`` in ``code`` (``ast.literal_eval``, never run),
    :data:`NO_ANSWER` if it is not assigned, :data:`NOT_LITERAL` if not a plain value."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return NOT_LITERAL
    value = NO_ANSWER
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == name for t in node.targets):
            try:
                value = ast.literal_eval(node.value)
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                value = NOT_LITERAL
    return value


def _letter(v) -> bool:
    return isinstance(v, str) and len(v.strip()) == 1 and v.strip().isalpha()


def _choice(value) -> str | None:
    """A multiple-choice answer as text ("B", "A, C"), or None if it is not one."""
    if _letter(value):
        return value.strip().upper()
    if isinstance(value, (set, frozenset, list, tuple)) and value and all(map(_letter, value)):
        return ", ".join(sorted({v.strip().upper() for v in value}))
    return None


def choices(data: ClassData) -> tuple[pd.DataFrame, dict[str, str]]:
    """The choice each student made in each multiple-choice item (a column per graded
    item whose reference answer is a letter or a set of letters), and the keys."""
    table, keys = {}, {}
    for item, cell in data.answer_cell.items():
        ref = data.reference.get(cell or "", "")
        names = [n.targets[0].id for n in _safe_body(ref) if isinstance(n, ast.Assign)
                 and isinstance(n.targets[0], ast.Name) and n.targets[0].id.startswith("answer")]
        if not names or _choice(_assigned_value(ref, names[-1])) is None:
            continue
        keys[item] = _choice(_assigned_value(ref, names[-1]))
        picked = {}
        for student in data.scores.index:
            value = _assigned_value(data.answers.get(student, {}).get(cell, ""), names[-1])
            picked[student] = value if value in (NO_ANSWER, NOT_LITERAL) else (
                _choice(value) or f"other: {str(value)[:20]}")
        table[item] = pd.Series(picked)
    return pd.DataFrame(table, index=data.scores.index), keys


def _safe_body(code: str) -> list:
    try:
        return ast.parse(code).body
    except (SyntaxError, ValueError):
        return []


# ------------------------------------------------------------------ grades for an LMS

def read_roster(path) -> dict[str, dict[str, str]]:
    """``{nbgrader id: {LMS column: value}}`` from a CSV with a ``nbgrader_id`` column."""
    path = Path(path)
    if not path.is_file():
        _fail("roster", str(path), "is not a file (a CSV with a column nbgrader_id and any "
                                   f"of {', '.join(LMS_COLUMNS)})")
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        head = [h.strip() for h in reader.fieldnames or []]
        if "nbgrader_id" not in head:
            _fail("roster", str(path), f"has columns {head}: it needs nbgrader_id, and any "
                                       f"of {', '.join(LMS_COLUMNS)}")
        return {row["nbgrader_id"].strip(): {k.strip(): (v or "").strip()
                                             for k, v in row.items()
                                             if k and k.strip() in LMS_COLUMNS}
                for row in reader if (row.get("nbgrader_id") or "").strip()}


def lms_tables(data: ClassData, roster: dict | None, column: str):
    """(Canvas import table, plain grades table, students the roster did not list)."""
    total = data.scores.fillna(0).sum(axis=1)
    possible = float(data.maxima.sum())
    unlisted = [s for s in data.scores.index if not roster or s not in roster]
    rows = [{"Student": "Points Possible", "ID": "", "SIS User ID": "", "SIS Login ID": "",
             "Section": "", column: f"{possible:g}"}]
    for s in data.scores.index:
        lms = {"Student": s, "ID": s, "SIS User ID": s, "SIS Login ID": s, "Section": ""}
        lms.update({k: v for k, v in ((roster or {}).get(s) or {}).items() if v})
        rows.append({**lms, column: f"{total[s]:g}"})
    canvas = pd.DataFrame(rows, columns=[*LMS_COLUMNS, column])
    plain = pd.DataFrame({"student_id": data.scores.index, "total": total.values,
                          "max": possible})
    plain = pd.concat([plain, data.scores.reset_index(drop=True)], axis=1)
    return canvas, plain, unlisted


# ------------------------------------------------------------------ the whole report

@dataclass
class Report:
    """Everything the page and the CSV files show."""

    data: ClassData
    items: pd.DataFrame
    alpha: float
    choices: pd.DataFrame
    pairs: list
    listed: list
    similarity: dict
    settings: Settings
    canvas: pd.DataFrame
    grades: pd.DataFrame
    unlisted: list[str]
    roster_given: bool
    column: str


def build(data: ClassData, roster: dict | None = None, settings: Settings = Settings(),
          column: str | None = None, progress=None) -> Report:
    """Item analysis, choices, similarity and LMS tables of ``data``."""
    from .report_similarity import compare_class, listed
    from .report_stats import choice_counts, cronbach_alpha, item_analysis
    graded = [i for i in data.scores.columns if i not in data.awaiting]
    scores = data.scores[graded].fillna(0.0)      # a grade nbgrader lacks scores 0, as there
    items = item_analysis(scores, data.maxima[graded])
    items.insert(0, "answer_cell", [data.answer_cell.get(i) for i in items.index])
    picked, keys = choices(data)
    counts = choice_counts(picked, keys)
    cells = sorted({c for c in data.answer_cell.values() if c})
    answers = {s: {c: a.get(c, "") for c in cells} for s, a in data.answers.items() if a}
    boiler = {c: [data.reference[c]] for c in cells if c in data.reference}
    pairs, summary = compare_class(answers, boiler, settings, progress)
    canvas, grades, unlisted = lms_tables(data, roster, column or data.assignment)
    return Report(data, items, cronbach_alpha(scores), counts, pairs,
                  listed(pairs, settings), summary, settings, canvas, grades, unlisted,
                  roster is not None, column or data.assignment)


def _pairs_table(r: Report) -> pd.DataFrame:
    return pd.DataFrame([{"student_a": p.a, "student_b": p.b, "score": round(p.score, 4),
                          "score_a": round(p.score_a, 4), "score_b": round(p.score_b, 4),
                          "shared_chars": p.shared, "listed": p in r.listed}
                         for p in r.pairs],
                        columns=["student_a", "student_b", "score", "score_a", "score_b",
                                 "shared_chars", "listed"])


def write(r: Report, out: Path) -> dict[str, Path]:
    """Write the page and the CSV files into ``out``; return {name: path}."""
    from .report_page import render
    files = {"index.html": render(r).encode("utf-8")}
    for name, table, index in (("items.csv", r.items, "item"),
                               ("choices.csv", r.choices, None),
                               ("similarity.csv", _pairs_table(r), None),
                               ("grades_canvas.csv", r.canvas, None),
                               ("grades.csv", r.grades, None)):
        buf = io.StringIO()
        table.to_csv(buf, index=index is not None, index_label=index, float_format="%.6g")
        files[name] = buf.getvalue().encode("utf-8")
    written = {}
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name, blob in files.items():   # everything made first: nothing half-written
            tmp = out / f".{name}.tmp"
            tmp.write_bytes(blob)
            tmp.replace(out / name)
            written[name] = out / name
    except OSError as e:
        _fail("out", str(out), f"cannot be written ({e.strerror or e})")
    return written


def _progress(done: int, total: int, stream=sys.stderr) -> None:
    width = 30
    filled = int(width * done / max(total, 1))
    line = f"similarity: [{'#' * filled}{'.' * (width - filled)}] {done}/{total} pairs"
    if stream.isatty():
        stream.write("\r" + line + ("\n" if done == total else ""))
    else:
        stream.write(line + "\n")
    stream.flush()


def report(assignment: str, *, course=None, db: str | None = None, out=None,
           roster=None, threshold: float = Settings.threshold, column: str | None = None,
           progress=None) -> tuple[Report, dict[str, Path]]:
    """Make the class report of ``assignment`` (see the module docstring).

    Args:
        assignment: a graded assignment (a folder of COURSE/solutions/).
        course: the course folder (default cwd); db: the gradebook, any SQLAlchemy URL
            (default sqlite COURSE/gradebook.db); out: where to write (default
            COURSE/reports/ASSIGNMENT/); roster: a CSV mapping nbgrader ids to LMS fields.
        threshold: the similarity score from which a pair is listed (0 < threshold <= 1).
        column: the title of the assignment's column in the Canvas CSV (default the
            assignment's name; "Name (1234)" matches an existing Canvas assignment).
        progress: a stream for the progress bar of the similarity.

    Raises:
        CannotReport: bad arguments, no gradebook, no such assignment, nothing graded.
    """
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) \
            or math.isnan(threshold) or not 0 < threshold <= 1:
        _fail("threshold", threshold, "must be a number in (0, 1]")
    if column is not None and (not str(column).strip() or "\n" in str(column)):
        _fail("column", column, "must be a non-empty title on one line")
    course = Path(course or Path.cwd()).resolve()
    rows = read_roster(roster) if roster is not None else None
    out = Path(out) if out is not None else course / "reports" / str(assignment)
    if out.exists() and not out.is_dir():
        _fail("out", str(out), "is a file: give a folder")
    data = load_class(assignment, course, db)
    settings = Settings(threshold=float(threshold))
    r = build(data, rows, settings, column,
              (lambda d, t: _progress(d, t, progress)) if progress is not None else None)
    return r, write(r, out)
