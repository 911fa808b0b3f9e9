"""What runs where: an assignment's cells split between the sandbox and the trusted runner.

Everything here is read from the instructor's nbgrader *source*, never from the student's
file, except the student's answer cells (and any code cells the student added). For each
code cell of the source, in order:

* ``student`` (an nbgrader solution cell): the submission's version runs in the sandbox;
* ``instructor`` (locked code, set-up, plots): the source's version runs in the trusted
  runner when a later trusted cell needs a name it binds, and in the sandbox, except a
  cell that is the same for every student (it reads no name an answer binds): when no
  later code in the sandbox reads a name it binds it does not run there at all, and when
  it runs in the runner anyway the values later sandbox code reads are sent to the
  sandbox instead of computed twice (a recorded training run costs its seconds once);
* ``test`` (an autograded test cell, hidden tests included): runs in the trusted runner
  only, reaching the student's names through the channel.

Flags record what a grader may want to look at; they never change a score.
"""
from __future__ import annotations

import ast
import io
import json
import re
import symtable
import tokenize
from dataclasses import dataclass, field

__all__ = ["Cell", "Plan", "NotGradable", "load_source", "build_plan", "release_source",
           "HIDDEN_BEGIN", "HIDDEN_END"]

HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
_SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")

# Code in an answer cell that reaches for the grader rather than the exercise.
_SUSPICIOUS = [
    (r"\bsys\.modules\b", "touches sys.modules"),
    (r"\b(__builtins__|builtins)\b", "touches builtins"),
    (r"get_ipython\s*\(\s*\)\s*\.\s*(input_transformers|ast_transformers|events|"
     r"set_custom_exc|register_magic|run_cell|displayhook|user_ns_hidden)",
     "patches IPython"),
    (r"\bgradkit\s*\.\s*checks\b|\bcheck_(close|between|number|choice|choices|shape)\s*=",
     "patches gradkit.checks"),
    (r"\b(torch|F|np|math|gradkit)\s*\.[\w.]+\s*=[^=]", "rebinds a library function"),
    (r"\bsetattr\s*\(\s*(torch|F|np|math|gradkit|sys|builtins)\b", "rebinds a library function"),
    (r"\bos\s*\.\s*_exit\b|\bsignal\s*\.\s*signal\b", "kills or shields the kernel"),
    (r"(solutions/|submitted/|gradebook\.db|nbgrader_config|\.\./)",
     "reads files outside its folder"),
    (r"\bsys\s*\._getframe\b|\binspect\s*\.\s*(stack|currentframe)\b|\bf_back\b",
     "inspects the caller's frames"),
]


class NotGradable(ValueError):
    """A submission that cannot be graded at all (the message says why)."""


@dataclass
class Cell:
    """One cell of the plan."""

    role: str                        # "student", "instructor", "test"
    grade_id: str | None
    source: str                      # what runs (student: the submission's code)
    visible: str = ""                # test cells: the code the release shows
    points: float = 0.0
    trusted: bool = False            # instructor cells: also run in the trusted runner
    kernel: str = "run"              # instructor cells in the sandbox: "run", or "send" the
                                     # values of ``sends`` from the runner, or "skip"
    sends: frozenset = frozenset()   # kernel == "send": the names later sandbox code reads
    binds: frozenset = frozenset()   # names the *reference* version binds


@dataclass
class Plan:
    """The cells in order, the names student cells bind, flags, and manual cells."""

    cells: list[Cell]
    student_names: list[str]         # names bound by the reference answer cells
    flags: list[str] = field(default_factory=list)
    manual: dict[str, float] = field(default_factory=dict)     # grade_id -> points
    answers: dict[str, str] = field(default_factory=dict)      # grade_id -> student's text
    max_score: float = 0.0


def _meta(cell) -> dict:
    return (cell.get("metadata") or {}).get("nbgrader") or {}


def _text(source) -> str:
    return "".join(source) if isinstance(source, list) else (source or "")


def load_source(path) -> dict:
    """The instructor's source notebook (plain JSON)."""
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def strip_hidden(code: str) -> str:
    """``code`` without its ``### BEGIN/END HIDDEN TESTS`` blocks."""
    out, hidden = [], False
    for line in code.splitlines():
        if line.strip() == HIDDEN_BEGIN:
            hidden = True
        elif line.strip() == HIDDEN_END:
            hidden = False
        elif not hidden:
            out.append(line)
    return "\n".join(out)


