"""Cheating and broken submissions of ps05, each with the grade an honest grader gives.

Every case is one student's folder under ``submitted/``: a notebook made from the
release with some answers (the reference's, none, or the case's own code) and, for some,
a change to the notebook file itself. ``expect`` says which test cells score zero
(``"all"``: every one), the rest scoring full marks; ``status`` the status the table
must show (``None``: any); ``flag`` a phrase a flag must contain (``""``: no flags at
all: an honest notebook is never flagged). The attacks are the ones a student's code
can reach in a plain nbgrader kernel: rebinding or patching what the tests call,
poisoning the references, answers that are objects, IPython hooks, the file system,
the notebook's JSON; the broken cases are what honest students hand in by accident.
"""
from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field

import nbformat

from gradkit.course import grading
from tests.course import mutant_answer, mutants, release_nb, source_nb

ASSIGNMENT = "ps05_gradient_clipping"
ALL = "all"


@dataclass
class Case:
    name: str
    base: str                                  # "reference" or "blank" answers
    answers: dict = field(default_factory=dict)    # grade_id -> code (over the base)
    expect: object = ()                        # test cells scoring 0, or ALL
    status: str | None = "graded"
    flag: str | None = ""                      # "": no flags; None: flags not checked
    edit: object = None                        # fn(notebook dict) -> notebook dict
    files: object = None                       # fn(notebook bytes) -> {file name: bytes}


def _tests(*exercises) -> set[str]:
    return {f"{e}_tests" for e in exercises}


LATER_THAN_EX3 = _tests("ex4_growth_rate", "ex5_pick_threshold", "ex6_diagnose",
                        "q1_norm_vs_value", "q2_vanishing", "q3_step_length",
                        "q4_first_tensor")
LATER_THAN_EX4 = LATER_THAN_EX3 - _tests("ex4_growth_rate")


def _reference() -> dict[str, str]:
    return grading.reference_answers(source_nb(ASSIGNMENT))


def _mutant(name: str) -> str:
    return mutant_answer(_reference(), mutants(ASSIGNMENT)[name])


def _with(cell: str, before: str = "", after: str = "") -> str:
    return f"{before}\n{_reference()[cell]}\n{after}"


# -- edits of the notebook file -------------------------------------------------------------
def _test_cells(nb):
    return [c for c in nb["cells"] if c.get("cell_type") == "code"
            and (c.get("metadata", {}).get("nbgrader") or {}).get("grade")
            and not (c.get("metadata", {}).get("nbgrader") or {}).get("solution")]


def _skip_tests(nb):
    for c in _test_cells(nb):
        c["metadata"]["tags"] = ["skip-execution", "raises-exception"]
        c["outputs"] = []
    return nb


def _blank_tests(nb):
    for c in _test_cells(nb):
        c["source"] = "pass  # nothing to see here"
    return nb


def _duplicate_ex1(nb):
    cells = nb["cells"]
    i = next(k for k, c in enumerate(cells)
             if (c.get("metadata", {}).get("nbgrader") or {}).get("grade_id")
             == "ex1_clip_grad_norm")
    twin = copy.deepcopy(cells[i])
    twin["id"] = "twin-of-ex1"
    cells.insert(i + 1, twin)
    return nb


def _rename_ex1(nb):
    for c in nb["cells"]:
        meta = c.get("metadata", {}).get("nbgrader") or {}
        if meta.get("grade_id") == "ex1_clip_grad_norm":
            meta["grade_id"] = "my_clipping"
    return nb


def _strip_metadata(nb):
    for c in nb["cells"]:
        c.get("metadata", {}).pop("nbgrader", None)
    return nb


def _add_cell(code: str, after: str):
    def edit(nb):
        cells = nb["cells"]
        i = next(k for k, c in enumerate(cells)
                 if (c.get("metadata", {}).get("nbgrader") or {}).get("grade_id") == after)
        cells.insert(i + 1, {"cell_type": "code", "id": f"added-{len(cells)}",
                             "metadata": {}, "execution_count": None, "outputs": [],
                             "source": code})
        return nb
    return edit


