"""Ungraded self-check questions and "predict, then run" comparisons for the lessons.

:func:`self_check` asks a multiple-choice question. With a live Jupyter front end it shows
radio buttons and a *Check* button that answers right or wrong at once, with an
explanation. Run headless (nbval, nbconvert, ``make site``) it shows the question and the
choices as HTML, the answer and explanation folded inside a ``<details>`` element, so an
executed notebook still reads well and the answer stays hidden until clicked.

:func:`compare_prediction` prints a student's written-down guess next to the measured
value, and never fails when the guess was left as ``None``.

Nothing here is graded: graded questions live in the problem sets (see ``checks``).
"""
from __future__ import annotations

import html
import math
import re
from numbers import Real
from typing import Sequence

from . import _validate
from .widgets import front_end_attached

__all__ = ["self_check", "compare_prediction"]

_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _text(name: str, value) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name}={value!r} must be a string")
    if not value.strip():
        raise ValueError(f"{name}={value!r} must be a non-empty string")
    return value.strip()


def _choices(choices) -> list[str]:
    if isinstance(choices, str) or not isinstance(choices, Sequence):
        raise TypeError(f"choices={choices!r} must be a list of strings")
    if not 2 <= len(choices) <= len(_LETTERS):
        raise ValueError(f"choices has {len(choices)} entries; between 2 and "
                         f"{len(_LETTERS)} are allowed")
    out = [_text(f"choices[{i}]", c) for i, c in enumerate(choices)]
    if len(set(out)) != len(out):
        twice = sorted({c for c in out if out.count(c) > 1})
        raise ValueError(f"choices must be different from each other; repeated: {twice!r}")
    return out


def _inline_html(text: str) -> str:
    """Escape ``text`` for HTML, keeping ``$...$`` maths and turning `code` into <code>."""
    escaped = html.escape(text, quote=False)
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped)


def _static_bundle(question: str, choices: list[str], answer: str,
                   explanation: str) -> dict[str, str]:
    """The headless rendering: HTML with the answer folded away, and a plain-text twin."""
    items = "".join(f"<li>{_inline_html(c)}</li>" for c in choices)
    html_text = (
        '<div class="gradkit-self-check">'
        f"<p><b>Self-check.</b> {_inline_html(question)}</p>"
        f'<ol type="A">{items}</ol>'
        "<details><summary>Show the answer</summary>"
        f"<p><b>Answer: {answer}.</b> {_inline_html(explanation)}</p>"
        "</details></div>")
    lines = [f"Self-check. {question}"]
    lines += [f"  {letter}. {c}" for letter, c in zip(_LETTERS, choices)]
    lines.append(f"(Answer, after you have chosen: {answer}. {explanation})")
    return {"text/html": html_text, "text/plain": "\n".join(lines)}


def _live_widget(question: str, choices: list[str], answer: str, explanation: str):
    """The live rendering: radio buttons, a Check button and a feedback line."""
    import ipywidgets as widgets

    # The choices are listed in the HTMLMath prompt, which typesets $...$; radio-button
    # labels cannot, so the buttons carry only the letters.
    listed = "".join(f"<li>{_inline_html(c)}</li>" for c in choices)
    prompt = widgets.HTMLMath(
        value=f'<b>Self-check.</b> {_inline_html(question)}<ol type="A">{listed}</ol>')
    radio = widgets.RadioButtons(
        options=[(letter, letter) for letter in _LETTERS[:len(choices)]],
        value=None, description="Answer:", layout=widgets.Layout(width="max-content"))
    button = widgets.Button(description="Check", tooltip="check your answer")
    feedback = widgets.HTMLMath(value="")
    why = _inline_html(explanation)

    def on_check(_):
        if radio.value is None:
            feedback.value = "<i>Pick an answer first.</i>"
        elif radio.value == answer:
            feedback.value = f'<b style="color:#1a7f37">Correct.</b> {why}'
        else:
            feedback.value = (
                f'<b style="color:#cf222e">Not quite: {radio.value} is not right.</b> '
                "Try another choice, or "
                f"<details><summary>show the answer</summary>"
                f"<b>Answer: {answer}.</b> {why}</details>")

    button.on_click(on_check)
    return widgets.VBox([prompt, radio, button, feedback])


