"""pytest plugin: a lesson cell that writes to stderr (a warning, say) fails under nbval.

nbval's lax mode checks that cells run without errors; lessons must also run without
warnings, which reach the notebook as ``stderr`` stream output.
"""
import pytest


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
