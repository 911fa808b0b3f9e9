"""gradkit.course.site: the lessons as HTML pages that render their equations offline."""
import html
import re

import nbformat
import pytest

from gradkit.course import site
from tests.course import LESSONS


def _first_formula(path) -> str:
    """The first inline $...$ formula of the notebook's markdown, HTML-escaped."""
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type == "markdown":
            found = re.search(r"\$[^$\n]+\$", cell.source)
            if found:
                return html.escape(found.group(0), quote=False)
    raise AssertionError(f"{path.name} has no inline formula")


def test_pages_use_the_bundled_mathjax_and_index_lists_lessons_in_order(tmp_path, capsys):
    lessons = LESSONS[:2]
    index = site.build_site(tmp_path / "site", lessons, execute=False)
    out = tmp_path / "site"
    for path in lessons:
        page = (out / f"{path.stem}.html").read_text(encoding="utf-8")
        scripts = re.findall(r'<script[^>]*src="([^"]*MathJax[^"]*)"', page)
        assert scripts == [f"mathjax/MathJax.js?config={site.MATHJAX_CONFIG}"]
        assert "cdnjs.cloudflare.com/ajax/libs/mathjax" not in page
        assert _first_formula(path) in page     # the lesson's TeX, left for MathJax
        assert re.findall(r'<script[^>]*src="(https?:[^"]*)"', page) == []   # nothing fetched
        assert 'webFont: "STIX-Web"' in page    # the one web font the package ships
    # the script and every config the URL names are in the copied folder
    assert (out / "mathjax" / "MathJax.js").is_file()
    assert (out / "mathjax" / "fonts" / "HTML-CSS" / "STIX-Web").is_dir()
    for config in site.MATHJAX_CONFIG.split(","):
        assert (out / "mathjax" / "config" / f"{config}.js").is_file()
    links = re.findall(r'<a href="([^"]+)">', index.read_text(encoding="utf-8"))
    assert links == [f"{p.stem}.html" for p in lessons]
    assert "[1/2]" in capsys.readouterr().out     # progress, one line per lesson


def test_bad_lesson_lists_are_refused_before_any_work(tmp_path):
    with pytest.raises(ValueError, match=r"lessons=\[\] is empty"):
        site.build_site(tmp_path / "site", [])
    with pytest.raises(FileNotFoundError, match="not notebook files"):
        site.build_site(tmp_path / "site", [tmp_path / "nope.ipynb"])
    assert not (tmp_path / "site").exists()


def test_saved_widget_state_does_not_make_the_page_fetch_a_renderer(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# A lesson\n$x$")])
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json":
                              {"state": {}, "version_major": 2, "version_minor": 0}}
    path = tmp_path / "01_widgets.ipynb"
    nbformat.write(nb, path)
    site.build_site(tmp_path / "site", [path], execute=False)
    page = (tmp_path / "site" / "01_widgets.html").read_text(encoding="utf-8")
    assert "html-manager" not in page and "require.js" not in page
    assert re.findall(r'<script[^>]*src="(https?:[^"]*)"', page) == []
