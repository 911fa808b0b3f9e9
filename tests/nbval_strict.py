"""pytest plugin for executing lessons with nbval.

- A lesson cell that writes to stderr (a warning, say) fails: nbval's lax mode checks
  that cells run without errors; lessons must also run without warnings.
- All cells of one notebook share a kernel, so they are put in one ``xdist_group``
  (``make test`` runs ``--dist loadgroup``): a notebook never gets split across workers.
- nbval's kernels talk over Unix sockets, not TCP ports (POSIX only): see
  ``gradkit.course._kernels`` for why.
- After a lesson's last cell, one more item runs ``tests/lesson_claims/<lesson>.py`` in
  the same kernel: the numbers and outcomes the prose states, checked against what the
  lesson just measured (see ``tests/lesson_claims/_claim.py``).
"""
import itertools
import pathlib
import shutil
import tempfile
from collections import defaultdict

import pytest

from gradkit.course._kernels import socket_kernel_settings

_ipc_dir: str | None = None


def _use_ipc_kernels() -> None:
    global _ipc_dir
    import nbval.kernel
    from jupyter_client.manager import KernelManager

    _ipc_dir = tempfile.mkdtemp(prefix="nbval-ipc-")
    counter = itertools.count()

    class IpcKernelManager(KernelManager):
        def __init__(self, **kwargs):
            super().__init__(**{**socket_kernel_settings(_ipc_dir, f"kernel{next(counter)}"),
                                **kwargs})

    nbval.kernel.KernelManager = IpcKernelManager


def pytest_configure(config):
    _use_ipc_kernels()


def pytest_unconfigure(config):
    if _ipc_dir is not None:
        shutil.rmtree(_ipc_dir, ignore_errors=True)


_CLAIMS = pathlib.Path(__file__).parent / "lesson_claims"


def claims_source(notebook: pathlib.Path) -> str:
    """The code that checks a lesson's claims, run in its kernel after its last cell."""
    readme = notebook.parent.parent / "README.md"
    claims = _CLAIMS / f"{notebook.stem}.py"
    if not claims.is_file():
        return f"raise FileNotFoundError('every lesson needs a claims file: {claims}')"
    return (f"exec(compile(open({str(_CLAIMS / '_claim.py')!r}, encoding='utf-8').read(), "
            f"'_claim.py', 'exec'))\n"
            f"_run_claims({str(notebook)!r}, {str(readme)!r}, {str(claims)!r}, globals())")


def _claims_item(last_cell):
    """An extra cell item for a lesson, run in its kernel after ``last_cell``."""
    import nbformat
    from nbval.plugin import IPyNbCell

    source = claims_source(pathlib.Path(last_cell.path))
    return IPyNbCell.from_parent(last_cell.parent, name="claims", cell_num=last_cell.cell_num + 1,
                                 cell=nbformat.v4.new_code_cell(source),
                                 options=defaultdict(bool, check=False))


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    # A lesson collected whole gets its claims item right after its last cell (a
    # notebook's items are consecutive), to run in its kernel before the kernel stops.
    ends = {}
    for i, item in enumerate(items):
        if type(item).__name__ == "IPyNbCell":
            ends.setdefault(item.parent, []).append(i)
    for notebook, at in sorted(ends.items(), key=lambda kv: -kv[1][-1]):
        whole = len(at) == sum(c.cell_type == "code" for c in notebook.nb.cells)
        if notebook.path.parent.name == "lessons" and notebook.path.stem[:2].isdigit() and whole:
            items.insert(at[-1] + 1, _claims_item(items[at[-1]]))
    for item in items:
        if type(item).__name__ == "IPyNbCell":
            item.add_marker(pytest.mark.xdist_group(f"lesson_{item.path.stem}"))


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session):
    # Guard: under --dist loadgroup, xdist must have tagged every cell's node id with its
    # group; if it did not (a pytest/xdist mismatch), cells would run in different kernels.
    if getattr(session.config.option, "loadgroup", False):
        untagged = [i.nodeid for i in session.items
                    if type(i).__name__ == "IPyNbCell" and "@" not in i.nodeid]
        if untagged:
            raise pytest.UsageError(
                f"pytest-xdist did not group notebook cells ({untagged[0]} has no @group): "
                "install the pytest version pinned in requirements-lock.txt")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    result = yield
    outputs = getattr(item, "test_outputs", None)
    if not outputs:
        return result
    stderr = [o.get("text", "") for o in outputs
              if o.get("output_type") == "stream" and o.get("name") == "stderr"]
    if stderr:
        pytest.fail("cell wrote to stderr (warnings are not allowed in lessons):\n"
                    + "".join(stderr)[:2000], pytrace=False)
    return result
