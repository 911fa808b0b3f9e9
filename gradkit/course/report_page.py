"""The class report as one HTML page that reads offline: figures as embedded PNG, no
script, no font or style sheet from anywhere else. Only reads a :class:`.report.Report`.
"""
from __future__ import annotations

import base64
import datetime
import html
import io
import math

__all__ = ["render", "figure_scatter", "figure_histogram"]

CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;max-width:1200px;
margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.6em;margin-bottom:.2em}h2{margin-top:2em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:.6em 0;font-size:.92em}
th,td{border:1px solid #ddd;padding:.25em .55em;text-align:right;vertical-align:top}
th{background:#f4f4f4}td.l,th.l{text-align:left}
tr.flag td{background:#fff6e0}.muted{color:#666}.note{background:#eef4ff;padding:.6em 1em;
border-left:4px solid #4a7bd0}.warn{background:#fff3f0;padding:.6em 1em;
border-left:4px solid #d0574a}.figs{display:flex;flex-wrap:wrap;gap:1em}
.plots{display:flex;gap:1em}.plots img{width:calc(50% - .5em);height:auto;
border:1px solid #eee}.side{display:grid;
grid-template-columns:1fr 1fr;gap:.6em}pre{background:#fafafa;border:1px solid #e5e5e5;
padding:.5em;overflow-x:auto;font-size:.85em;margin:0}mark{background:#ffd86b}
.key{font-weight:bold;color:#116611}details{margin:.4em 0}
"""


def _png(fig) -> str:
    """``fig`` as a data: URI of a PNG (and the figure closed)."""
    import matplotlib.pyplot as plt
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def figure_scatter(items, bands) -> str:
    """Difficulty (x) against discrimination (y), one labelled point per item, the
    usual bands shaded: a data: URI."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    ax.axvspan(bands.hard, bands.easy, color="#e8f3e8", zorder=0)
    ax.axhline(bands.separates, color="#c44", lw=1, ls="--")
    ax.axvline(bands.hard, color="#888", lw=.8, ls=":")
    ax.axvline(bands.easy, color="#888", lw=.8, ls=":")
    r = items["discrimination"].fillna(0.0)
    ax.scatter(items["difficulty"], r, c=["#d0574a" if f else "#2a6ebb"
                                           for f in items["flags"]], zorder=3)
    for name, x, y in zip(items.index, items["difficulty"], r):
        ax.annotate(str(name).removesuffix("_tests"), (x, y), fontsize=7,
                    xytext=(3, 3), textcoords="offset points")
    ax.set_xlim(-0.03, 1.05)
    low = min(-0.2, float(r.min()) - 0.1) if len(r) else -0.2
    ax.set_ylim(low, 1.05)
    ax.set_xlabel("difficulty p (mean score / points; higher = easier)")
    ax.set_ylabel("discrimination r (corrected item-total)")
    ax.set_title("Items: green band = usual difficulty, dashed = r 0.1", fontsize=10)
    return _png(fig)


def figure_histogram(totals, possible: float) -> str:
    """The distribution of the students' totals: a data: URI."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    ax.yaxis.get_major_locator().set_params(integer=True)
    if possible <= 40:                       # a bar per whole point, centred on it
        edges = [k - 0.5 for k in range(math.ceil(possible) + 2)]
    else:
        edges = [possible * k / 20 for k in range(21)]
    ax.hist(totals, bins=edges, color="#2a6ebb", edgecolor="white")
    ax.axvline(float(totals.mean()), color="#d0574a", lw=1.5,
               label=f"mean {totals.mean():.1f}")
    ax.set_xlabel(f"total points (of {possible:g})")
    ax.set_ylabel("students")
    ax.legend(fontsize=8)
    ax.set_title("Scores of the class", fontsize=10)
    return _png(fig)


def _e(x) -> str:
    return html.escape(str(x))


def _f(x, digits=2) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def _items_table(r) -> str:
    head = ("<tr><th class=l>graded cell</th><th class=l>answer cell</th><th>points</th>"
            "<th>mean</th><th>difficulty p</th><th>discrimination r</th><th>at 0</th>"
            "<th>partial</th><th>full</th><th class=l>flags</th><th class=l>what it "
            "suggests</th></tr>")
    rows = []
    for name, it in r.items.iterrows():
        rows.append(
            f"<tr class='{'flag' if it['flags'] else ''}'><td class=l>{_e(name)}</td>"
            f"<td class=l>{_e(it['answer_cell'] or '')}</td><td>{it['points']:g}</td>"
            f"<td>{_f(it['mean'])}</td><td>{_f(it['difficulty'])}</td>"
            f"<td>{_f(it['discrimination'])}</td><td>{it['zero']:.0%}</td>"
            f"<td>{it['partial']:.0%}</td><td>{it['full']:.0%}</td>"
            f"<td class=l>{_e(it['flags'])}</td><td class=l>{_e(it['reading'])}</td></tr>")
    return f"<table id=items>{head}{''.join(rows)}</table>"


def _choices_html(r) -> str:
    if r.choices.empty:
        return "<p class=muted>No multiple-choice review questions in this assignment.</p>"
    parts = []
    for item, group in r.choices.groupby("item", sort=False):
        rows = "".join(
            f"<tr><td class='l{' key' if row.key else ''}'>{_e(row.choice)}"
            f"{' (key)' if row.key else ''}</td><td>{row.count}</td>"
            f"<td>{_f(row.share * 100, 0)}%</td></tr>" for row in group.itertuples())
        parts.append(f"<div><b>{_e(item)}</b><table><tr><th class=l>choice</th><th>students"
                     f"</th><th>share</th></tr>{rows}</table></div>")
    return ("<p>The answer each student assigned (read with <code>ast.literal_eval</code>, "
            "never run). A wrong choice picked by many is a misconception worth a word in "
            "class, or a question that reads two ways.</p><div class=figs>"
            + "".join(parts) + "</div>")


def _similarity_html(r) -> str:
    s, summary = r.settings, r.similarity
    parts = [
        "<p class=warn><b>A high score is a reason to look, not proof.</b> Students who "
        "studied together, followed the same hint or made the same slip can write alike; "
        "read both notebooks, and talk with the students, before drawing any conclusion."
        "</p>",
        f"<p>Every pair of the {len(summary['code'])} students with answers was compared "
        f"({summary['pairs_compared']} pairs) on the answer cells only, with copydetect's "
        f"fingerprints (k = {s.k} characters of code with names, strings, comments and "
        "spacing normalised away, so renaming or re-spacing changes nothing). Not counted "
        "as shared: the release's stub and the reference solution (a student who wrote the "
        f"reference shares it with the course, not with a classmate), and code found in "
        f"{summary['common']} or more students' answers (a common mistake or idiom). The "
        "score of a pair is the largest share of one student's answer code that is found "
        f"in the other's; pairs are listed from a score of {s.threshold:.2f} with at least "
        f"{s.min_shared} characters of shared code. <code>similarity.csv</code> holds every "
        "pair that shares any code of its own.</p>"]
    if not r.listed:
        top = r.pairs[0] if r.pairs else None
        parts.append("<p id=no-pairs><b>No pair above the threshold.</b>"
                     + (f" The highest: {_e(top.a)} / {_e(top.b)}, score {top.score:.2f}."
                        if top else "") + "</p>")
    for p in r.listed:
        cells = "".join(
            f"<details open><summary>{_e(c.cell)}: {c.shared} characters in common"
            f"</summary><div class=side><pre>{c.html_a}</pre><pre>{c.html_b}</pre></div>"
            "</details>" for c in p.cells)
        parts.append(
            f"<div class=pair><h3>{_e(p.a)} and {_e(p.b)}: score {p.score:.2f}</h3><p>"
            f"{p.score_a:.0%} of {_e(p.a)}'s answer code and {p.score_b:.0%} of {_e(p.b)}'s "
            f"is own code they share ({p.shared} characters). Left {_e(p.a)}, right "
            f"{_e(p.b)}; shared code <mark>marked</mark>.</p>{cells}</div>")
    return "".join(parts)


def _lms_html(r) -> str:
    note = ("<p class=note>Students are matched to the LMS through the roster given with "
            "<code>--roster</code>.</p>")
    if not r.roster_given:
        note = ("<p class=warn id=no-roster><b>No roster given:</b> the nbgrader id fills the "
                "Student, ID, SIS User ID and SIS Login ID columns. Canvas matches rows by "
                "these, so unless your nbgrader ids are the LMS's ids, pass <code>--roster "
                "FILE</code> (a CSV with <code>nbgrader_id</code> and any of Student, ID, SIS "
                "User ID, SIS Login ID, Section).</p>")
    elif r.unlisted:
        note += (f"<p class=warn>Not in the roster (the nbgrader id is used): "
                 f"{_e(', '.join(r.unlisted))}</p>")
    return (note + "<ul><li><code>grades_canvas.csv</code>: Canvas's gradebook import "
            "(Grades, Import): <code>Student, ID, SIS User ID, SIS Login ID, Section</code>, "
            f"then the column <code>{_e(r.column)}</code> with each total, under a "
            "<code>Points Possible</code> row. Name the column <code>Title (id)</code> of an "
            "existing Canvas assignment with <code>--column</code> to fill that one.</li>"
            "<li><code>grades.csv</code>: student id, total, max and the points of every "
            "graded cell, for Moodle's CSV import or a spreadsheet.</li></ul>")


def render(r) -> str:
    """The report page as HTML text."""
    data, items = r.data, r.items
    totals = data.scores.fillna(0).sum(axis=1)
    possible = float(data.maxima.sum())
    flagged = items[items["flags"] != ""]
    from .report_stats import Bands
    notes = list(data.notes)
    if data.awaiting:
        notes.append(f"Awaiting manual grading, left out of the item analysis: "
                     f"{', '.join(data.awaiting)}.")
    if data.flagged:
        notes.append(f"Flagged in grading (look at them in the grade table): "
                     f"{', '.join(data.flagged)}.")
    when = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    summary = (f"{len(totals)} graded submissions, {len(items)} graded cells, "
               f"{possible:g} points. Mean total {totals.mean():.1f} "
               f"({totals.mean() / possible:.0%}), median {totals.median():g}, "
               f"standard deviation {totals.std(ddof=1) if len(totals) > 1 else 0:.1f}. "
               f"Cronbach's alpha {_f(r.alpha)}. {len(flagged)} item(s) flagged; "
               f"{len(r.listed)} pair(s) of submissions listed as similar.")
    flag_list = "".join(f"<li><b>{_e(n)}</b> ({_e(it['flags'])}): {_e(it['reading'])}</li>"
                        for n, it in flagged.iterrows()) or "<li>none</li>"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Class report: {_e(data.assignment)}</title><style>{CSS}</style></head><body>
<h1>Class report: {_e(data.assignment)}</h1>
<p class=muted>Made {when} from nbgrader's gradebook by
<code>python -m gradkit.course report</code>.</p>
<p id=summary>{_e(summary)}</p>
{''.join(f'<p class=note>{_e(n)}</p>' for n in notes)}
<h2>Which items worked</h2>
<p><b>Difficulty p</b> is the mean score as a share of the points (1 = everyone full
marks). <b>Discrimination r</b> is the correlation of the item's score with the total of
the other items (the corrected item-total correlation): high when students who did well
overall did well here. Usual bands: p between 0.3 and 0.8, r of 0.1 or more.</p>
<div class=plots><img id=fig-scatter alt="difficulty against discrimination"
src="{figure_scatter(items, Bands())}"><img id=fig-hist alt="histogram of total scores"
src="{figure_histogram(totals, possible)}"></div>
<h3>Flagged items</h3><ul id=flagged>{flag_list}</ul>
{_items_table(r)}
<h2>Multiple-choice answers</h2>{_choices_html(r)}
<h2>Similar submissions</h2>{_similarity_html(r)}
<h2>Grades for the LMS</h2>{_lms_html(r)}
</body></html>
"""
