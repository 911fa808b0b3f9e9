"""Known-wrong submissions, one module per assignment (``MUTANTS`` dict in each)."""
