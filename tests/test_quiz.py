"""gradkit.quiz: self-check questions (headless and live) and prediction comparisons."""
import pytest

import gradkit as gk
from gradkit import quiz

QUESTION = "What is the largest value of $\\sigma'(z)$? Compare with `torch.sigmoid`."
CHOICES = ["1", "1/2", "1/4", "0"]


@pytest.fixture
def shown(monkeypatch):
    """Capture what ``IPython.display.display`` is asked to show."""
    calls = []
    monkeypatch.setattr("IPython.display.display",
                        lambda *objs, **kw: calls.append((objs, kw)))
    return calls


def test_exported_from_package():
    assert gk.quiz is quiz
    assert "quiz" in gk.__all__
    assert set(quiz.__all__) == {"self_check", "compare_prediction"}


def test_headless_displays_question_choices_and_folded_answer(monkeypatch, shown):
    monkeypatch.setattr(quiz, "front_end_attached", lambda: False)
    assert quiz.self_check(QUESTION, CHOICES, "C", "s(1 - s) peaks at s = 1/2.") is None
    assert len(shown) == 1
    (bundle,), kw = shown[0]
    assert kw == {"raw": True}
    page, plain = bundle["text/html"], bundle["text/plain"]
    assert "What is the largest value of $\\sigma'(z)$?" in page  # maths kept for MathJax
    assert "<code>torch.sigmoid</code>" in page
    assert all(f"<li>{c}</li>" in page for c in CHOICES)
    # the answer is inside a collapsed <details>, after the choices
    details = page.index("<details>")
    assert page.index("Answer: C.") > details > page.index("<li>0</li>")
    assert "s(1 - s) peaks at s = 1/2." in page[details:]
    assert "open" not in page[details:page.index("</summary>")]
    assert plain.startswith("Self-check. What is the largest")
    assert "  C. 1/4" in plain


def test_headless_escapes_html(monkeypatch, shown):
    monkeypatch.setattr(quiz, "front_end_attached", lambda: False)
    quiz.self_check("Is 1 < 2 & 3 > 2?", ["yes <b>", "no"], "A", "Both hold.")
    page = shown[0][0][0]["text/html"]
    assert "1 &lt; 2 &amp; 3 &gt; 2" in page and "yes &lt;b&gt;" in page


def test_live_widget_checks_answers(monkeypatch, shown):
    widgets = pytest.importorskip("ipywidgets")
    monkeypatch.setattr(quiz, "front_end_attached", lambda: True)
    quiz.self_check(QUESTION, CHOICES, "c", "s(1 - s) peaks at s = 1/2.")
    (box,), _ = shown[0]
    assert isinstance(box, widgets.VBox)
    prompt, radio, button, feedback = box.children
    assert "largest value" in prompt.value
    assert radio.value is None                      # nothing preselected
    assert [label for label, _ in radio.options] == ["A", "B", "C", "D"][:len(CHOICES)]
    assert '<ol type="A">' in prompt.value and "<li>1/4</li>" in prompt.value  # maths typeset here
    button.click()
    assert "Pick an answer first" in feedback.value
    radio.value = "A"
    button.click()
    assert "Not quite" in feedback.value and "<details>" in feedback.value
    radio.value = "C"
    button.click()
    assert "Correct" in feedback.value and "s(1 - s) peaks" in feedback.value


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(question=""), ValueError, "question=''"),
    (dict(question=3), TypeError, "question=3"),
    (dict(choices="abc"), TypeError, "choices='abc'"),
    (dict(choices=["only one"]), ValueError, "choices has 1 entries"),
    (dict(choices=["a", "b", "a"]), ValueError, "repeated: ['a']"),
    (dict(choices=["a", ""]), ValueError, "choices[1]=''"),
    (dict(choices=["a", 2]), TypeError, "choices[1]=2"),
    (dict(answer="E"), ValueError, "answer='E' is not one of A, B, C, D"),
    (dict(answer=2), ValueError, "answer=2 is not one of A, B, C, D"),
    (dict(explanation=None), TypeError, "explanation=None"),
])
def test_bad_arguments_raise_before_display(monkeypatch, shown, kwargs, error, words):
    monkeypatch.setattr(quiz, "front_end_attached", lambda: False)
    args = dict(question=QUESTION, choices=CHOICES, answer="C", explanation="Because.")
    args.update(kwargs)
    with pytest.raises(error) as info:
        quiz.self_check(**args)
    assert words in str(info.value)
    assert shown == []


def test_compare_prediction_none_does_not_fail(capsys):
    quiz.compare_prediction(None, 0.138, what="per-layer factor")
    out = capsys.readouterr().out
    assert "Measured per-layer factor: 0.138" in out and "None" in out


def test_compare_prediction_numbers(capsys):
    quiz.compare_prediction(0.5, 0.25, what="rate")
    assert "100% above the measurement" in capsys.readouterr().out
    quiz.compare_prediction(1e-10, 1e-20, what="ratio", log_scale=True)
    assert "off by 10.0 powers of ten (too large)" in capsys.readouterr().out
    quiz.compare_prediction(1e-30, 1e-20, what="ratio", log_scale=True)
    assert "(too small)" in capsys.readouterr().out


def test_compare_prediction_strings(capsys):
    quiz.compare_prediction("First", "first", what="larger layer")
    assert "you got it" in capsys.readouterr().out
    quiz.compare_prediction("last", "first", what="larger layer")
    assert "not what you predicted" in capsys.readouterr().out


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(prediction=[1]), TypeError, "prediction=[1]"),
    (dict(prediction=float("nan")), TypeError, "prediction=nan"),
    (dict(measured=None), TypeError, "measured=None"),
    (dict(what=""), ValueError, "what=''"),
    (dict(log_scale="yes"), TypeError, "log_scale='yes'"),
    (dict(measured=-1.0, log_scale=True), ValueError, "measured=-1.0 must be > 0"),
])
def test_compare_prediction_bad_arguments(kwargs, error, words):
    args = dict(prediction=0.5, measured=0.25, what="rate")
    args.update(kwargs)
    with pytest.raises(error) as info:
        quiz.compare_prediction(**args)
    assert words in str(info.value)