def release_source(code: str) -> str:
    return strip_hidden(code)


def bound_names(code: str) -> frozenset:
    """Names a cell binds at the top level (assignments, defs, imports, loop targets)."""
    try:
        table = symtable.symtable(code, "<cell>", "exec")
    except (SyntaxError, ValueError):
        return frozenset()
    return frozenset(s.get_name() for s in table.get_symbols()
                     if s.is_assigned() or s.is_imported())


def mentioned_names(code: str) -> set[str]:
    """Every identifier in ``code``, in code or in strings (``globals()["x"]``)."""
    names = set()
    try:
        for tok in tokenize.generate_tokens(io.StringIO(code).readline):
            if tok.type == tokenize.NAME:
                names.add(tok.string)
            elif tok.type == tokenize.STRING:
                names.update(re.findall(r"[A-Za-z_]\w*", tok.string))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        names.update(re.findall(r"[A-Za-z_]\w*", code))
    return names


def _read_submission(raw: bytes | str) -> dict:
    try:
        nb = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as e:
        raise NotGradable(f"the notebook is not valid JSON ({e})") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise NotGradable("the file is not a Jupyter notebook (no list of cells)")
    return nb


def _match(source_cells, sub_cells, flags) -> tuple[dict, list]:
    """``{grade_id: submission cell}`` for the source's solution cells, and the code cells
    the student added, each with the grade_id of the source cell it follows."""
    by_gid: dict[str, dict] = {}
    by_id: dict[str, dict] = {}
    duplicated = set()
    for c in sub_cells:
        if not isinstance(c, dict):
            continue
        gid = _meta(c).get("grade_id")
        if isinstance(gid, str):
            if gid in by_gid:
                duplicated.add(gid)
            else:
                by_gid[gid] = c
        if isinstance(c.get("id"), str):
            by_id.setdefault(c["id"], c)
    for gid in sorted(duplicated):
        flags.append(f"grade id {gid!r} appears more than once: the first cell was graded")
    known = {_meta(c).get("grade_id") for c in source_cells if _meta(c).get("grade_id")}
    matched: dict[str, dict] = {}
    lost: list[str] = []
    for c in source_cells:
        gid = _meta(c).get("grade_id")
        if gid is None:
            continue
        cell = by_gid.get(gid)
        if cell is None and isinstance(c.get("id"), str) and c["id"] in by_id:
            cell = by_id[c["id"]]             # nbgrader metadata lost: the cell id holds
            if _meta(c).get("solution"):
                lost.append(gid)
        if cell is not None:
            matched[gid] = cell
    if lost:
        flags.append(f"answer cells had lost their nbgrader metadata, matched by cell id: "
                     f"{', '.join(lost)}")
    used = {id(c) for c in matched.values()}
    added, after = [], None
    order = {id(c): _meta(src).get("grade_id") for src in source_cells
             for c in [matched.get(_meta(src).get("grade_id"))] if c is not None}
    for c in sub_cells:
        if not isinstance(c, dict):
            continue
        if id(c) in order:
            after = order[id(c)]
        elif id(c) not in used and c.get("cell_type") == "code":
            gid = _meta(c).get("grade_id")
            if isinstance(gid, str) and gid not in known:
                flags.append(f"a cell has the unknown grade id {gid!r} (renamed?): it ran "
                             "as a cell the student added")
            if _text(c.get("source")).strip():
                added.append((after, c))
    return matched, added


