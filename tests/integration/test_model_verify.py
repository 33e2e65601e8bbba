"""Model files corrupted in place after a good run (same size, same mtime): `essence check`
fails them, no command loads them, and what MediaPipe and LiteRT get is the hashed bytes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from performance.core.types import Frame
from performance.emotion.mapping import EmotionMapping
from performance.perception.landmarker import FaceLandmarkerAdapter
from performance.sources.images import load_rgb

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
FACE_CORRUPTION = (3_600_000, 2000)
"""Where 0xFF bytes go in the face model: inside the blendshape network's weights, so the
file still loads and every face reads 1/7 for each class (what the fault injection saw)."""


def corrupt_in_place(path: Path, offset: int, count: int) -> None:
    """Overwrite `count` bytes at `offset` and put the size and mtime back as they were."""
    before = path.stat()
    with path.open("r+b") as fh:
        fh.seek(offset)
        fh.write(b"\xff" * count)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)


def essence(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m performance ARGS` with a private cache folder (where verified.json was)."""
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"), "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "performance", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def _one_error_line(done: subprocess.CompletedProcess[str], starts: str) -> None:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    mine = [line for line in done.stderr.splitlines() if line.startswith("essence: ")]
    assert len(mine) == 1 and mine[0].startswith(starts), done.stderr


def test_a_face_model_corrupted_in_place_fails_check_and_is_not_loaded(
    tmp_path: Path, face_model: Path, testdata: Path
) -> None:
    copy = tmp_path / "face_landmarker.task"
    shutil.copyfile(face_model, copy)
    good = essence(tmp_path, "check", "--no-gl", "--face-model", str(copy))
    assert good.returncode == 0 and f"OK    face model: {copy}" in good.stdout, good.stdout
    corrupt_in_place(copy, *FACE_CORRUPTION)

    bad = essence(tmp_path, "check", "--no-gl", "--face-model", str(copy))
    assert bad.returncode == 1, bad.stdout
    assert f"FAIL  face model: {copy}: SHA-256 " in bad.stdout
    done = essence(tmp_path, "analyze", str(testdata / "single_face.jpg"), "--face-model",
                   str(copy), "--reader", "blendshapes", "--csv", "-", "--no-progress")
    _one_error_line(done, f"essence: {copy}: SHA-256 ")
    assert "0.1429" not in done.stdout  # no face read 1/7 for each class


def test_an_expression_model_corrupted_in_place_fails_check_and_is_not_loaded(
    tmp_path: Path, face_model: Path, testdata: Path
) -> None:
    network = Path(os.environ["ESSENCE_EXPRESSION_MODEL"])
    copy = tmp_path / network.name
    shutil.copyfile(network, copy)
    args = ("--face-model", str(face_model), "--expression-model", str(copy))
    good = essence(tmp_path, "check", "--no-gl", *args)
    assert good.returncode == 0 and f"OK    expression model: {copy}" in good.stdout, good.stdout
    corrupt_in_place(copy, copy.stat().st_size // 2, 256)

    bad = essence(tmp_path, "check", "--no-gl", *args)
    assert bad.returncode == 1 and f"FAIL  expression model: {copy}: SHA-256 " in bad.stdout
    done = essence(tmp_path, "analyze", str(testdata / "single_face.jpg"), *args,
                   "--reader", "fused", "--csv", "-", "--no-progress")
    _one_error_line(done, f"essence: {copy}: SHA-256 ")


def test_mediapipe_reads_the_bytes_that_were_hashed_not_the_file_again(
    tmp_path: Path, face_model: Path, testdata: Path
) -> None:
    """A detector built from a good file, the file then corrupted in place: the landmarker
    it makes later (IMAGE mode, for a still) still reads the face, from the checked bytes."""
    copy = tmp_path / "face_landmarker.task"
    shutil.copyfile(face_model, copy)
    mapping = EmotionMapping.load()
    still = Frame(image=load_rgb(testdata / "single_face.jpg"), timestamp=0.0, index=0,
                  source="single_face.jpg", is_still=True)
    with FaceLandmarkerAdapter(copy, mode="video") as detector:  # only VIDEO mode made now
        corrupt_in_place(copy, *FACE_CORRUPTION)
        faces = detector.detect(still).faces  # IMAGE mode, made now, after the corruption
    assert len(faces) == 1
    reading = mapping.predict(faces[0].blendshapes)
    assert reading.label == "happy" and max(reading.probabilities) > 0.5, reading
