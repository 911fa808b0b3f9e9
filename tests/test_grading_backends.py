"""The grading command on a real PostgreSQL server and on a running Dask cluster.

The tests start both themselves on this machine and stop them after: PostgreSQL from a
throwaway data folder on a free port (``initdb``, ``pg_ctl``), a Dask scheduler and one
worker process (``dask scheduler``, ``dask worker``). The same three sample submissions of
ps02 graded with the defaults (a local cluster, the sqlite gradebook) are the baseline
both must equal.
"""
from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pytest

from gradkit.course import engine, grading
from gradkit.course.sandbox import unavailable
from tests.course import ROOT

A = "ps02_vanishing_exploding_gradients"
pytestmark = [pytest.mark.xdist_group("backends"), pytest.mark.skipif(
    bool(unavailable()) and not os.environ.get("CI"),
    reason=f"bubblewrap cannot run here: {unavailable()}")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _course(where: Path) -> Path:
    shutil.copy2(ROOT / "nbgrader_config.py", where / "nbgrader_config.py")
    shutil.copytree(ROOT / "solutions" / A, where / "solutions" / A)
    for student, nb in grading.samples(A, ROOT).items():
        folder = where / "submitted" / student / A
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{A}.ipynb")
    return where


def _scores(result) -> dict:
    return {o.student: (o.status, o.scores) for o in result.outcomes}


def _stored(db_url: str) -> dict:
    from nbgrader.api import Gradebook
    out = {}
    with Gradebook(db_url) as gb:
        for submission in gb.find_assignment(A).submissions:
            for nb in submission.notebooks:
                out[submission.student.id] = {g.name: g.score for g in nb.grades
                                              if g.cell.cell_type == "code"}
    return out


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    course = _course(tmp_path_factory.mktemp("baseline"))
    result = engine.grade(A, course=course, workers=1)
    return result, _stored(f"sqlite:///{course / 'gradebook.db'}")


def _pg_bin(name: str) -> str:
    found = shutil.which(name) or next(
        (str(p) for p in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))), None)
    if found is None:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL's {name} is not installed")
        pytest.skip(f"PostgreSQL's {name} is not installed")
    return found


@pytest.fixture(scope="module")
def postgres():
    """A throwaway PostgreSQL server: ``(url)``; as root the server runs as ``postgres``."""
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    as_user = []
    folder = Path(tempfile.mkdtemp(prefix="gk-pg-"))
    if os.geteuid() == 0:                 # PostgreSQL refuses to run as root
        user = pwd.getpwnam("postgres")
        os.chown(folder, user.pw_uid, user.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    data, port = folder / "data", _free_port()
    run = lambda *cmd: subprocess.run([*as_user, *cmd], capture_output=True, text=True,  # noqa: E731
                                      check=True, timeout=120)
    run(initdb, "-D", str(data), "--auth=trust", "--username=grader", "--encoding=UTF8")
    run(pg_ctl, "-D", str(data), "-l", str(folder / "log"), "-w", "-t", "60", "start", "-o",
        f"-p {port} -k {folder} -c listen_addresses=127.0.0.1")
    try:
        run(_pg_bin("createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "grader",
            "gradebook")
        yield f"postgresql://grader@127.0.0.1:{port}/gradebook"
    finally:
        subprocess.run([*as_user, pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop"],
                       capture_output=True, timeout=120)
        shutil.rmtree(folder, ignore_errors=True)


def test_postgresql_gradebook_holds_the_same_grades(baseline, postgres, tmp_path):
    result, stored = baseline
    course = _course(tmp_path)
    on_pg = engine.grade(A, course=course, workers=1, db=postgres)
    assert _scores(on_pg) == _scores(result)
    assert _stored("postgresql+psycopg://" + postgres.split("://", 1)[1]) == stored
    assert not (course / "gradebook.db").exists()
    env = {**os.environ, "PATH": os.pathsep.join([str(Path(sys.executable).parent),
                                                   os.environ["PATH"]])}
    proc = subprocess.run([sys.executable, "-m", "nbgrader", "export", "--to", "pg.csv",
                           "--CourseDirectory.db_url=postgresql+psycopg://"
                           + postgres.split("://", 1)[1]],
                          cwd=course, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert len((course / "pg.csv").read_text().splitlines()) == 4


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory):
    """``dask scheduler`` and one ``dask worker`` process, as separate commands."""
    folder = tmp_path_factory.mktemp("dask")
    dask = str(Path(sys.executable).parent / "dask")
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    logs = [open(folder / "scheduler.log", "w"), open(folder / "worker.log", "w")]
    procs = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", str(port),
                               "--dashboard-address", ":0"], stdout=logs[0], stderr=logs[0],
                              cwd=folder)]
    time.sleep(2)
    procs.append(subprocess.Popen([dask, "worker", address, "--nthreads", "1", "--nworkers",
                                   "1", "--dashboard-address", ":0", "--no-nanny"],
                                  stdout=logs[1], stderr=logs[1], cwd=folder))
    try:
        from dask.distributed import Client
        with Client(address, timeout="60s") as client:
            client.wait_for_workers(1, timeout=60)
        yield address
    finally:
        for p in reversed(procs):
            p.terminate()
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
        for f in logs:
            f.close()


def test_grading_on_a_running_dask_cluster_gives_the_same_grades(baseline, dask_cluster,
                                                                  tmp_path):
    result, stored = baseline
    course = _course(tmp_path)
    on_cluster = engine.grade(A, course=course, scheduler=dask_cluster)
    assert _scores(on_cluster) == _scores(result)
    assert _stored(f"sqlite:///{course / 'gradebook.db'}") == stored
