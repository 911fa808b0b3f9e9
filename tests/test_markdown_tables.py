"""Every markdown table in the course renders as a table.

A row with a different number of cells than its header (often an unescaped ``|`` inside
``$...$``, such as ``$|z|$``) makes the renderer print the whole table as one paragraph of
pipes. Checked with the renderer of ``make site`` (nbconvert's mistune); JupyterLab splits
such a row at the same pipes.
"""
import re

import pytest
from nbconvert.filters.markdown_mistune import markdown2html_mistune

from tests.course import LESSONS, ROOT, read

NOTEBOOKS = [*LESSONS, *sorted((ROOT / "solutions").glob("*/*.ipynb"))]
DELIMITER_ROW = re.compile(r"^ *\|? *:?-{3,}:? *(\| *:?-{3,}:? *)*\|? *$", re.MULTILINE)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_markdown_table_renders_as_a_table(path):
    broken = []
    for k, cell in enumerate(read(path).cells):
        if cell.cell_type != "markdown":
            continue
        tables = len(DELIMITER_ROW.findall(cell.source))
        rendered = markdown2html_mistune(cell.source).count("<table>")
        if rendered != tables:
            broken.append(f"cell {k}: {tables} tables, {rendered} rendered")
    assert not broken, f"{path.name}: {'; '.join(broken)} (check each row's cell count)"


def test_the_check_sees_a_broken_table():
    text = "| a | b |\n|---|---|\n| $|z|$ | 1 |\n"
    assert len(DELIMITER_ROW.findall(text)) == 1
    assert markdown2html_mistune(text).count("<table>") == 0
