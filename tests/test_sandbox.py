"""The sandbox a submission's kernel runs in: what it can see, reach and write."""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from gradkit.course import sandbox
from tests.course import ROOT

pytestmark = pytest.mark.skipif(bool(sandbox.unavailable()) and not os.environ.get("CI"),
                                reason=f"bubblewrap cannot run here: {sandbox.unavailable()}")

PROBE = r"""
import json, os, socket, sys
out = {}
for name, path in json.loads(sys.argv[1]).items():
    out[name] = os.path.exists(path)
try:
    socket.create_connection(("127.0.0.1", 22), timeout=2)
    out["network"] = True
except OSError:
    out["network"] = False
for name, path in (("write_scratch", "here.txt"), ("write_home_of_course", sys.argv[2])):
    try:
        open(path, "w").write("x")
        out[name] = True
    except OSError:
        out[name] = False
print(json.dumps(out))
"""


def _probe(scratch: Path, paths: dict[str, str], outside: str) -> dict:
    import json
    proc = subprocess.run(sandbox.command([sys.executable, "-c", PROBE, json.dumps(paths),
                                           outside], scratch),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_the_kernel_sees_its_scratch_and_the_installation_only(tmp_path, monkeypatch):
    # a folder under /tmp that is bound read-only (a course or environment kept in /tmp)
    kept = Path(tempfile.mkdtemp(prefix="gk-sbx-kept-"))
    (kept / "module.txt").write_text("ok")
    other = Path(tempfile.mkdtemp(prefix="gk-sbx-other-"))
    (other / "secret.txt").write_text("no")
    scratch = Path(tempfile.mkdtemp(prefix="gk-sbx-scratch-"))
    real = sandbox._read_only_paths()
    monkeypatch.setattr(sandbox, "_read_only_paths", lambda: [*real, str(kept)])
    seen = _probe(scratch, {
        "python": sys.executable, "bound_under_tmp": str(kept / "module.txt"),
        "other_tmp_folder": str(other / "secret.txt"),
        "solutions": str(ROOT / "solutions"), "gradebook_folder": str(ROOT / "nbgrader_config.py"),
        "passwd": "/etc/passwd"}, str(kept / "written.txt"))
    assert seen == {"python": True, "bound_under_tmp": True, "other_tmp_folder": False,
                    "solutions": False, "gradebook_folder": False, "passwd": False,
                    "network": False, "write_scratch": True, "write_home_of_course": False}
    assert (scratch / "here.txt").read_text() == "x"
    assert not (kept / "written.txt").exists()
