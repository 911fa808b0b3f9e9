"""Item analysis of a graded class: how hard each item was, and whether it separated students.

Classical test theory, per graded cell ``i`` with points ``m_i`` and the students' scores
``x_si`` (a table: one row per student, one column per item):

- difficulty ``p_i = mean_s(x_si) / m_i``: the mean score as a fraction of the points
  (the higher, the easier; the name is the field's, not ours);
- discrimination ``r_i = corr(x_i, T - x_i)``, the corrected item-total correlation: the
  Pearson correlation of the item's scores with each student's total over the *other*
  items (``T_s = sum_i x_si``), so the item does not correlate with itself;
- the shares of students at 0, between 0 and ``m_i`` (partial) and at ``m_i`` (full);
- Cronbach's alpha of the whole set, ``k / (k - 1) * (1 - sum_i var(x_i) / var(T))``.

Items outside the usual bands (``p > 0.8``, ``p < 0.3``, ``r < 0.1``) get a flag and a
one-line reading. See e.g. Ebel & Frisbie, *Essentials of Educational Measurement* (1991).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["Bands", "item_analysis", "cronbach_alpha", "choice_counts"]


@dataclass(frozen=True)
class Bands:
    """Where an item stops being ordinary: too easy, too hard, not separating students."""

    easy: float = 0.8         # difficulty above this
    hard: float = 0.3         # difficulty below this
    separates: float = 0.1    # discrimination below this


def _discrimination(x: pd.Series, rest: pd.Series) -> float:
    """Pearson r of ``x`` and ``rest``; NaN when either does not vary (r is undefined)."""
    if len(x) < 3 or x.nunique() < 2 or rest.nunique() < 2:
        return math.nan
    return float(stats.pearsonr(x.to_numpy(float), rest.to_numpy(float)).statistic)


def _reading(p: float, r: float, bands: Bands) -> tuple[str, str]:
    """(flags, one line on what they suggest) for difficulty ``p`` and discrimination ``r``."""
    flags, lines = [], []
    if p > bands.easy:
        flags.append("easy")
        lines.append("nearly everyone earned it: it checks the basics but tells students "
                     "apart little")
    elif p < bands.hard:
        flags.append("hard")
        lines.append("most students missed it: check the wording, the hints and the tests, "
                     "and whether the lesson prepared it")
    if math.isnan(r):
        flags.append("no spread")
        lines.append("every student (or every other item's total) scored the same: it says "
                     "nothing about who understood")
    elif r < 0:
        flags.append("negative")
        lines.append("students who did better overall did worse here: look for a wrong key, "
                     "a test that rewards the wrong thing, or a misleading question")
    elif r < bands.separates:
        flags.append("weak")
        lines.append("scores here hardly follow the rest of the work: ambiguous wording, "
                     "guessing, or a test that checks something else")
    return ", ".join(flags), "; ".join(lines)


def item_analysis(scores: pd.DataFrame, maxima: pd.Series,
                  bands: Bands = Bands()) -> pd.DataFrame:
    """One row per item: points, difficulty, discrimination, shares, flags and a reading.

    Args:
        scores: points of each student (rows) on each item (columns).
        maxima: the points of each item (indexed like the columns of ``scores``).
        bands: the limits outside which an item is flagged.

    Returns:
        A DataFrame indexed by item with columns ``points, mean, difficulty,
        discrimination, zero, partial, full, flags, reading``.
    """
    missing = [c for c in scores.columns if c not in maxima.index or not maxima[c] > 0]
    if missing:
        raise ValueError(f"maxima has no positive points for items {missing}")
    total = scores.sum(axis=1)                       # T_s
    rows = {}
    for item in scores.columns:
        x, m = scores[item], float(maxima[item])
        p = float(x.mean() / m)
        r = _discrimination(x, total - x)            # corrected item-total correlation
        zero = np.isclose(x, 0.0)
        full = np.isclose(x, m)
        flags, reading = _reading(p, r, bands)
        rows[item] = {"points": m, "mean": float(x.mean()), "difficulty": p,
                      "discrimination": r, "zero": float(zero.mean()),
                      "partial": float((~zero & ~full).mean()), "full": float(full.mean()),
                      "flags": flags, "reading": reading}
    return pd.DataFrame.from_dict(rows, orient="index")


def cronbach_alpha(scores: pd.DataFrame) -> float:
    """Cronbach's alpha (1951) of the items in ``scores``; NaN when it is undefined
    (fewer than two items or two students, or totals that do not vary)."""
    k = scores.shape[1]
    total_var = scores.sum(axis=1).var(ddof=1) if len(scores) > 1 else math.nan
    if k < 2 or not total_var > 0:
        return math.nan
    return float(k / (k - 1) * (1 - scores.var(ddof=1).sum() / total_var))


def choice_counts(answers: pd.DataFrame, keys: dict[str, str]) -> pd.DataFrame:
    """How often each choice of each multiple-choice item was picked.

    Args:
        answers: one row per student, one column per item: the choice as text
            (``"B"``, ``"A, C"`` for a set; ``"(no answer)"`` and the like otherwise).
        keys: the right choice of each item, in the same text form.

    Returns:
        Rows ``item, choice, count, share, key`` (``key`` True on the right choice),
        every item's choices by count, most picked first.
    """
    rows = []
    for item in answers.columns:
        counts = answers[item].value_counts()
        n = int(counts.sum())
        choices = list(counts.index)
        if keys.get(item) is not None and keys[item] not in choices:
            choices.append(keys[item])               # a key nobody picked still shows
        for choice in choices:
            count = int(counts.get(choice, 0))
            rows.append({"item": item, "choice": choice, "count": count,
                         "share": count / n if n else math.nan,
                         "key": choice == keys.get(item)})
    return pd.DataFrame(rows, columns=["item", "choice", "count", "share", "key"])