def build_plan(source: dict, submission_raw: bytes | str) -> Plan:
    """The plan for one submission; :class:`NotGradable` if its file cannot be read."""
    sub = _read_submission(submission_raw)
    flags: list[str] = []
    src_cells = source["cells"]
    matched, added = _match(src_cells, sub["cells"], flags)
    cells: list[Cell] = []
    student_names: list[str] = []
    manual: dict[str, float] = {}
    answers: dict[str, str] = {}
    edited: list[str] = []                # locked or test cells whose text changed
    for c in src_cells:
        meta = _meta(c)
        gid = meta.get("grade_id")
        code = _text(c.get("source"))
        if c.get("cell_type") != "code":
            if meta.get("grade") and meta.get("solution"):       # a manually graded answer
                manual[gid] = float(meta.get("points", 0))
                got = matched.get(gid)
                answers[gid] = _text(got.get("source")) if got else ""
            continue
        if meta.get("solution"):
            got = matched.get(gid)
            if got is None:
                flags.append(f"answer cell {gid!r} is missing: graded as unanswered")
                text = ""
            elif got.get("cell_type") != "code":
                flags.append(f"answer cell {gid!r} was turned into {got.get('cell_type')}: "
                             "graded as unanswered")
                text = ""
            else:
                text = _text(got.get("source"))
            reference = "\n".join(ln for ln in code.splitlines()
                                  if ln.strip() not in _SOLUTION_MARKERS)
            binds = bound_names(reference)
            student_names += [n for n in sorted(binds) if n not in student_names]
            cells.append(Cell("student", gid, text, binds=binds))
            answers[gid] = text
            for pattern, what in _SUSPICIOUS:
                if re.search(pattern, text):
                    flags.append(f"answer cell {gid!r} {what}")
        elif meta.get("grade"):
            cells.append(Cell("test", gid, code, visible=strip_hidden(code),
                              points=float(meta.get("points", 0))))
            got = matched.get(gid)
            if got is not None and _norm(_text(got.get("source"))) != _norm(strip_hidden(code)):
                edited.append(gid)
        else:
            cells.append(Cell("instructor", gid, code, binds=bound_names(code)))
            got = matched.get(gid)
            if got is not None and _norm(_text(got.get("source"))) != _norm(code):
                edited.append(gid)
        for after, extra in added:
            if after == gid:
                text = _text(extra.get("source"))
                cells.append(Cell("student", None, text))
                for pattern, what in _SUSPICIOUS:
                    if re.search(pattern, text):
                        flags.append(f"an added cell {what}")
    for after, extra in added:
        if after is None:                       # added before every known cell
            cells.insert(0, Cell("student", None, _text(extra.get("source"))))
    if edited:
        flags.append(f"locked or test cells were edited (the originals ran): "
                     f"{', '.join(edited)}")
    tags = {t for c in sub["cells"] if isinstance(c, dict)
            for t in ((c.get("metadata") or {}).get("tags") or []) if isinstance(t, str)}
    if tags & {"skip-execution", "raises-exception", "skip"}:
        flags.append(f"cell tags {sorted(tags & {'skip-execution', 'raises-exception', 'skip'})}"
                     " were ignored")
    _mark_trusted(cells)
    _mark_kernel(cells)
    plan = Plan(cells, student_names, sorted(set(flags), key=flags.index), manual, answers)
    plan.max_score = sum(c.points for c in cells if c.role == "test") + sum(manual.values())
    return plan


def _norm(code: str) -> str:
    return "\n".join(ln.rstrip() for ln in code.strip().splitlines())


def _mark_trusted(cells: list[Cell]) -> None:
    """An instructor cell runs in the trusted runner too when a later trusted cell uses a
    name it binds (working backwards); the first code cell (the set-up) always does."""
    needed: set[str] = set()
    first = next((c for c in cells if c.role == "instructor"), None)
    for cell in reversed(cells):
        if cell.role == "test":
            needed |= mentioned_names(cell.source)
        elif cell.role == "instructor":
            if cell is first or cell.binds & needed:
                cell.trusted = True
                needed |= mentioned_names(cell.source)


# Code that can reach a global by a computed name: its cell's reads cannot be listed.
_DYNAMIC = re.compile(r"\b(globals|vars|locals|eval|exec|getattr|__import__|__main__|"
                      r"get_ipython|sys|__dict__|importlib|inspect|_getframe)\b")


def global_reads(code: str) -> set[str] | None:
    """The global names ``code`` may read before binding them itself: at its top level
    in the order it runs (``for name in ...: print(name)`` reads no global ``name``;
    a name bound inside an ``if`` or a loop is not known to be bound after it), and from
    inside the functions, classes and comprehensions it defines (their parameters and
    locals are not reads). ``None`` when that cannot be known: the code does not parse,
    or it can reach a global by a computed name (``globals()``, ``eval``, ``getattr``...)."""
    if _DYNAMIC.search(code):
        return None
    try:
        tree = ast.parse(code)
        top = symtable.symtable(code, "<cell>", "exec")
    except (SyntaxError, ValueError):
        return None
    reads: set[str] = set()

    def nested(table) -> None:               # globals read inside nested scopes
        for child in table.get_children():
            reads.update(s.get_name() for s in child.get_symbols()
                         if s.is_global() or s.is_declared_global())
            nested(child)

    nested(top)
    _Reads(reads).block(tree.body, set())
    return reads


