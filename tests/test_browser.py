"""End to end in a real browser: every lesson and problem set, run in JupyterLab.

One JupyterLab (started from this virtual environment, on a free loopback port with a
random token, on a temporary copy of the notebooks) serves every notebook; headless
Chromium (Debian's ``/usr/bin/chromium``, driven by Playwright) opens each one, runs all
cells and checks the rendered page: no error output, every widget rendered as a widget
(not "Error displaying widget", not an ipywidgets error view), every figure shown as a
loaded image, the kernel idle at the end. Each lesson's interactive figures are then
moved (first slider one step right, or the first dropdown to another choice) and must
redraw; each self-check answers when its Check button is pressed.

Problem sets: the blank release raises NotImplementedError by design, so it is only
opened and checked to render; the reference submission (the release with the reference
answers filled in by ``gradkit.course.grading.make_submission``) is run and must be clean.

``tests/browser_fixtures/broken_widget.ipynb`` shows the checker fails on a broken widget.

Without Chromium or Playwright the tests skip, except in CI (``CI`` set), where they fail.
``make test`` installs Chromium first when it can (``make browser``). One screenshot per
notebook lands in ``build/browser/``.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest

from gradkit.course import grading
from tests.course import ASSIGNMENTS, LESSONS, ROOT, release_nb, source_nb

pytestmark = pytest.mark.xdist_group("browser")

SHOTS = ROOT / "build" / "browser"
FIXTURES = Path(__file__).resolve().parent / "browser_fixtures"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
RUN_TIMEOUT_S = 240          # one notebook's "run all"
SETTLE_TIMEOUT_S = 60        # widgets and images to appear after the kernel is idle
REDRAW_TIMEOUT_S = 90        # one interactive figure to redraw after a control moved
# every problem set that has a release (one being written may have only its source yet)
PROBLEM_SETS = [a for a in ASSIGNMENTS
                if (ROOT / "exercises" / a / f"{a}.ipynb").is_file()]
IN_CI = os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


def _unavailable(reason: str):
    """Skip on a developer machine; fail in CI, where the browser test must run."""
    if IN_CI:
        pytest.fail(f"{reason} (CI is set, so the browser test may not be skipped; "
                    "`make browser` installs chromium as root)", pytrace=False)
    pytest.skip(reason)


def _chromium() -> str | None:
    found = os.environ.get("GRADKIT_CHROMIUM") or shutil.which("chromium")
    if not found and Path("/usr/bin/chromium").is_file():
        found = "/usr/bin/chromium"
    return found


# --------------------------------------------------------------------------- the server

def _server_url(runtime_dir: Path, pid: int) -> str | None:
    """The address JupyterLab is serving on, from the file it writes once it listens
    (started with ``--port=0``, it asks the OS for a free port and binds it at once:
    no window in which another process could take it)."""
    info = runtime_dir / f"jpserver-{pid}.json"
    try:
        port = json.loads(info.read_text())["port"]
    except (OSError, ValueError, KeyError):
        return None
    return f"http://127.0.0.1:{port}"


def _write_settings(settings_dir: Path) -> None:
    """Lab settings for a test run: no news or update toasts, every cell in the DOM."""
    files = {
        "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
            {"fetchNews": "false", "checkForUpdates": False},
        "@jupyterlab/notebook-extension/tracker.jupyterlab-settings":
            {"windowingMode": "none"},
    }
    for rel, value in files.items():
        path = settings_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value))


def _stage(root: Path) -> dict[str, str]:
    """Copy every notebook the tests open into ``root``; return {name: path in root}."""
    paths = {}
    (root / "lessons").mkdir(parents=True)
    for lesson in LESSONS:
        shutil.copy2(lesson, root / "lessons" / lesson.name)
        paths[lesson.stem] = f"lessons/{lesson.name}"
    for assignment in PROBLEM_SETS:
        release = release_nb(assignment)
        try:
            reference = grading.make_submission(
                release, grading.reference_answers(source_nb(assignment)))
        except Exception as e:   # reported by that problem set's test, not by all of them
            reference = e
        for kind, nb in (("release", release), ("reference", reference)):
            if isinstance(nb, Exception):
                paths[f"{assignment}_{kind}"] = nb
                continue
            folder = root / kind / assignment
            folder.mkdir(parents=True)
            nbformat.write(nb, folder / f"{assignment}.ipynb")
            paths[f"{assignment}_{kind}"] = f"{kind}/{assignment}/{assignment}.ipynb"
    (root / "fixtures").mkdir()
    for nb in sorted(FIXTURES.glob("*.ipynb")):
        shutil.copy2(nb, root / "fixtures" / nb.name)
        paths[f"fixture_{nb.stem}"] = f"fixtures/{nb.name}"
    return paths


@dataclass
class Lab:
    url: str
    token: str
    paths: dict[str, str | Exception]
    log: Path

    def log_tail(self, n: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-n:] if self.log.exists() else ""


def _get(url: str, timeout: float = 2.0) -> int:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return 0


def _stop(proc: subprocess.Popen, lab_url: str | None, token: str) -> None:
    """Shut JupyterLab (and its kernels) down; kill its process group if it lingers."""
    if proc.poll() is None and lab_url:
        try:   # the clean way: the server shuts its kernels down, then exits
            req = urllib.request.Request(f"{lab_url}/api/shutdown", method="POST",
                                         headers={"Authorization": f"token {token}"})
            urllib.request.urlopen(req, timeout=5).close()
            proc.wait(timeout=15)
        except Exception:
            pass
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        if proc.poll() is not None:
            break
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            pass
    try:   # anything of the group still alive (the server itself has exited)
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


@pytest.fixture(scope="module")
def lab(browser):     # browser first: no JupyterLab is started for a test that will skip
    tmp = Path(tempfile.mkdtemp(prefix="gradkit-browser-"))
    root = tmp / "root"
    paths = _stage(root)
    settings = tmp / "lab-settings"
    _write_settings(settings)
    token = secrets.token_hex(24)
    env = dict(os.environ)
    env.pop("GRADKIT_HEADLESS", None)          # the live widgets are what is tested here
    env.update(OMP_NUM_THREADS="1", JUPYTER_CONFIG_DIR=str(tmp / "config"),
               JUPYTER_RUNTIME_DIR=str(tmp / "runtime"),
               JUPYTERLAB_SETTINGS_DIR=str(settings),
               JUPYTERLAB_WORKSPACES_DIR=str(tmp / "workspaces"))
    jupyter = Path(sys.prefix) / "bin" / "jupyter"
    cmd = [str(jupyter), "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
           "--port=0", "--ServerApp.port_retries=0",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
           "--LabApp.expose_app_in_browser=True",
           # kernels on Unix sockets, not TCP ports another test's kernel could take first
           "--KernelManager.transport=ipc"]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    log = tmp / "jupyterlab.log"
    url = None
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while url is None or _get(f"{url}/api/status?token={token}") != 200:
            url = url or _server_url(tmp / "runtime", proc.pid)
            if proc.poll() is not None or time.monotonic() > deadline:
                text = log.read_text(errors="replace")[-4000:]
                pytest.fail(f"JupyterLab did not start ({' '.join(cmd)}):\n{text}",
                            pytrace=False)
            time.sleep(0.3)
        yield Lab(url=url, token=token, paths=paths, log=log)
    finally:
        _stop(proc, url, token)
        shutil.rmtree(tmp, ignore_errors=True)


# -------------------------------------------------------------------------- the browser

@pytest.fixture(scope="module")
def browser():
    executable = _chromium()
    if not executable:
        _unavailable("chromium is not installed (as root: `make browser`, or "
                     "`apt-get install -y chromium`)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (`make install` installs the test extra)")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})   # fresh profile
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    pg.console_errors = []
    pg.on("pageerror", lambda e: pg.console_errors.append(str(e)))
    try:
        yield pg
    finally:
        context.close()


# In the page: the notebook panel open on a path, found through the app JupyterLab
# exposes (--LabApp.expose_app_in_browser).
_JS_PANEL = """
window.__panel = (path) => {
  for (const w of window.jupyterapp.shell.widgets('main')) {
    if (w.context && w.context.path === path && w.content && w.content.model) return w;
  }
  return null;
};
"""

_JS_OPEN = """async (path) => {
  const app = window.jupyterapp;
  let panel = window.__panel(path);
  if (!panel) panel = await app.commands.execute('docmanager:open', {path});
  await panel.context.ready;
  await panel.sessionContext.ready;
  app.shell.activateById(panel.id);
  await panel.revealed;
  return panel.content.widgets.length;
}"""

_JS_KERNEL_READY = """async (path) => {
  const panel = window.__panel(path);
  const ctx = panel.sessionContext;
  const t0 = Date.now();
  while (!(ctx.session && ctx.session.kernel && ctx.session.kernel.status === 'idle')) {
    if (Date.now() - t0 > 90000) return ctx.session && ctx.session.kernel
        ? ctx.session.kernel.status : 'no kernel';
    await new Promise(r => setTimeout(r, 200));
  }
  await ctx.session.kernel.info;
  return 'idle';
}"""

_JS_RUN_ALL = """async ([path, timeoutMs]) => {
  const app = window.jupyterapp;
  const panel = window.__panel(path);
  app.shell.activateById(panel.id);
  const done = app.commands.execute('notebook:run-all-cells');
  const timer = new Promise(r => setTimeout(() => r('timeout'), timeoutMs));
  const result = await Promise.race([done, timer]);
  return result === 'timeout' ? 'timeout' : 'done';
}"""

_JS_INSPECT = r"""(path) => {
  const ERR = ['Error displaying widget', 'model not found', 'Failed to load model class',
               'Failed to load view class', 'Could not create a model', 'Could not create a view'];
  const panel = window.__panel(path);
  const nb = panel.model.toJSON();
  const r = {cells: nb.cells.length, code_cells: 0, unexecuted: 0, model_errors: [],
             model_stderr: [], model_widget_outputs: 0, model_images: 0};
  for (const c of nb.cells) {
    if (c.cell_type !== 'code') continue;
    r.code_cells += 1;
    const src = Array.isArray(c.source) ? c.source.join('') : c.source;
    if (src.trim() && c.execution_count == null) r.unexecuted += 1;
    for (const o of c.outputs || []) {
      if (o.output_type === 'error') r.model_errors.push(`${o.ename}: ${o.evalue}`);
      if (o.output_type === 'stream' && o.name === 'stderr') {
        r.model_stderr.push(Array.isArray(o.text) ? o.text.join('') : o.text);
      }
      if (o.data && o.data['__WIDGET_MIME__']) r.model_widget_outputs += 1;
      if (o.data && (o.data['image/png'] || o.data['image/jpeg'] || o.data['image/svg+xml'])) {
        r.model_images += 1;
      }
    }
  }
  const node = panel.content.node;
  r.dom_cells = node.querySelectorAll('.jp-Cell').length;
  r.running_prompts = [...node.querySelectorAll('.jp-InputArea-prompt')]
      .filter(p => p.textContent.includes('*')).length;
  const outs = [...node.querySelectorAll('.jp-OutputArea-output')];
  r.dom_errors = outs
      .filter(o => o.getAttribute('data-mime-type') === 'application/vnd.jupyter.stderr'
                   || o.querySelector('[data-mime-type="application/vnd.jupyter.stderr"]'))
      .map(o => o.textContent.trim().slice(0, 400));
  r.widget_outputs = 0; r.widgets_rendered = 0; r.broken_widgets = []; r.loading_widgets = 0;
  for (const o of outs) {
    if (o.closest('.widget-output')) continue;          // inside an ipywidgets Output
    const text = o.textContent;
    // the widget renderer is the output node itself: a widget view as its child, or
    // the text it shows while waiting for the model or after failing
    const isWidget = o.querySelector(':scope > .jupyter-widgets')
        || /^(Loading widget\.\.\.|Error displaying widget)/.test(text.trim());
    if (!isWidget) continue;
    r.widget_outputs += 1;
    const bad = ERR.find(e => text.includes(e))
        || (o.querySelector('.jupyter-widgets-error-widget, .widget-error')
            ? 'ipywidgets error view (the front end could not load its model or view)' : null);
    if (bad) { r.broken_widgets.push(`${bad}: ${text.trim().slice(0, 300)}`); continue; }
    if (text.includes('Loading widget...')) { r.loading_widgets += 1; continue; }
    const view = o.querySelector('.jupyter-widgets');
    if (view && [...view.classList].some(c => c.startsWith('widget-'))) r.widgets_rendered += 1;
    else r.broken_widgets.push(`not rendered as a widget: ${text.trim().slice(0, 300)}`);
  }
  // every widget view on the page, nested ones (sliders in a box) included
  r.widget_views = node.querySelectorAll('.jp-OutputArea-output .jupyter-widgets').length;
  const errViews = [...node.querySelectorAll(
      '.jp-OutputArea-output .jupyter-widgets-error-widget, .jp-OutputArea-output .widget-error')];
  for (const e of errViews) {       // those of top-level outputs were counted above
    if (e.closest('.widget-output')) r.broken_widgets.push(
        'ipywidgets error view inside an Output widget: ' + e.textContent.trim().slice(0, 300));
  }
  const imgs = [...node.querySelectorAll('.jp-OutputArea-output img')];
  r.images = imgs.length;
  r.images_not_loaded = imgs.filter(i => !(i.complete && i.naturalWidth > 0)).length;
  r.interacts = node.querySelectorAll('.jp-OutputArea-output .widget-interact').length;
  const ctx = panel.sessionContext;
  r.kernel = ctx.session && ctx.session.kernel ? ctx.session.kernel.status : 'none';
  r.widget_texts_in_plain_outputs = outs
      .filter(o => o.getAttribute('data-mime-type') === 'text/plain'
                   && /^(Interactive|VBox|HBox|IntSlider|FloatSlider|Dropdown)\(/.test(o.textContent.trim()))
      .map(o => o.textContent.trim().slice(0, 200));
  return r;
}""".replace("__WIDGET_MIME__", WIDGET_MIME)

_JS_SHUTDOWN = """async (path) => {
  const panel = window.__panel(path);
  if (panel && panel.sessionContext.session) await panel.sessionContext.shutdown();
}"""


@dataclass
class Report:
    """What the rendered page of one notebook shows."""
    name: str
    data: dict
    console_errors: list = field(default_factory=list)

    def __getattr__(self, key):
        try:
            return self.data[key]
        except KeyError:
            raise AttributeError(key) from None

    def problems(self, *, ran: bool, want_widgets: bool = False,
                 want_images: bool = False) -> list[str]:
        d, out = self.data, []
        if d["dom_cells"] != d["cells"] or d["cells"] == 0:
            out.append(f"{d['dom_cells']} cells rendered of {d['cells']}")
        if d["model_errors"]:
            out.append(f"error outputs: {d['model_errors']}")
        if d["model_stderr"]:
            out.append(f"output on stderr: {[s[:300] for s in d['model_stderr']]}")
        if d["dom_errors"]:
            out.append(f"error/stderr outputs shown on the page: {d['dom_errors']}")
        if d["broken_widgets"]:
            out.append(f"broken widgets: {d['broken_widgets']}")
        if d["loading_widgets"]:
            out.append(f"{d['loading_widgets']} widgets still 'Loading widget...'")
        if d["widget_outputs"] != d["model_widget_outputs"]:
            out.append(f"{d['model_widget_outputs']} widget outputs in the notebook, "
                       f"{d['widget_outputs']} on the page")
        if d["widgets_rendered"] != d["widget_outputs"]:
            out.append(f"{d['widgets_rendered']} of {d['widget_outputs']} widgets rendered")
        if d["widget_texts_in_plain_outputs"]:
            out.append(f"widgets shown as text: {d['widget_texts_in_plain_outputs']}")
        if d["images_not_loaded"]:
            out.append(f"{d['images_not_loaded']} of {d['images']} images did not load")
        if d["images"] < d["model_images"]:
            out.append(f"{d['model_images']} figures in the notebook, {d['images']} shown")
        if want_widgets and d["widgets_rendered"] == 0:
            out.append("no widget rendered (is the static fallback on? GRADKIT_HEADLESS?)")
        if want_images and d["images"] == 0:
            out.append("no figure shown")
        if d["running_prompts"]:
            out.append(f"{d['running_prompts']} cells still running or queued")
        if ran:
            if d["unexecuted"]:
                out.append(f"{d['unexecuted']} code cells were not executed")
            if d["kernel"] != "idle":
                out.append(f"kernel is {d['kernel']!r}, not idle")
        return out


def _open(page, lab: Lab, path: str) -> None:
    page.goto(f"{lab.url}/lab/tree/{path}?reset&token={lab.token}")
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell", timeout=90_000)
    page.evaluate(_JS_PANEL)
    page.wait_for_function("(p) => window.__panel(p) !== null", arg=path, timeout=90_000)
    page.evaluate(_JS_OPEN, path)
    status = page.evaluate(_JS_KERNEL_READY, path)
    assert status == "idle", f"the kernel of {path} did not start: {status}\n{lab.log_tail()}"


def _settle(page, path: str) -> dict:
    """Wait until the page stops changing: kernel idle, no widget still loading, the
    number of widget views and images the same twice in a row."""
    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    last = None
    while True:
        d = page.evaluate(_JS_INSPECT, path)
        key = (d["kernel"], d["widget_views"], d["images"], d["images_not_loaded"],
               d["loading_widgets"], d["running_prompts"], len(d["broken_widgets"]))
        quiet = (d["kernel"] == "idle" and not d["loading_widgets"] and not d["running_prompts"]
                 and not d["images_not_loaded"])
        if (quiet and key == last) or time.monotonic() > deadline:
            return d
        last = key
        page.wait_for_timeout(500)


def inspect(page, lab: Lab, name: str, *, run: bool) -> Report:
    """Open notebook ``name`` (a key of ``lab.paths``), run all cells if ``run``, and
    return what the page shows (after a screenshot in build/browser/)."""
    path = lab.paths[name]
    if isinstance(path, Exception):
        pytest.fail(f"{name}: could not build the notebook: {path!r}", pytrace=False)
    _open(page, lab, path)
    if run:
        result = page.evaluate(_JS_RUN_ALL, [path, RUN_TIMEOUT_S * 1000])
        assert result == "done", f"{name}: 'Run All Cells' did not finish in {RUN_TIMEOUT_S} s"
    report = Report(name, _settle(page, path), list(page.console_errors))
    page.screenshot(path=str(SHOTS / f"{name}.png"))
    return report


def _interact_figures(page, path: str) -> list[str]:
    """Move the first control of every interactive figure; return what did not redraw."""
    failures = []
    interacts = page.locator(".jp-Notebook .jp-OutputArea-output .widget-interact")
    for i in range(interacts.count()):
        box = interacts.nth(i)
        box.scroll_into_view_if_needed()
        img = box.locator(".widget-output img").first
        before = img.get_attribute("src")
        slider = box.locator(".widget-slider .noUi-handle").first
        if slider.count():
            slider.focus()
            slider.press("ArrowRight")
            moved = "first slider +1 step"
        else:
            select = box.locator(".widget-dropdown select").first
            if not select.count():
                failures.append(f"interactive figure {i}: no slider or dropdown to move")
                continue
            options = select.locator("option").all_text_contents()
            current = select.evaluate("s => s.options[s.selectedIndex].textContent")
            other = next(o for o in options if o != current)
            select.select_option(label=other)
            moved = f"first dropdown to {other!r}"
        deadline = time.monotonic() + REDRAW_TIMEOUT_S
        after = before
        while time.monotonic() < deadline:
            page.wait_for_timeout(300)
            now = box.locator(".widget-output img")
            if now.count() and now.first.evaluate("i => i.complete && i.naturalWidth > 0"):
                after = now.first.get_attribute("src")
                if after != before:
                    break
        if after == before:
            failures.append(f"interactive figure {i}: {moved} did not change the figure")
        page.wait_for_function(_JS_KERNEL_IDLE, arg=path, timeout=REDRAW_TIMEOUT_S * 1000)
    return failures


_JS_KERNEL_IDLE = """(p) => { const s = window.__panel(p).sessionContext.session;
                              return s && s.kernel && s.kernel.status === 'idle'; }"""


def _answer_self_checks(page) -> tuple[int, list[str]]:
    """Pick the first choice of every self-check and press Check: feedback must appear."""
    failures = []
    boxes = page.locator(".jp-Notebook .jp-OutputArea-output .widget-vbox:has(.widget-radio-box)")
    n = boxes.count()
    for i in range(n):
        box = boxes.nth(i)
        box.scroll_into_view_if_needed()
        box.locator(".widget-radio-box input[type=radio]").first.check()
        box.locator("button", has_text="Check").click()
        try:
            page.wait_for_function(
                "(el) => /Correct|Not quite/.test(el.textContent)",
                arg=box.element_handle(), timeout=30_000)
        except Exception:
            failures.append(f"self-check {i}: no feedback after Check")
    return n, failures


def _close(page, lab: Lab, name: str) -> None:
    page.evaluate(_JS_SHUTDOWN, lab.paths[name])   # frees the CPU for the next notebook


def _summary(r: Report, extra: str = "") -> str:
    return (f"[browser] {r.name}: {r.cells} cells, {r.widgets_rendered} widgets "
            f"({r.widget_views} widget views), {r.images} images{extra}")


# ------------------------------------------------------------------------------- tests

@pytest.mark.parametrize("lesson", [p.stem for p in LESSONS])
def test_lesson_runs_in_jupyterlab(lab, page, lesson):
    report = inspect(page, lab, lesson, run=True)
    problems = report.problems(ran=True, want_widgets=True, want_images=True)
    assert not problems, f"{lesson} in JupyterLab:\n- " + "\n- ".join(problems)
    path = lab.paths[lesson]
    failures = _interact_figures(page, path)
    checks, quiz_failures = _answer_self_checks(page)
    after = Report(lesson, _settle(page, path))
    problems = after.problems(ran=True) + failures + quiz_failures
    figure = page.locator(".jp-Notebook .jp-OutputArea-output .widget-interact").first
    if figure.count():
        figure.scroll_into_view_if_needed()    # the screenshot shows the live figure
    page.screenshot(path=str(SHOTS / f"{lesson}.png"))
    print(_summary(after, f", {report.interacts} interactive figures moved, "
                          f"{checks} self-checks answered"))
    _close(page, lab, lesson)
    assert not problems, f"{lesson}, after moving its widgets:\n- " + "\n- ".join(problems)


@pytest.mark.parametrize("assignment", PROBLEM_SETS)
def test_problem_set_reference_runs_in_jupyterlab(lab, page, assignment):
    name = f"{assignment}_reference"
    report = inspect(page, lab, name, run=True)
    print(_summary(report))
    _close(page, lab, name)
    problems = report.problems(ran=True, want_images=True)
    assert not problems, (f"{assignment} (release + reference answers) in JupyterLab:\n- "
                          + "\n- ".join(problems))


@pytest.mark.parametrize("assignment", PROBLEM_SETS)
def test_problem_set_release_renders(lab, page, assignment):
    name = f"{assignment}_release"
    report = inspect(page, lab, name, run=False)
    print(_summary(report))
    _close(page, lab, name)
    problems = report.problems(ran=False)
    assert not problems, f"{assignment} (blank release) in JupyterLab:\n- " + "\n- ".join(problems)


def test_broken_widget_is_reported(lab, page):
    report = inspect(page, lab, "fixture_broken_widget", run=True)
    _close(page, lab, "fixture_broken_widget")
    problems = report.problems(ran=True, want_widgets=True)
    print(f"[browser] broken_widget: the checker reports {problems}")
    assert report.widget_outputs == 2, report.data
    assert report.widgets_rendered == 1, f"the working slider must render: {report.data}"
    assert any("broken widgets" in p or "Loading widget" in p for p in problems), (
        f"the checker missed the broken widget: {report.data}")
