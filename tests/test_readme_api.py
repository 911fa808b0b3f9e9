"""The README's API section names every public name of every public gradkit module."""
import importlib
import re
import pkgutil

import gradkit
from tests.course import ROOT


def test_every_public_name_is_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## gradkit, the library behind the notebooks", 1)[1].split("\n## ", 1)[0]
    modules = [m.name for m in pkgutil.iter_modules(gradkit.__path__) if not m.name.startswith("_")]
    names = set(gradkit.__all__) - set(modules)
    for mod in modules:
        names |= set(importlib.import_module(f"gradkit.{mod}").__all__)
    missing = sorted(n for n in names if not re.search(rf"(?<![\w]){re.escape(n)}(?![\w])", section))
    assert not missing, f"README's gradkit section does not mention: {missing}"
