"""The lessons as a static web site that reads offline (``make site``).

Each lesson is executed (headless: every widget as its static figure) and rendered to
HTML with its figures embedded; an ``index.html`` links them in order under each
notebook's first heading. nbconvert's pages load MathJax from a CDN; here MathJax 2 comes
from the ``jupyter-server-mathjax`` package (a course dependency) and is copied next to
the pages, so the equations render with no network; the pages fetch no script from
the network at all.

Command line::

    python -m gradkit.course.site OUT_DIR LESSON.ipynb [LESSON.ipynb ...] [--no-execute]
"""
from __future__ import annotations

import html
import shutil
import sys
import time
from pathlib import Path

import nbformat

from ._kernels import socket_kernel_settings

__all__ = ["build_site", "MATHJAX_CONFIG"]

MATHJAX_CONFIG = "TeX-AMS-MML_HTMLorMML-full,Safe"   # both ship with jupyter-server-mathjax


_CONFIG_TAG = '<script type="text/x-mathjax-config">'
# jupyter-server-mathjax ships the STIX web fonts only: without this, MathJax asks for
# its TeX fonts, which are not there
_FONT_CONFIG = (_CONFIG_TAG + 'MathJax.Hub.Config({"HTML-CSS": {availableFonts: [], '
                'preferredFont: null, webFont: "STIX-Web", imageFont: null}});</script>\n')


def _mathjax_dir() -> Path:
    try:
        import jupyter_server_mathjax
    except ImportError:
        raise RuntimeError("jupyter-server-mathjax is not installed: it is part of the "
                           "course extra (`make install`, or pip install -e .[course])") from None
    return Path(jupyter_server_mathjax.__file__).parent / "static"


def _title(nb, fallback: str) -> str:
    """The text of the notebook's first markdown heading."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return fallback


def _execute(nb, folder: Path, timeout: int) -> None:
    """Run ``nb`` in ``folder`` with a fresh kernel, on Unix sockets where there are any."""
    import tempfile

    from nbconvert.preprocessors import ExecutePreprocessor
    from traitlets.config import Config

    with tempfile.TemporaryDirectory(prefix="gk-site-") as scratch:
        config = Config({"KernelManager": socket_kernel_settings(scratch)})
        ExecutePreprocessor(timeout=timeout, kernel_name="python3", config=config).preprocess(
            nb, {"metadata": {"path": str(folder)}})


def _static(nb):
    """``nb`` without the saved state of live widgets: a static page cannot run them, and
    with that state nbconvert adds a script fetching a widget renderer from a CDN."""
    nb.metadata.pop("widgets", None)
    return nb


def _index(titles: dict[str, str]) -> str:
    items = "\n".join(f'<li><a href="{html.escape(stem)}.html">{html.escape(title)}</a></li>'
                      for stem, title in titles.items())
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Gradient stability: lessons</title>
<style>body{{font-family:sans-serif;max-width:42em;margin:3em auto;line-height:1.5}}</style>
</head><body><h1>Gradient stability in deep learning</h1>
<p>The lessons, executed. The sliders are static here: run them in JupyterLab
(<code>make lab</code>) to move them.</p>
<ol>
{items}
</ol></body></html>
"""


def build_site(out_dir, lessons, *, execute: bool = True, timeout: int = 600) -> Path:
    """Render ``lessons`` to ``out_dir`` (emptied first); return the index page's path.

    Args:
        out_dir: the site folder.
        lessons: notebook paths, in the order the index lists them.
        execute: run each notebook first (in its own folder, a fresh kernel each).
        timeout: seconds allowed per cell when executing.
    """
    from nbconvert import HTMLExporter

    paths = [Path(p) for p in lessons]
    if not paths:
        raise ValueError("lessons=[] is empty: give at least one .ipynb path")
    missing = [str(p) for p in paths if p.suffix != ".ipynb" or not p.is_file()]
    if missing:
        raise FileNotFoundError(f"lessons {missing} are not notebook files (.ipynb)")
    mathjax = _mathjax_dir()
    out = Path(out_dir)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    shutil.copytree(mathjax, out / "mathjax")
    exporter = HTMLExporter(mathjax_url=f"mathjax/MathJax.js?config={MATHJAX_CONFIG}")
    titles = {}
    for k, path in enumerate(paths, 1):
        t0 = time.perf_counter()
        print(f"[{k}/{len(paths)}] {path.name}: {'executing' if execute else 'rendering'}",
              end="", flush=True)
        nb = nbformat.read(path, as_version=4)
        if execute:
            _execute(nb, path.parent.resolve(), timeout)
        body, _ = exporter.from_notebook_node(_static(nb))
        # nbconvert's template always loads require.js from a CDN; nothing on these
        # pages uses it (no live widgets, no JavaScript outputs)
        body = body.replace(f'<script src="{exporter.require_js_url}"></script>', "")
        body = body.replace(_CONFIG_TAG, _FONT_CONFIG + _CONFIG_TAG, 1)
        (out / f"{path.stem}.html").write_text(body, encoding="utf-8")
        titles[path.stem] = _title(nb, path.stem)
        print(f", {time.perf_counter() - t0:.1f} s", flush=True)
    index = out / "index.html"
    index.write_text(_index(titles), encoding="utf-8")
    print(f"wrote {index} linking {len(paths)} lessons (MathJax bundled: reads offline)")
    return index


def _main(argv: list[str]) -> int:
    execute = "--no-execute" not in argv
    args = [a for a in argv if a != "--no-execute"]
    if len(args) < 2 or any(a.startswith("--") for a in args):
        print(__doc__.split("Command line::")[1].strip(), file=sys.stderr)
        return 2
    build_site(args[0], args[1:], execute=execute)
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
