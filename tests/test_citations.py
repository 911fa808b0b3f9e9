"""Every author-year citation in a lesson's text is in that lesson's references list, and
every entry of the list is cited in the text.

A citation in the text is the house form of the authors followed by the year: one author
``Polyak (1964)`` or ``Polyak 1964``; two ``Kingma & Ba (2015)`` or ``Glorot and Bengio 2010``;
three or more ``He et al. (2015)`` or ``He et al. 2015`` (``He et al.'s 2015 ...`` too). The references list is the
lesson's last markdown cell, headed ``## References``, one entry per line in the form

    - Surname, I., Other, J., & Last, K. (YEAR). Title. *Venue*. arXiv:NNNN.NNNNN

and an entry is cited when its first author's surname and its year appear together in the
text."""
from __future__ import annotations

import re

import nbformat
import pytest

from tests.course import LESSONS

SURNAME = r"(?:(?:van|de|der|von|Le) )*[A-Z][A-Za-z\u00c0-\u017f-]+"
CITATION = re.compile(
    rf"(?P<first>{SURNAME})"
    rf"(?: et al\.?| (?:&|and) (?:{SURNAME})| ?,? (?:{SURNAME}),? (?:&|and) (?:{SURNAME}))?"
    r"(?:'s)?,? \(?(?P<year>(?:1[89]|20)\d\d)[a-z]?\b")
# Capitalised words that precede a year without being an author.
NOT_AUTHORS = {
    "In", "By", "Since", "From", "Until", "Before", "After", "Around", "Of", "The", "ICML",
    "ICLR", "NeurIPS", "NIPS", "CVPR", "ICCV", "ACL", "EMNLP", "AAAI", "AISTATS", "JMLR",
    "Proceedings", "Lecture", "Section", "Table", "Figure", "Fig", "Eq", "Chapter",
    "Adam", "AdamW", "RMSprop", "GPT", "BERT", "Python", "PyTorch", "CS231n", "Spring",
    "Winter", "Summer", "Autumn", "Fall",
}
ENTRY = re.compile(r"^- (?P<first>[^,]+),.*?\((?P<year>(?:1[89]|20)\d\d)[a-z]?\)", re.M)


def _surname(name: str) -> str:
    return name.split()[-1]


def _cells(lesson) -> tuple[str, str]:
    """The lesson's text outside its references list, and the list."""
    nb = nbformat.read(lesson, as_version=4)
    markdown = [cell.source for cell in nb.cells if cell.cell_type == "markdown"]
    assert markdown and markdown[-1].lstrip().startswith("## References"), (
        f"{lesson.name}: the last markdown cell must be the references list "
        f"('## References' then one '- Surname, I. (YEAR). Title. *Venue*.' per line)")
    text = "\n".join(markdown[:-1] + [cell.source for cell in nb.cells
                                      if cell.cell_type == "code"])
    return text, markdown[-1]


def citations(text: str) -> set[tuple[str, str]]:
    """(first author's surname, year) of every author-year citation in ``text``."""
    found = set()
    for match in CITATION.finditer(text.replace("\n", " ")):
        first = _surname(match["first"])
        if first not in NOT_AUTHORS:
            found.add((first, match["year"]))
    return found


def references(listing: str) -> set[tuple[str, str]]:
    """(first author's surname, year) of every entry of a references list."""
    return {(_surname(m["first"].strip()), m["year"]) for m in ENTRY.finditer(listing)}


def test_the_parsers_on_the_house_style():
    text = ("as He et al. (2015) and He et al. 2016 showed; Kingma & Ba (2015), Polyak (1964),\n"
            "Glorot and Bengio 2010, Bengio, Simard, and Frasconi (1994), van Laarhoven 2017,\n"
            "Vaswani et al.'s 2017 table. In 2015, Adam (2015) and Table 3 2017 are not.")
    assert citations(text) == {("He", "2015"), ("He", "2016"), ("Kingma", "2015"),
                               ("Polyak", "1964"), ("Glorot", "2010"), ("Bengio", "1994"),
                               ("Laarhoven", "2017"), ("Vaswani", "2017")}
    listing = ("## References\n\n"
               "- He, K., Zhang, X., Ren, S., & Sun, J. (2015). Delving deep. *ICCV*.\n"
               "- van Laarhoven, T. (2017). L2 regularization versus batch and weight "
               "normalization. arXiv:1706.05350\n")
    assert references(listing) == {("He", "2015"), ("Laarhoven", "2017")}


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_every_citation_is_in_the_references_and_every_reference_is_cited(lesson):
    text, listing = _cells(lesson)
    cited, listed = citations(text), references(listing)
    assert listed, f"{lesson.name}: the references list has no entry in the house form"
    entries = [line for line in listing.splitlines() if line.startswith("- ")]
    assert len(entries) == len(listed), (
        f"{lesson.name}: {len(entries) - len(listed)} references entries are not in the form "
        f"'- Surname, I. (YEAR). ...' or repeat an author-year")
    assert not cited - listed, f"{lesson.name}: cited but not listed: {sorted(cited - listed)}"
    assert not listed - cited, f"{lesson.name}: listed but not cited: {sorted(listed - cited)}"
