"""Shared fixtures-in-code for the course tests: where things are, and the mutants."""
from __future__ import annotations

import importlib
import os
from pathlib import Path

import nbformat

from gradkit.course import grading

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENTS = grading.assignments(ROOT)
LESSONS = sorted((ROOT / "lessons").glob("[0-9][0-9]_*.ipynb"))


def mutants(assignment: str) -> dict:
    """The ``MUTANTS`` of ``tests/mutants/<assignment>.py`` (empty if there is no file)."""
    if not (ROOT / "tests" / "mutants" / f"{assignment}.py").is_file():
        return {}
    return importlib.import_module(f"tests.mutants.{assignment}").MUTANTS


def variants(assignment: str) -> dict:
    """The ``VARIANTS`` of ``tests/equivalents/<assignment>.py``: correct answers written in
    a different but equivalent way (order of operations, library calls), in the mutants'
    format without ``loses``. Empty if there is no file."""
    if not (ROOT / "tests" / "equivalents" / f"{assignment}.py").is_file():
        return {}
    return importlib.import_module(f"tests.equivalents.{assignment}").VARIANTS


def rounds(entries: dict) -> list[list[str]]:
    """Names of ``entries`` (mutants or variants, each naming its ``cell``) in rounds: the
    k-th round takes the k-th entry of every cell that has one, so a round never changes a
    cell twice and there are as many rounds as the most entries of any one cell."""
    by_cell: dict[str, list[str]] = {}
    for name, entry in entries.items():
        by_cell.setdefault(entry["cell"], []).append(name)
    count = max((len(names) for names in by_cell.values()), default=0)
    return [[names[k] for names in by_cell.values() if k < len(names)] for k in range(count)]


def with_answers(reference: dict[str, str], entries: dict, names: list[str]) -> dict[str, str]:
    """The reference answers with the named entries' answers in their cells."""
    return {**reference, **{entries[n]["cell"]: mutant_answer(reference, entries[n])
                            for n in names}}


def variant_submissions(assignment: str, reference: dict[str, str]) -> list[dict[str, str]]:
    """The variants as few full answer sets as possible, one per round (:func:`rounds`)."""
    found = variants(assignment)
    return [with_answers(reference, found, names) for names in rounds(found)]


# GRADKIT_MUTANTS=each grades every mutant as a submission of its own (slower; CI does it)
EACH_MUTANT = os.environ.get("GRADKIT_MUTANTS", "") == "each"


def mutant_groups(assignment: str) -> dict[str, list[str]]:
    """Which mutants each test submission holds: ``{submission: [mutant names]}``.

    By default one submission per round (:func:`rounds`), so a problem set with up to six
    mutants per cell is six submissions, not twenty. Each mutated cell's points must go
    and every other cell's stay, which proves each mutant dies and none costs an exercise
    that is not mutated in its round. What a round cannot show is a mutant's cascade into
    another cell mutated in the same round (that cell scores 0 either way), nor whether
    that cell's own mutant would die without it: ``GRADKIT_MUTANTS=each`` (as CI runs
    it) grades every mutant alone and shows both."""
    found = mutants(assignment)
    if EACH_MUTANT:
        return {f"mutant_{name}": [name] for name in found}
    return {f"mutants_round_{k}": names for k, names in enumerate(rounds(found))}


def mutant_answer(reference: dict[str, str], mutant: dict) -> str:
    """The wrong answer a mutant submits: its ``source``, or the reference answer of its
    cell with each ``(old, new)`` of ``replace`` applied (``old`` must occur exactly once)."""
    if "source" in mutant:
        return mutant["source"]
    text = reference[mutant["cell"]]
    for old, new in mutant["replace"]:
        found = text.count(old)
        if found != 1:
            raise ValueError(f"mutant edit of {mutant['cell']!r} expects {old!r} once in the "
                             f"reference answer, found it {found} times: update the mutant")
        text = text.replace(old, new)
    return text


def read(path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def source_nb(assignment: str):
    return read(ROOT / "solutions" / assignment / f"{assignment}.ipynb")


def release_nb(assignment: str):
    return read(ROOT / "exercises" / assignment / f"{assignment}.ipynb")
