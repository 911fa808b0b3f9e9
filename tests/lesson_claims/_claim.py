"""Run in a lesson's kernel after its last cell (see tests/nbval_strict.py): defines
``claim``, executes the lesson's claims file, then fails with every claim that broke.

A claim ties a sentence of the prose to what the lesson just measured::

    claim("about a hundred times larger", 50 <= growth <= 200, got=growth)

Claims files also get ``decades_off_fit(values)``, for prose that says "a straight line on
the log scale".

It breaks when the quoted words are no longer in the lesson (whitespace and line breaks
do not matter; the self-check questions in code cells count as prose), so prose and check
change together, or when the measurement no longer agrees with them. ``where="README"`` quotes the course table of README.md instead.
"""
import json as _json
import pathlib as _pathlib
import sys as _sys


def decades_off_fit(values):
    """Each value's distance from the geometric fit through all of them, in decades
    (log10 of value / fitted value): 0 everywhere for an exact geometric sequence."""
    import gradkit
    import torch
    v = torch.as_tensor(values, dtype=torch.float64).reshape(-1)
    return torch.log10(v / gradkit.geometric_fit(v)(torch.arange(v.numel())))


def _run_claims(notebook: str, readme: str, claims_file: str, namespace: dict) -> None:
    def words(text):
        return " ".join(text.split())

    nb = _json.loads(_pathlib.Path(notebook).read_text(encoding="utf-8"))
    texts = {"lesson": words(" ".join("".join(c["source"]) for c in nb["cells"])),
             "README": words(_pathlib.Path(readme).read_text(encoding="utf-8"))}
    broken, count = [], [0]

    def claim(quote, holds, got=None, where="lesson"):
        count[0] += 1
        line = _sys._getframe(1).f_lineno
        if where not in texts:
            raise ValueError(f"where={where!r} is not one of {', '.join(texts)}")
        if words(quote) not in texts[where]:
            broken.append(f"line {line}: the {where} no longer says {quote!r} "
                          "(update the claim with the prose)")
        elif not holds:
            broken.append(f"line {line}: the {where} says {quote!r}, but the lesson "
                          f"measured {got!r}")

    code = compile(_pathlib.Path(claims_file).read_text(encoding="utf-8"), claims_file, "exec")
    exec(code, {**namespace, "claim": claim, "decades_off_fit": decades_off_fit})    # a copy: the lesson's variables stay as they are
    if count[0] == 0:
        broken.append(f"{claims_file} checks no claim")
    if broken:
        raise AssertionError(f"{len(broken)} of {count[0]} claims of {notebook} broke:\n  "
                             + "\n  ".join(broken))
    print(f"{count[0]} claims hold")
