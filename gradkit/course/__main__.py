"""``python -m gradkit.course grade ASSIGNMENT ...``: the course's grading command;
``python -m gradkit.course report ASSIGNMENT ...``: the class report of a graded one.

Exit 0 when every submission got a status (graded, timeout, kernel died, not gradable);
2 when the grader itself cannot run (bad arguments, no such assignment, no sandbox).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import engine

USAGE_EXAMPLE = "python -m gradkit.course grade ps02_vanishing_exploding_gradients"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m gradkit.course",
                                description="The course's instructor commands.")
    sub = p.add_subparsers(dest="command", required=True)
    g = sub.add_parser("grade", help="grade every submission of an assignment",
                       description="Grade submitted/<student>/<assignment>/ in sandboxes, in "
                                   "parallel; write the gradebook, autograded/ and grades.csv.")
    g.add_argument("assignment")
    g.add_argument("--course", type=Path, default=Path.cwd(),
                   help="the course folder (holds nbgrader_config.py and solutions/)")
    g.add_argument("--submitted", type=Path, default=None,
                   help="where the submissions are (default COURSE/submitted)")
    g.add_argument("--student", action="append", default=None, metavar="ID",
                   help="grade only this student (repeatable)")
    g.add_argument("--workers", type=int, default=None,
                   help="worker processes (default: one per core)")
    g.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="an existing Dask scheduler, e.g. tcp://host:8786")
    g.add_argument("--db", default=None, metavar="URL",
                   help="the gradebook (SQLAlchemy URL; default sqlite COURSE/gradebook.db)")
    g.add_argument("--timeout", type=float, default=1800.0, metavar="SECONDS",
                   help="wall-clock limit per submission (default 1800)")
    g.add_argument("--cell-timeout", type=float, default=None, metavar="SECONDS",
                   help="limit per cell (default: c.Execute.timeout of nbgrader_config.py)")
    g.add_argument("--no-sandbox", action="store_true",
                   help="grade without bubblewrap (not for credit: the table says so)")
    g.add_argument("--csv", type=Path, default=None, help="default COURSE/grades.csv")
    r = sub.add_parser("report", help="the class report of a graded assignment",
                       description="Item analysis (difficulty, discrimination, choices), "
                                   "similar submissions and grades for an LMS, from the "
                                   "gradebook: OUT/index.html (reads offline) and CSV files.")
    r.add_argument("assignment")
    r.add_argument("--course", type=Path, default=Path.cwd(),
                   help="the course folder (holds nbgrader_config.py and solutions/)")
    r.add_argument("--db", default=None, metavar="URL",
                   help="the gradebook (SQLAlchemy URL; default sqlite COURSE/gradebook.db)")
    r.add_argument("--out", type=Path, default=None, metavar="DIR",
                   help="where to write (default COURSE/reports/ASSIGNMENT)")
    r.add_argument("--roster", type=Path, default=None, metavar="FILE",
                   help="CSV mapping nbgrader_id to Student, ID, SIS User ID, SIS Login ID, "
                        "Section (default: the nbgrader id fills the ID columns)")
    r.add_argument("--threshold", type=float, default=None, metavar="X",
                   help="list pairs whose similarity score reaches X (0 < X <= 1; "
                        "default 0.5)")
    r.add_argument("--column", default=None, metavar="TITLE",
                   help="the assignment's column title in the Canvas CSV (default the "
                        "assignment; 'Title (id)' fills an existing Canvas assignment)")
    d = sub.add_parser("demo", help="grade sample submissions in a scratch course",
                       description="Copy the course's ASSIGNMENT (default ps02) to a scratch "
                                   "folder, submit three samples (the reference, the blank "
                                   "release, half the answers) and grade them.")
    d.add_argument("assignment", nargs="?", default="ps02_vanishing_exploding_gradients")
    d.add_argument("--course", type=Path, default=Path.cwd())
    d.add_argument("--workers", type=int, default=None)
    d.add_argument("--no-sandbox", action="store_true")
    return p


def demo(args) -> int:
    import shutil
    import tempfile

    import nbformat

    from .grading import samples
    course = args.course.resolve()
    try:
        subs = samples(args.assignment, course)
    except (ValueError, FileNotFoundError) as e:
        return _fail(str(e))
    with tempfile.TemporaryDirectory(prefix="gk-demo-") as tmp:
        scratch = Path(tmp)
        shutil.copy2(course / "nbgrader_config.py", scratch / "nbgrader_config.py")
        shutil.copytree(course / "solutions" / args.assignment,
                        scratch / "solutions" / args.assignment)
        for student, nb in subs.items():
            folder = scratch / "submitted" / student / args.assignment
            folder.mkdir(parents=True)
            nbformat.write(nb, folder / f"{args.assignment}.ipynb")
        args = argparse.Namespace(assignment=args.assignment, course=scratch, submitted=None,
                                  student=None, workers=args.workers, scheduler=None, db=None,
                                  timeout=1800.0, cell_timeout=None, no_sandbox=args.no_sandbox,
                                  csv=None)
        return grade(args)


def _fail(message: str) -> int:
    print(f"gradkit.course: {message}", file=sys.stderr)
    return 2


def grade(args) -> int:
    try:
        result = engine.grade(
            args.assignment, course=args.course, submitted=args.submitted,
            students=args.student, workers=args.workers, scheduler=args.scheduler,
            db=args.db, timeout=args.timeout, cell_timeout=args.cell_timeout,
            sandbox=not args.no_sandbox, csv_path=args.csv, progress=sys.stderr,
            announce=print)
    except engine.CannotGrade as e:
        return _fail(str(e))
    print(result.table())
    for o in result.outcomes:
        if o.status != "graded" or o.flags:
            print(f"  {o.student}: {o.status}{': ' + o.detail if o.detail else ''}")
            for f in o.flags:
                print(f"    flag: {f}")
    print(f"{len(result.outcomes)} submissions in {result.seconds:.0f} s; wrote "
          f"{result.csv_path}, the gradebook and {result.course / 'autograded'}")
    return 0


def report(args) -> int:
    from .report import CannotReport, report as make_report
    from .report_similarity import Settings
    threshold = Settings.threshold if args.threshold is None else args.threshold
    try:
        r, files = make_report(args.assignment, course=args.course, db=args.db,
                               out=args.out, roster=args.roster, threshold=threshold,
                               column=args.column, progress=sys.stderr)
    except CannotReport as e:
        return _fail(str(e))
    flagged = r.items[r.items["flags"] != ""]
    print(f"{args.assignment}: {len(r.data.scores)} graded submissions, "
          f"{len(r.items)} graded cells, {len(flagged)} flagged, "
          f"{len(r.listed)} similar pair(s) listed")
    for name, it in flagged.iterrows():
        print(f"  {name}: p={it['difficulty']:.2f} r={it['discrimination']:.2f} "
              f"({it['flags']})")
    for p in r.listed:
        print(f"  similar: {p.a} / {p.b}: score {p.score:.2f}")
    print(f"wrote {files['index.html']} and {', '.join(n for n in files if n != 'index.html')}")
    return 0


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "grade":
        return grade(args)
    if args.command == "report":
        return report(args)
    if args.command == "demo":
        return demo(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
