"""Every lesson and its claims hold at a second CPU vector level, not only this machine's.

nbval runs the lessons at the machine's own level (see ``tests/levels.py``); here each
lesson runs top to bottom once more in a fresh kernel with ``ATEN_CPU_CAPABILITY`` forced
to another level the CPU has (``default``, plain code, unless this run is forced to it;
then ``avx2``), with PyTorch's default thread count, and its claims are checked in that
kernel after the last cell. A sentence that holds on one kind of CPU only fails here.
"""
from __future__ import annotations

import os
import tempfile

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from traitlets.config import Config

from gradkit.course._kernels import socket_kernel_settings
from tests.course import LESSONS
from tests.levels import other_levels, own_level
from tests.nbval_strict import claims_source


def _second_level() -> str | None:
    others = other_levels()
    return others[0] if others else None


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_lesson_claims_hold_at_a_second_level(lesson):
    level = _second_level()
    if level is None:
        pytest.skip(f"this CPU has only the {own_level()} level")
    nb = nbformat.read(lesson, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(claims_source(lesson)))
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    env.update(ATEN_CPU_CAPABILITY=level, GRADKIT_HEADLESS="1")
    with tempfile.TemporaryDirectory(prefix="lesson-level-") as sockets:
        client = NotebookClient(nb, timeout=600, kernel_name="python3",
                                config=Config({"KernelManager": socket_kernel_settings(sockets)}),
                                resources={"metadata": {"path": str(lesson.parent)}})
        try:
            client.execute(env=env)
        except CellExecutionError as error:
            pytest.fail(f"{lesson.name} at ATEN_CPU_CAPABILITY={level} (this machine runs "
                        f"{own_level()}):\n{error}"[:6000], pytrace=False)
    stderr = ["".join(o.get("text", "")) for c in nb.cells if c.cell_type == "code"
              for o in c.get("outputs", [])
              if o.get("output_type") == "stream" and o.get("name") == "stderr"]
    assert not stderr, (f"{lesson.name} wrote to stderr at ATEN_CPU_CAPABILITY={level}:\n"
                        + "".join(stderr)[:2000])
