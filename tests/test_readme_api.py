"""The README's API section names every public name of gradkit."""
import importlib

import gradkit
from tests.course import ROOT

MODULES = ["checks", "plots", "widgets", "grading", "init"]


def test_every_public_name_is_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## gradkit, the library behind the notebooks", 1)[1].split("\n## ", 1)[0]
    names = [n for n in gradkit.__all__ if n not in MODULES + ["quiz"]]
    for mod in MODULES:
        names += importlib.import_module(f"gradkit.{mod}").__all__
    missing = [n for n in names if n not in section]
    assert not missing, f"README's gradkit section does not mention: {missing}"
