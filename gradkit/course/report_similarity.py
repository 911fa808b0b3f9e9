"""Which submissions share code that nobody else wrote: every pair, answer cell by cell.

Fingerprints are copydetect's (https://github.com/blingenf/copydetect): each answer cell
is tokenized by Pygments with names, strings and comments normalised away (renaming a
variable, re-spacing or re-commenting changes nothing) and cut into k-grams of ``k``
characters of that normalised code, all kept (``win_size=1``: with no winnowing the
result does not depend on Python's per-process string hashes), as in Schleimer, Wilkerson
& Aiken, "Winnowing: local algorithms for document fingerprinting" (SIGMOD 2003).

Honest students look alike where they write what the course expects, so a fingerprint
does not count as shared when it is

- in the boilerplate of its cell: the release's stub and the reference solution (a
  student whose answer is the reference shares it with the course, not with a classmate);
- common: in the answers of at least ``common`` students (a common mistake, a hint taken
  literally, an idiom; MOSS's ``-m`` does the same).

What is left is each student's own code. The score of a pair, per direction, is the share
of student A's answer code (all of it, normalised, boilerplate included) covered by own
code that B's answers hold too; a pair is listed when either direction reaches
``threshold`` and the shared own code is at least ``min_shared`` characters (two students
who made the same one-line slip share a few dozen). A high score is a reason to look at
the two notebooks, never proof of copying.
"""
from __future__ import annotations

import copy
import io
import itertools
from collections import Counter
from dataclasses import dataclass, field

__all__ = ["Settings", "SharedCell", "Pair", "compare_class", "listed"]

STUB = "# YOUR CODE HERE\nraise NotImplementedError()"


@dataclass(frozen=True)
class Settings:
    """How similarity is measured and when a pair is listed."""

    k: int = 25               # characters of normalised code per fingerprint
    threshold: float = 0.5    # list a pair when this share of one student's code is shared
    min_shared: int = 100     # ... and at least this many normalised characters
    common: int | None = None  # shared by this many students = common; None: max(3, 10 %)


@dataclass
class SharedCell:
    """One answer cell of a listed pair: both sources, the shared spans marked."""

    cell: str
    shared: int               # normalised characters of own code in common
    html_a: str               # the source, HTML-escaped, shared spans in <mark>
    html_b: str


@dataclass
class Pair:
    """Two students and how much of their own code they share."""

    a: str
    b: str
    score_a: float            # share of a's answer code found in b's (own code only)
    score_b: float
    shared: int
    cells: list[SharedCell] = field(default_factory=list)

    @property
    def score(self) -> float:
        return max(self.score_a, self.score_b)


def _fingerprint(code: str, k: int):
    from copydetect.detector import CodeFingerprint
    return CodeFingerprint("answer.py", k, 1, language="python", fp=io.StringIO(code))


def _without(fp, drop: set):
    """``fp`` with the fingerprints in ``drop`` removed (copydetect's own boilerplate
    option runs ``np.intersect1d(assume_unique=True)`` on hashes that repeat, which also
    drops code repeated within one answer)."""
    from copydetect.utils import get_token_coverage
    own = copy.copy(fp)
    own.hash_idx = {h: i for h, i in fp.hash_idx.items() if h not in drop}
    own.hashes = set(own.hash_idx)
    own.token_coverage = get_token_coverage(own.hash_idx, fp.k, len(fp.filtered_code))
    return own


def _marked(fp, slices) -> str:
    from copydetect.utils import highlight_overlap
    from markupsafe import escape
    if slices.size == 0:
        return str(escape(fp.raw_code))
    text, _ = highlight_overlap(fp.raw_code, slices.astype(int), "<mark>", "</mark>",
                                escape_html=True)
    return text


def compare_class(answers: dict[str, dict[str, str]], boilerplate: dict[str, list[str]],
                  settings: Settings = Settings(), progress=None) -> tuple[list[Pair], dict]:
    """Compare every pair of students on their answer cells.

    Args:
        answers: ``{student: {cell: source}}`` of the answer (solution) cells.
        boilerplate: ``{cell: [texts]}`` that do not count as shared (the reference
            solution; the release's stub is always added).
        settings: k, threshold, min_shared, common.
        progress: called as ``progress(done, total)`` while pairs are compared.

    Returns:
        ``(pairs, summary)``: every pair that shares any own code, highest score first,
        with the cells side by side for those at or above the threshold; and a summary
        (``pairs_compared``, ``common``, ``code`` = normalised characters per student).
    """
    import matplotlib
    matplotlib.use("Agg")                 # copydetect imports pyplot; never a window
    from copydetect.detector import compare_files
    students = sorted(answers)
    cells = sorted({c for a in answers.values() for c in a} | set(boilerplate))
    common = settings.common or max(3, -(-len(students) // 10))
    full = {s: {c: _fingerprint(answers[s].get(c, ""), settings.k) for c in cells}
            for s in students}
    own = {s: {} for s in students}
    for c in cells:
        drop = set()
        for text in [STUB, *boilerplate.get(c, [])]:
            drop |= _fingerprint(text, settings.k).hashes
        seen = Counter(h for s in students for h in full[s][c].hashes)
        drop |= {h for h, n in seen.items() if n >= common}
        for s in students:
            own[s][c] = _without(full[s][c], drop)
    code = {s: float(sum(full[s][c].token_coverage for c in cells)) for s in students}
    pairs: list[Pair] = []
    total = len(students) * (len(students) - 1) // 2
    for done, (a, b) in enumerate(itertools.combinations(students, 2), 1):
        shared_a = shared_b = 0
        marked = []
        for c in cells:
            fa, fb = own[a][c], own[b][c]
            if not fa.hashes & fb.hashes:
                continue
            overlap, _, (slices_a, slices_b) = compare_files(fa, fb)
            n_a = int(overlap)                      # in a's normalised characters
            n_b = int(compare_files(fb, fa)[0])     # in b's
            shared_a += n_a
            shared_b += n_b
            marked.append((c, min(n_a, n_b), slices_a, slices_b))
        if shared_a or shared_b:
            pair = Pair(a, b, shared_a / code[a] if code[a] else 0.0,
                        shared_b / code[b] if code[b] else 0.0, min(shared_a, shared_b))
            if listed([pair], settings):
                pair.cells = [SharedCell(c, n, _marked(full[a][c], sa), _marked(full[b][c], sb))
                              for c, n, sa, sb in marked]
            pairs.append(pair)
        if progress is not None and (done % 500 == 0 or done == total):
            progress(done, total)
    pairs.sort(key=lambda p: (-p.score, -p.shared, p.a, p.b))
    return pairs, {"pairs_compared": total, "common": common, "code": code}


def listed(pairs: list[Pair], settings: Settings) -> list[Pair]:
    """The pairs at or above the threshold, with enough shared code."""
    return [p for p in pairs if p.score >= settings.threshold
            and p.shared >= settings.min_shared]