class _Reads(ast.NodeVisitor):
    """The top-level reads of a cell, statement by statement, as they run."""

    _SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
    _COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)

    def __init__(self, reads: set[str]):
        self.reads, self.bound = reads, set()

    def load(self, node, bound: set[str]) -> None:
        """Names ``node`` reads here (its nested scopes: see ``nested``)."""
        if node is None:
            return
        self.bound, saved = bound, self.bound
        self.visit(node)
        self.bound = saved

    def visit_Name(self, node):
        if isinstance(node.ctx, ast.Load) and node.id not in self.bound:
            self.reads.add(node.id)

    def generic_visit(self, node):
        if isinstance(node, self._SCOPES):
            for part in getattr(node, "decorator_list", []) + getattr(node, "bases", []):
                self.visit(part)
            args = getattr(node, "args", None)
            if args is not None:
                for default in args.defaults + [d for d in args.kw_defaults if d]:
                    self.visit(default)
            return
        if isinstance(node, self._COMPREHENSIONS):   # only the first iterable runs here
            self.visit(node.generators[0].iter)
            return
        super().generic_visit(node)

    def block(self, statements, bound: set[str]) -> None:
        for stmt in statements:
            if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
                self.load(stmt.value, bound)
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                for target in targets:
                    if not isinstance(target, ast.Name):
                        self.load(target, bound)     # x[i] = ..., x.a = ... read x
                bound |= _stored(targets)
            elif isinstance(stmt, (ast.For, ast.AsyncFor)):
                self.load(stmt.iter, bound)
                self.block(stmt.body, bound | _stored([stmt.target]))
                self.block(stmt.orelse, set(bound))
            elif isinstance(stmt, (ast.If, ast.While)):
                self.load(stmt.test, bound)
                self.block(stmt.body, set(bound))
                self.block(stmt.orelse, set(bound))
            elif isinstance(stmt, (ast.With, ast.AsyncWith)):
                for item in stmt.items:
                    self.load(item.context_expr, bound)
                self.block(stmt.body, bound | _stored(
                    [i.optional_vars for i in stmt.items if i.optional_vars is not None]))
            elif isinstance(stmt, ast.Try):
                for part in (stmt.body, stmt.orelse, stmt.finalbody,
                             *[h.body for h in stmt.handlers]):
                    self.block(part, set(bound))
            elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
                bound |= {(a.asname or a.name).split(".")[0] for a in stmt.names}
            elif isinstance(stmt, self._SCOPES):
                self.load(stmt, bound)
                bound.add(stmt.name)
            else:                                   # x += 1 reads x; expressions; ...
                if isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name):
                    if stmt.target.id not in bound:
                        self.reads.add(stmt.target.id)
                self.load(stmt, bound)


def _stored(targets) -> set[str]:
    return {n.id for t in targets for n in ast.walk(t)
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}


def _mark_kernel(cells: list[Cell]) -> None:
    """Which instructor cells run in the sandbox (working backwards). A cell that is not
    the set-up and reads no name an answer binds is the same for every student: when no
    answer or added cell (anywhere: its functions may be called later) and no later
    instructor cell kept in the sandbox reads a name it binds, it skips the sandbox; when
    some do and it runs in the trusted runner, the runner sends those names' values
    (``send``; where a value is not plain data the runner runs the cell in the sandbox
    after all). Where some code's reads cannot be listed, the cells run in the sandbox."""
    student_binds: set[str] = set()
    # a student function may be called by any later test, so what any answer reads
    # counts, wherever the answer is (an early helper may read a later cell's runs)
    read_later: set[str] = set()
    everything = False                       # some sandbox code may read any name
    for cell in cells:
        if cell.role == "student":
            student_binds |= cell.binds | bound_names(cell.source)
            reads = global_reads(cell.source)
            if reads is None:
                everything = True
            else:
                read_later |= reads
    first = next((c for c in cells if c.role == "instructor"), None)
    for cell in reversed(cells):
        if cell.role in ("test", "student"):
            continue
        if cell.role == "instructor" and cell is not first and not everything:
            reads = global_reads(cell.source)
            if reads is not None and not reads & student_binds:
                wanted = cell.binds & read_later
                if not wanted:
                    cell.kernel = "skip"
                    continue
                if cell.trusted:
                    cell.kernel, cell.sends = "send", frozenset(wanted)
                    continue
        reads = global_reads(cell.source)
        if reads is None:
            everything = True
        else:
            read_later |= reads