# -- files ----------------------------------------------------------------------------------
def _truncated(raw: bytes) -> dict:
    return {f"{ASSIGNMENT}.ipynb": raw[: len(raw) // 2]}


def _copy1(raw: bytes) -> dict:
    return {f"{ASSIGNMENT}-Copy1.ipynb": raw}


def _two_notebooks(raw: bytes) -> dict:
    return {f"{ASSIGNMENT}.ipynb": raw, "scratch.ipynb": raw}


def _no_notebook(raw: bytes) -> dict:
    return {"answers.py": b"def clip_grad_norm(parameters, max_norm):\n    pass\n"}


def cases(course: str) -> list[Case]:
    """The corpus; ``course`` is the absolute path of the grading course folder (attacks
    that read or write the instructor's files aim at it)."""
    solutions = f"{course}/solutions/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"
    return [
        # honest classmates, graded in the same batch
        Case("honest_reference", "reference"),
        Case("honest_reference_2", "reference"),
        Case("honest_blank", "blank", expect=ALL),
        Case("honest_one_wrong", "reference", {"ex1_clip_grad_norm": _mutant("ex1_sum_of_norms")},
             expect=_tests("ex1_clip_grad_norm")),
        # rebinding or patching what the tests call
        Case("rebind_check_helpers", "blank", {"ex1_clip_grad_norm":
             "check_close = check_between = check_number = lambda *a, **k: None\n"
             "def clip_grad_norm(parameters, max_norm):\n    return None\n"},
             expect=ALL, flag="patches gradkit.checks"),
        Case("patch_checks_module", "blank", {"ex1_clip_grad_norm":
             "import gradkit.checks\n"
             "for _name in dir(gradkit.checks):\n"
             "    if not _name.startswith('__'):\n"
             "        setattr(gradkit.checks, _name, lambda *a, **k: None)\n"},
             expect=ALL, flag="patches gradkit.checks"),
        Case("patch_torch_and_builtins", "blank", {"ex1_clip_grad_norm":
             "import builtins, math\n"
             "torch.isclose = lambda a, b, **k: torch.ones_like(torch.as_tensor(a), dtype=torch.bool)\n"
             "torch.allclose = lambda *a, **k: True\n"
             "math.isclose = lambda *a, **k: True\n"
             "builtins.abs = lambda x: 0\n"
             "builtins.isinstance = lambda *a: True\n"},
             expect=ALL, status=None, flag=None),     # the kernel breaks itself too
        Case("swap_sys_modules", "blank", {"ex1_clip_grad_norm":
             "import sys, types\n"
             "_fake = types.ModuleType('gradkit.checks')\n"
             "_fake.__getattr__ = lambda name: (lambda *a, **k: None)\n"
             "sys.modules['gradkit.checks'] = _fake\n"},
             expect=ALL, flag="touches sys.modules"),
        # poisoning the references the hidden tests compare against
        Case("poison_references", "reference", {"ex1_clip_grad_norm":
             _mutant("ex1_sum_of_norms") +
             "\nimport gradkit, torch.nn.functional as F\n"
             "torch.nn.utils.clip_grad_norm_ = clip_grad_norm\n"
             "gradkit.clip_grad_norm_ = clip_grad_norm\n"
             "F.layer_norm = lambda x, *a, **k: x\n"},
             expect=_tests("ex1_clip_grad_norm"), flag="rebinds a library function"),
        Case("poison_manual_seed", "blank", {"ex1_clip_grad_norm":
             "torch.manual_seed = lambda *a, **k: None\n"
             "torch.random.manual_seed = torch.manual_seed\n"},
             expect=ALL, flag="rebinds a library function"),
        # answers that are objects
        Case("answers_that_are_objects", "reference", {
             "q1_norm_vs_value": "class _AlwaysEqual(set):\n"
                                 "    def __eq__(self, other):\n        return True\n"
                                 "    __hash__ = None\n"
                                 "answer_q1 = _AlwaysEqual()\n",
             "q2_vanishing": "class _Letter(str):\n"
                             "    def __eq__(self, other):\n        return True\n"
                             "    __hash__ = str.__hash__\n"
                             "answer_q2 = _Letter('Z')\n"},
             expect=_tests("q1_norm_vs_value", "q2_vanishing"), flag=None),
        Case("float_reads_callers_frame", "reference", {"ex4_growth_rate":
             _reference()["ex4_growth_rate"] +
             "\nimport sys\n"
             "class _Sneaky(float):\n"
             "    def __float__(self):\n"
             "        f = sys._getframe(1)\n"
             "        for k in ('expected', 'want', 'reference', 'ref'):\n"
             "            if k in f.f_locals:\n                return float(f.f_locals[k])\n"
             "        return 0.0\n"
             "    __eq__ = lambda self, other: True\n    __hash__ = float.__hash__\n"
             "_honest_rate = rate_per_step\n"
             "def rate_per_step(seq_lens, norms):\n    return _Sneaky(0.0)\n"},
             expect=_tests("ex4_growth_rate"), flag="inspects the caller's frames"),
        Case("returns_too_much", "reference", {"ex3_per_tensor":
             _reference()["ex3_per_tensor"] +
             "\ndef clip_grad_norm_per_tensor(parameters, max_norm):\n"
             "    return torch.zeros(2 ** 28)\n"},
             expect=_tests("ex3_per_tensor"), flag=""),
        # IPython hooks
        Case("input_transformer", "blank", {"ex1_clip_grad_norm":
             "get_ipython().input_transformers_cleanup.append(lambda lines: ['pass\\n'])\n"},
             expect=ALL, status=None, flag="patches IPython"),
        Case("ast_transformer", "blank", {"ex1_clip_grad_norm":
             "import ast\n"
             "class _Blank(ast.NodeTransformer):\n"
             "    def visit_Module(self, node):\n"
             "        return ast.Module(body=[ast.Pass()], type_ignores=[])\n"
             "get_ipython().ast_transformers.append(_Blank())\n"},
             expect=ALL, status=None, flag="patches IPython"),
        Case("custom_exception_handler", "blank", {"ex1_clip_grad_norm":
             "get_ipython().set_custom_exc((BaseException,), lambda *a, **k: None)\n"},
             expect=ALL, status=None, flag="patches IPython"),
        Case("pre_run_hook_result", "blank", {"ex1_clip_grad_norm":
             "def _claim_points(*args):\n"
             "    get_ipython().displayhook(4)\n"
             "get_ipython().events.register('pre_run_cell', _claim_points)\n"},
             expect=ALL, status=None, flag="patches IPython"),
        # the file system
        Case("reads_solutions", "blank", {"ex1_clip_grad_norm":
             "import glob, json, os\n"
             f"_paths = [{solutions!r}] + glob.glob('../*/*.ipynb')"
             " + glob.glob('../../*/*/*.ipynb')\n"
             "_stolen = ''\n"
             "for _p in _paths:\n"
             "    try:\n        _stolen += open(_p).read()\n"
             "    except OSError as e:\n        print('cannot read', _p, e)\n"
             "print('read', len(_stolen), 'characters of other notebooks')\n"
             "def clip_grad_norm(parameters, max_norm):\n"
             "    exec(_stolen)\n"},
             expect=ALL, flag="reads files outside its folder"),
        Case("writes_gradebook", "blank", {"ex1_clip_grad_norm":
             "import sqlite3\n"
             "try:\n"
             f"    _db = sqlite3.connect({course + '/gradebook.db'!r})\n"
             "    _db.execute('update grade set manual_score = 100')\n"
             "    _db.execute('update grade set auto_score = 0')\n"
             "    _db.commit()\n"
             "except Exception as e:\n    print('no gradebook:', e)\n"},
             expect=ALL, flag="reads files outside its folder"),
        # the notebook's JSON
        Case("skip_execution_tags", "blank", edit=_skip_tests, expect=ALL,
             flag="were ignored"),
        Case("emptied_test_cells", "blank", edit=_blank_tests, expect=ALL,
             flag="were edited"),
        Case("invalid_json", "reference", files=_truncated, expect=ALL,
             status="not gradable", flag=None),
        Case("saved_as_copy1", "reference", files=_copy1),
        Case("two_notebooks", "reference", files=_two_notebooks, expect=ALL,
             status="not gradable", flag=None),
        Case("no_notebook", "reference", files=_no_notebook, expect=ALL,
             status="not gradable", flag=None),
        Case("duplicated_grade_id", "reference", edit=_duplicate_ex1,
             flag="appears more than once"),
        Case("renamed_grade_id", "reference", edit=_rename_ex1, flag="matched by cell id"),
        Case("emptied_nbgrader_metadata", "reference", edit=_strip_metadata,
             flag="matched by cell id"),
        # the kernel
        Case("os_exit", "reference", {"ex4_growth_rate":
             "import os\nos._exit(0)\n" + _reference()["ex4_growth_rate"]},
             expect=_tests("ex4_growth_rate") | LATER_THAN_EX4, status="kernel died",
             flag=None),
        Case("ignores_sigint", "reference", {"ex5_pick_threshold":
             "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n"
             "    pass\n"},
             expect=LATER_THAN_EX4, status="kernel died", flag=None),
        Case("hangs_when_called", "reference", {"ex2_clip_grad_value":
             "def clip_grad_value(parameters, clip_value):\n    while True:\n        pass\n"},
             expect=_tests("ex2_clip_grad_value"), status="graded, with a timeout",
             flag="was interrupted"),
        Case("fork_bomb", "blank", {"ex1_clip_grad_norm":
             "import os, time\n_children = 0\n"
             "try:\n    while True:\n        if os.fork() == 0:\n"
             "            time.sleep(1000)\n            os._exit(0)\n"
             "        _children += 1\n"
             "except OSError as e:\n    print('stopped after', _children, 'children:', e)\n"},
             expect=ALL, status=None, flag=None),
        # honest but broken
        Case("debug_print_to_stderr", "reference", {"ex1_clip_grad_norm":
             _with("ex1_clip_grad_norm", before="import sys").replace(
                 "    return total",
                 "    print('debug: total =', total, file=sys.stderr)\n    return total")}),
        Case("huge_allocation", "reference",
             edit=_add_cell("try:\n    big = torch.ones(3_000_000_000)\n"
                            "except RuntimeError as e:\n    print('too big:', e)\n"
                            "big = torch.ones(3_000_000_000)\n", after="ex1_clip_grad_norm")),
        Case("output_flood", "reference",
             edit=_add_cell("for _ in range(20):\n    print('x' * 1_000_000)\n",
                            after="ex2_clip_grad_value")),
    ]


def submission_files(case: Case) -> dict[str, bytes]:
    """The files of the case's ``submitted/<student>/<assignment>/`` folder."""
    answers = dict(_reference()) if case.base == "reference" else {}
    answers.update(case.answers)
    nb = grading.make_submission(release_nb(ASSIGNMENT), answers)
    data = json.loads(nbformat.writes(nb))
    if case.edit is not None:
        data = case.edit(data)
    raw = json.dumps(data, indent=1).encode()
    return case.files(raw) if case.files is not None else {f"{ASSIGNMENT}.ipynb": raw}
