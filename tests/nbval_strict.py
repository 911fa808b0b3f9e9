"""pytest plugin for executing lessons with nbval.

- A lesson cell that writes to stderr (a warning, say) fails: nbval's lax mode checks
  that cells run without errors; lessons must also run without warnings.
- All cells of one notebook share a kernel, so they are put in one ``xdist_group``
  (``make test`` runs ``--dist loadgroup``): a notebook never gets split across workers.
"""
import pytest


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
