"""A reader that goes away (`essence analyze --csv - | head -1`): the command stops with the
shell's status for a closed pipe, 141, and no traceback, from a real pipe whose reading end
is closed before the command writes (so the first write fails, every time)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from performance.cli import PIPE_CLOSED

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


def _into_a_closed_pipe(face_model: Path, *args: str) -> subprocess.CompletedProcess[str]:
    read, write = os.pipe()
    os.close(read)  # nobody will ever read: the command's first write fails (EPIPE)
    # buffered as a user's shell has it (this sandbox sets PYTHONUNBUFFERED): the output is
    # then written at the flush, which must be where the closed pipe is caught
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    try:
        return subprocess.run([sys.executable, "-m", "performance", *args], cwd=ROOT,
                              stdout=write, stderr=subprocess.PIPE, text=True, timeout=120,
                              check=False, env={**env, "PYTHONPATH": str(ROOT),
                                                "ESSENCE_FACE_MODEL": str(face_model)})
    finally:
        os.close(write)


@pytest.mark.parametrize("command", [("check", "--no-gl"), ("analyze", "--csv", "-")])
def test_a_closed_pipe_ends_the_command_quietly(command: tuple[str, ...], face_model: Path,
                                                testdata: Path) -> None:
    args = (*command, str(testdata / "single_face.jpg")) if "analyze" in command else command
    done = _into_a_closed_pipe(face_model, *args)
    assert "Traceback" not in done.stderr, done.stderr
    assert "BrokenPipeError" not in done.stderr, done.stderr
    assert done.returncode == PIPE_CLOSED, (done.returncode, done.stderr)
