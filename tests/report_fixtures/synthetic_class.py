"""A synthetic class of ps02 for the class report: honest students and two near-copies.

Each honest student has an ability ``theta ~ N(0, 1)`` (a seeded draw). An answer cell is
right with probability ``sigmoid(1.7 (theta - b))`` for the cell's difficulty ``b`` (the
item response model of Birnbaum, 1968); a wrong code answer is one of the cell's known
mutants (``tests/mutants/``), now and then the blank stub; a wrong review answer is a
distractor. Three review questions are built to be flagged: q1 nearly everyone gets
(``easy``), q4 few get (``hard``, most of the rest pick the distractor C) and q5 is
answered right mostly by the *weaker* students, as a miskeyed question would be
(``negative`` discrimination).

Two students (``orig_a``, ``orig_b``) write their code exercises their own way (the
honest variants of ``tests/equivalents/``, first variant of each cell for one, second for
the other); ``copy_a`` and ``copy_b`` hand in the same answers with local variables
renamed, comments added and blank lines moved (:func:`disguise`).

    python -m tests.report_fixtures.synthetic_class DIR   # build and grade it in DIR

then ``make report A=ps02_vanishing_exploding_gradients ARGS="--course DIR"``.
"""
from __future__ import annotations

import ast
import builtins
import io
import math
import random
import sys
import tokenize

from gradkit.course import grading
from tests.course import ROOT, mutant_answer, mutants, release_nb, source_nb, variants

ASSIGNMENT = "ps02_vanishing_exploding_gradients"
STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
COPIES = {"copy_a": "orig_a", "copy_b": "orig_b"}

# difficulty b of each answer cell (higher = harder); q5 is drawn the other way round
DIFFICULTY = {"ex1_sigmoid": -1.0, "ex2_grad_norms": -0.3, "ex3_decay_rate": 0.6,
              "ex4_sigmoid_slopes": 0.2, "ex5_diagnose": 0.0, "q1_sigmoid_bound": -3.0,
              "q2_bound_value": 0.0, "q3_relu": 0.4, "q4_large_init": 2.2,
              "q5_slowest_layers": 0.0}
WRONG = {"q1_sigmoid_bound": ['answer_q1 = "A"'],
         "q2_bound_value": ["answer_q2 = 0.25 ** 10", "answer_q2 = 0.25"],
         "q3_relu": ['answer_q3 = {"A"}', 'answer_q3 = {"A", "C", "D"}', 'answer_q3 = {"C"}'],
         "q4_large_init": ['answer_q4 = "C"', 'answer_q4 = "C"', 'answer_q4 = "A"'],
         "q5_slowest_layers": ['answer_q5 = "A"', 'answer_q5 = "B"']}


def disguise(code: str, tag: str) -> str:
    """The same answer made to look different: names a function binds (not its
    parameters, which callers may pass by keyword) renamed, a comment above every
    function, a blank line after every return. What it computes does not change."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code
    outside = {n.id for stmt in tree.body if not isinstance(stmt, ast.FunctionDef)
               for n in ast.walk(stmt) if isinstance(n, ast.Name)}
    outside |= {s.name for s in tree.body if isinstance(s, (ast.FunctionDef, ast.ClassDef))}
    params, bound, declared = set(), set(), set()
    for fn in (n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.Lambda))):
        a = fn.args
        params |= {x.arg for x in a.posonlyargs + a.args + a.kwonlyargs}
        params |= {x.arg for x in (a.vararg, a.kwarg) if x}
        for sub in ast.walk(fn):
            if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
                bound.add(sub.id)
            if isinstance(sub, (ast.Global, ast.Nonlocal)):
                declared |= set(sub.names)
    rename = {n: f"{n}_{tag}" for n in bound - params - outside - declared - set(dir(builtins))}
    lines = code.splitlines(keepends=True)
    names = [t for t in tokenize.generate_tokens(io.StringIO(code).readline)
             if t.type == tokenize.NAME and t.string in rename]
    for t in reversed(names):                     # right to left: positions stay valid
        row, col = t.start
        line = lines[row - 1]
        lines[row - 1] = line[:col] + rename[t.string] + line[col + len(t.string):]
    out = []
    for line in "".join(lines).splitlines():
        if line.startswith("def "):
            out.append("# worked this out with the lesson's notes")
        out.append(line.rstrip())
        if line.strip().startswith("return"):
            out.append("")
    return "\n".join(out) + "\n"


def _right(rng: random.Random, theta: float, b: float) -> bool:
    return rng.random() < 1 / (1 + math.exp(-1.7 * (theta - b)))


def answer_sets(n_honest: int = 26, seed: int = 23) -> dict[str, dict[str, str]]:
    """``{student: {answer cell: source}}``: ``n_honest`` honest students, then the two
    originals and their two near-copies."""
    rng = random.Random(seed)
    ref = grading.reference_answers(source_nb(ASSIGNMENT))
    wrong_code: dict[str, list[str]] = {}
    for m in mutants(ASSIGNMENT).values():
        wrong_code.setdefault(m["cell"], []).append(mutant_answer(ref, m))
    out = {}
    for k in range(n_honest):
        theta = rng.gauss(0.0, 1.0)
        answers = {}
        for cell, b in DIFFICULTY.items():
            right = (_right(rng, -theta, b) if cell == "q5_slowest_layers"
                     else _right(rng, theta, b))
            if right:
                answers[cell] = ref[cell]
            elif cell in wrong_code:
                answers[cell] = STUB if rng.random() < 0.1 else rng.choice(wrong_code[cell])
            else:
                answers[cell] = rng.choice(WRONG[cell])
        out[f"student_{k:02d}"] = answers
    own: dict[str, list[str]] = {}
    for v in variants(ASSIGNMENT).values():
        own.setdefault(v["cell"], []).append(mutant_answer(ref, v))
    for which, name in enumerate(("orig_a", "orig_b")):
        out[name] = {**ref, **{cell: texts[which % len(texts)] for cell, texts in own.items()}}
    out["orig_b"]["q4_large_init"] = 'answer_q4 = "C"'     # the originals differ a little
    for copy, original in COPIES.items():
        out[copy] = {cell: disguise(text, copy[-1]) for cell, text in out[original].items()}
    return out


def submissions(n_honest: int = 26, seed: int = 23) -> dict:
    """The synthetic class as notebooks (the release with each student's answers)."""
    release = release_nb(ASSIGNMENT)
    return {s: grading.make_submission(release, a)
            for s, a in answer_sets(n_honest, seed).items()}


def grade_class(workdir, n_honest: int = 26, seed: int = 23, workers: int = 2):
    """Grade the synthetic class with the course's engine in ``workdir`` (kept: its
    gradebook.db, autograded/ and submitted/ are what the report reads)."""
    return grading.grade_submissions(ASSIGNMENT, submissions(n_honest, seed), ROOT,
                                     workers=workers, workdir=workdir)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: python -m tests.report_fixtures.synthetic_class DIR", file=sys.stderr)
        sys.exit(2)
    report = grade_class(sys.argv[1])
    print(report.table())
    print(f"({report.seconds:.0f} s) now: make report A={ASSIGNMENT} ARGS='--course "
          f"{sys.argv[1]}'")
