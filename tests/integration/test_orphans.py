"""No child outlives `essence run`: SIGKILL takes every child with it (core.orphans), and
SIGTERM or a hang-up is a clean stop through the run's normal path (runtime.signals).

Each case is a real run with all of its children: the sound on the null ALSA device, the
OSC process on a free port, perception in its own process on a looping face clip (the real
face model and expression network), and multiprocessing's resource tracker. Before the fix
a SIGKILL, SIGTERM or SIGHUP left the sound child re-parented to PID 1 at a whole core,
with perception and the tracker beside it.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from tests.integration.rig_process import TRACKER, Rig, alive, essence_run, wait_until

pytestmark = pytest.mark.integration

CHILDREN = {"essence-audio", "essence-osc", "essence-percept", TRACKER}


def _all_children_running(rig: Rig) -> dict[int, str]:
    rig.wait_rendering()
    assert wait_until(lambda: set(rig.children().values()) >= CHILDREN, 10.0) is not None, \
        rig.children()
    return rig.children()


@pytest.mark.parametrize("how", ["SIGKILL", "SIGTERM", "SIGHUP to the group"])
def test_no_child_outlives_the_run(how: str, testdata: Path, face_model: Path) -> None:
    args = ["--input", str(testdata / "single_face.mp4"), "--loop",
            "--face-model", str(face_model), "--seconds", "120"]
    with essence_run(args) as rig:
        children = _all_children_running(rig)
        if how == "SIGKILL":
            os.kill(rig.pid, signal.SIGKILL)
            gone = wait_until(lambda: not any(alive(pid) for pid in children), 2.0)
            left = {pid: name for pid, name in children.items() if alive(pid)}
            assert gone is not None, f"still running 2 s after the SIGKILL: {left}"
            assert rig.wait_exit(1.0) is not None and rig.proc.returncode == -signal.SIGKILL
            return
        if how == "SIGTERM":
            os.kill(rig.pid, signal.SIGTERM)
        else:  # a terminal's hang-up reaches the whole foreground process group
            os.killpg(rig.pid, signal.SIGHUP)
        took = rig.wait_exit(3.0)
        stderr = rig.finish()
        assert took is not None, f"still running 3 s after {how}:\n{stderr[-2000:]}"
        assert rig.proc.returncode == 0, stderr[-2000:]
        name = how.split()[0]
        assert f"{name}: the run ended on request" in stderr
        assert " frames in " in rig.stdout and "sound: playing" in rig.stdout  # normal end
        assert wait_until(lambda: not any(alive(pid) for pid in children), 1.0) is not None, \
            {pid: n for pid, n in children.items() if alive(pid)}
        assert "relaunching" not in stderr and "Traceback" not in stderr, stderr[-2000:]
        print(f"\n{how}: exit 0 after {took:.2f} s")


MIDDLE = r"""
import os, subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", sys.argv[1], str(os.getpid())])
print(child.pid, flush=True)
time.sleep(60)
"""

CHILD = r"""
import sys, time
from performance.core.orphans import die_with_parent
die_with_parent(int(sys.argv[1]), "essence-test")
time.sleep(60)
"""


def test_die_with_parent_ends_a_child_with_its_parent_or_at_once_when_it_is_gone() -> None:
    """The mechanism alone: a parent killed -> its child gone at once; a child whose
    parent is already gone (it died before the request) exits with ORPHANED_EXIT."""
    import subprocess
    import sys
    import time

    from performance.core.orphans import ORPHANED_EXIT
    from tests.integration.rig_process import ROOT, name_of

    env = dict(os.environ, PYTHONPATH=str(ROOT))
    middle = subprocess.Popen([sys.executable, "-c", MIDDLE, CHILD], env=env,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert middle.stdout is not None
        child = int(middle.stdout.readline())
        assert wait_until(lambda: name_of(child) == "essence-test", 10.0) is not None
        os.kill(middle.pid, signal.SIGKILL)
        assert wait_until(lambda: not alive(child), 1.0) is not None
    finally:
        middle.kill()
        middle.wait()
    started = time.monotonic()
    late = subprocess.run([sys.executable, "-c", CHILD, "1"], env=env, timeout=30)
    assert late.returncode == ORPHANED_EXIT and time.monotonic() - started < 10
