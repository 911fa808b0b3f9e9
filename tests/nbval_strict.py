"""pytest plugin for executing lessons with nbval.

- A lesson cell that writes to stderr (a warning, say) fails: nbval's lax mode checks
  that cells run without errors; lessons must also run without warnings.
- All cells of one notebook share a kernel, so they are put in one ``xdist_group``
  (``make test`` runs ``--dist loadgroup``): a notebook never gets split across workers.
- nbval's kernels talk over Unix sockets, not TCP ports (POSIX only): see
  ``gradkit._kernels`` for why.
"""
import itertools
import shutil
import tempfile

import pytest

from gradkit._kernels import socket_kernel_settings

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


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
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
