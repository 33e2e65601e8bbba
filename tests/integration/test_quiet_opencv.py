"""A file that is no video gets the rig's one line on stderr and nothing else: OpenCV's own
`[ WARN ] cap.cpp` and its FFmpeg's `moov atom not found` used to come first (cvlog.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


def _stderr(*args: str, **env: str) -> tuple[int, list[str]]:
    done = subprocess.run([sys.executable, "-m", "performance", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **env})
    return done.returncode, done.stderr.strip().splitlines()


def test_a_text_file_named_mp4_is_one_line_on_stderr(tmp_path: Path, face_model: Path) -> None:
    fake = tmp_path / "take.mp4"
    fake.write_text("not a video at all\n")
    model = {"ESSENCE_FACE_MODEL": str(face_model)}
    code, lines = _stderr("analyze", str(fake), **model)
    assert code == 2
    assert lines == [f"essence: {fake}: not a readable video (FFmpeg cannot open it: damaged "
                     "or not a video)"], lines
    # the switch to see them: the same error, OpenCV's lines before it
    code, lines = _stderr("analyze", str(fake), ESSENCE_OPENCV_LOGS="1", **model)
    assert code == 2 and len(lines) > 1 and lines[-1].startswith(f"essence: {fake}: ")
