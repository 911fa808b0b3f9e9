"""Notebooks here are inputs of tests/test_browser.py (deliberately broken ones among
them), not lessons: nbval must not collect them."""
collect_ignore_glob = ["*.ipynb"]
