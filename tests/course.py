"""Shared fixtures-in-code for the course tests: where things are, and the mutants."""
from __future__ import annotations

import importlib
from pathlib import Path

import nbformat

from gradkit import grading

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENTS = grading.assignments(ROOT)
LESSONS = sorted((ROOT / "lessons").glob("[0-9][0-9]_*.ipynb"))


def mutants(assignment: str) -> dict:
    """The ``MUTANTS`` of ``tests/mutants/<assignment>.py`` (empty if there is no file)."""
    if not (ROOT / "tests" / "mutants" / f"{assignment}.py").is_file():
        return {}
    return importlib.import_module(f"tests.mutants.{assignment}").MUTANTS


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