def self_check(question: str, choices: Sequence[str], answer: str, explanation: str) -> None:
    """Show an ungraded multiple-choice question with immediate feedback.

    Live (a Jupyter front end is attached, see
    :func:`gradkit.widgets.front_end_attached`): radio buttons and a *Check* button that
    says right or wrong and shows ``explanation``. Headless: the question and lettered
    choices as HTML, the answer and explanation inside a collapsed ``<details>`` element.

    Args:
        question: the question; ``$...$`` maths and `code` spans are allowed.
        choices: 2 to 26 different, non-empty strings, shown as A, B, C, ...
        answer: the letter of the right choice ("A" for the first).
        explanation: why that choice is right (shown after checking).

    Returns:
        None; the question is displayed.

    Raises:
        TypeError, ValueError: naming the bad argument, before anything is displayed.
    """
    question = _text("question", question)
    choices = _choices(choices)
    letters = list(_LETTERS[:len(choices)])
    answer = _validate.one_of("answer", answer.strip().upper() if isinstance(answer, str)
                              else answer, letters)
    explanation = _text("explanation", explanation)

    from IPython.display import display

    if front_end_attached():
        display(_live_widget(question, choices, answer, explanation))
    else:
        display(_static_bundle(question, choices, answer, explanation), raw=True)


def _number_or_text(name: str, value, *, allow_none: bool):
    if value is None and allow_none:
        return None
    if isinstance(value, str):
        return _text(name, value)
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        raise TypeError(f"{name}={value!r} must be a finite number or a string"
                        + (" (or None)" if allow_none else ""))
    return float(value)


def compare_prediction(prediction, measured, *, what: str, log_scale: bool = False) -> None:
    """Print a written-down guess next to the measurement; never fails on ``None``.

    Args:
        prediction: the student's guess: a number, a string (for a choice such as
            "first"), or None if nothing was written down.
        measured: the measured value (a number or a string, like ``prediction``).
        what: what was measured, e.g. "first/last gradient ratio".
        log_scale: for numbers spanning many orders of magnitude: report how many
            powers of ten the guess is off, instead of a relative error.

    Returns:
        None; one line is printed.
    """
    what = _text("what", what)
    measured = _number_or_text("measured", measured, allow_none=False)
    prediction = _number_or_text("prediction", prediction, allow_none=True)
    if not isinstance(log_scale, bool):
        raise TypeError(f"log_scale={log_scale!r} must be True or False")
    if log_scale and isinstance(measured, float) and not measured > 0:
        raise ValueError(f"measured={measured!r} must be > 0 when log_scale=True")

    shown = f"{measured:.3g}" if isinstance(measured, float) else repr(measured)
    if prediction is None:
        print(f"Measured {what}: {shown}. (No prediction written down: the guess is None.)")
        return
    if isinstance(prediction, str) or isinstance(measured, str):
        if isinstance(prediction, str) and isinstance(measured, str) \
                and prediction.lower() == measured.lower():
            verdict = "you got it"
        else:
            verdict = "not what you predicted"
        print(f"Measured {what}: {shown}; you predicted {prediction!r}: {verdict}.")
        return
    guess = f"{prediction:.3g}"
    if log_scale:
        if not prediction > 0:
            print(f"Measured {what}: {shown}; you predicted {guess}, "
                  "but a ratio on a log scale must be > 0.")
            return
        off = math.log10(measured / prediction)
        print(f"Measured {what}: {shown}; you predicted {guess}: "
              f"off by {abs(off):.1f} powers of ten"
              + ("" if abs(off) < 0.05 else (" (too small)" if off > 0 else " (too large)"))
              + ".")
        return
    if measured == 0:
        print(f"Measured {what}: {shown}; you predicted {guess}.")
        return
    rel = (prediction - measured) / abs(measured)
    print(f"Measured {what}: {shown}; you predicted {guess} "
          f"({abs(rel):.0%} {'above' if rel > 0 else 'below'} the measurement).")
