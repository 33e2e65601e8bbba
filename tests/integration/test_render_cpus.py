"""`renderer_cpus = "others"`: a real `essence run` on a real clip keeps its perception child on
the last CPU and starts the software renderer's threads, one per other CPU, kept off it
(core/priority.py); with nobody on a CPU of its own (scripted input) the renderer uses any."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from performance.core.priority import RENDERER_THREADS

pytestmark = [pytest.mark.integration, pytest.mark.gl]

ROOT = Path(__file__).resolve().parents[2]


def _renderer_threads(pid: int) -> dict[int, frozenset[int]]:
    """The process's software-renderer threads: id -> the CPUs it may run on."""
    found: dict[int, frozenset[int]] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            if (task / "comm").read_text().startswith(RENDERER_THREADS):
                found[int(task.name)] = frozenset(os.sched_getaffinity(int(task.name)))
        except OSError:  # the thread ended meanwhile
            continue
    return found


def _perception_children(pid: int) -> list[frozenset[int]]:
    """The CPUs each child process of `pid` may run on (the perception, the OSC input...)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            ppid = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if ppid == pid:
                found.append(frozenset(os.sched_getaffinity(int(proc.name))))
        except (OSError, IndexError, ValueError):  # gone meanwhile
            continue
    return found


def _run(tmp_path: Path, cpus: str, source: str
         ) -> tuple[dict[int, frozenset[int]], list[frozenset[int]], str]:
    """A 6 s headless show of `source` with `renderer_cpus = cpus`: its renderer threads and
    its children's CPUs as seen from outside during the run, and what it logged."""
    config = tmp_path / f"{cpus}.toml"
    config.write_text(f'renderer_cpus = "{cpus}"\nperception_cpu = "last"\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "LP_NUM_THREADS"}
    child = subprocess.Popen(
        [sys.executable, "-m", "performance", "--config", str(config), "run",
         "--headless", "--input", source, "--loop", "--seconds", "6", "--size", "160x90",
         "--no-sound", "--osc-port", "0"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    seen: dict[int, frozenset[int]] = {}
    deadline = time.monotonic() + 60
    while not seen and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
        seen = _renderer_threads(child.pid)
    time.sleep(0.5)  # the threads are kept right after the context exists
    seen = _renderer_threads(child.pid) or seen
    children = _perception_children(child.pid)
    pinned = frozenset(sorted(os.sched_getaffinity(0))[-1:])
    while source != "scripted" and pinned not in children and child.poll() is None \
            and time.monotonic() < deadline:  # the perception child starts after the context
        time.sleep(0.2)
        children = _perception_children(child.pid)
    _, err = child.communicate(timeout=120)
    assert child.returncode == 0, err[-2000:]
    return seen, children, err


def test_the_renderer_keeps_off_the_perception_cpu_only_when_asked(
        tmp_path: Path, testdata: Path) -> None:
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        pytest.skip("one CPU: there is no other CPU to keep the renderer on")
    last, others = frozenset(cpus[-1:]), frozenset(cpus[:-1])  # perception_cpu = "last"
    clip = str(testdata / "single_face.mp4")
    seen, children, err = _run(tmp_path, "others", clip)
    if not seen:
        pytest.skip("no software renderer here (a GPU's driver starts no llvmpipe threads)")
    assert children.count(last) == 1, children  # the perception child, on the last CPU
    assert set(seen.values()) == {others}, seen
    assert len(seen) == len(others)  # one worker thread per CPU it may use
    shown = ", ".join(str(c) for c in sorted(others))
    assert f"the software renderer runs on CPUs {shown}, off the perception's" in err
    seen, children, err = _run(tmp_path, "any", clip)  # the default: every CPU, one each
    assert set(seen.values()) == {frozenset(cpus)} and len(seen) == len(cpus), seen
    assert children.count(last) == 1, children
    assert "off the perception's" not in err
    seen, children, err = _run(tmp_path, "others", "scripted")  # no perception to keep off
    assert set(seen.values()) == {frozenset(cpus)} and len(seen) == len(cpus), seen
    assert "no perception process kept on a CPU of its own here" in err
