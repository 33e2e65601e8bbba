"""Camera zones with the real MediaPipe model on a real clip: an ignore zone over the face
removes it (through `essence analyze --camera-calibration`), a performer zone reads it apart
and leaves it out of the crowd, and the zones follow the picture's mirror."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from performance.cli import main
from performance.config import Settings
from performance.core.types import FaceRole
from performance.emotion.engine import EmotionEngine
from performance.emotion.mapping import EmotionMapping
from performance.perception.landmarker import FaceLandmarkerAdapter
from performance.runtime.pipeline import camera_from_settings, landmarker_factory
from performance.sources.factory import open_source
from performance.sources.video import VideoFileSource
from performance.venue.camera import CameraCalibration, Rotation, save_camera
from performance.venue.polygon import Polygon

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def _model_env(face_model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ESSENCE_FACE_MODEL", str(face_model))


@pytest.fixture(scope="module")
def face_box(testdata: Path, face_model: Path) -> tuple[float, float, float, float]:
    """The box every face centre of the clip lies in (found by the real model)."""
    xs, ys = [], []
    with VideoFileSource(testdata / "single_face.mp4") as source, \
            FaceLandmarkerAdapter(face_model, mode="video") as detector:
        for frame in source:
            for face in detector.detect(frame).faces:
                xs.append(face.center[0])
                ys.append(face.center[1])
    assert len(xs) >= 60
    return min(xs), min(ys), max(xs), max(ys)


def around(box: tuple[float, float, float, float], pad: float = 0.03) -> Polygon:
    x0, y0, x1, y1 = (max(box[0] - pad, 0), max(box[1] - pad, 0), min(box[2] + pad, 1),
                      min(box[3] + pad, 1))
    return ((x0, y0), (x1, y0), (x1, y1), (x0, y1))


def faces_found(capsys: pytest.CaptureFixture[str], clip: Path, *args: str) -> tuple[int, int]:
    """(frames, rows with a face) of `essence analyze clip args`."""
    assert main(["analyze", str(clip), *args, "--csv", "-", "--no-progress"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    return len({r["frame"] for r in rows}), sum(r["label"] != "none" for r in rows)


def test_an_ignore_zone_over_the_face_removes_it(
        testdata: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        face_box: tuple[float, float, float, float]) -> None:
    clip = testdata / "single_face.mp4"
    frames, with_face = faces_found(capsys, clip)
    assert frames >= 70 and with_face >= 0.9 * frames
    zoned = tmp_path / "hall-camera.toml"
    save_camera(zoned, CameraCalibration(ignore_zones=(around(face_box),)))
    frames, with_face = faces_found(capsys, clip, "--camera-calibration", str(zoned))
    assert frames >= 70 and with_face == 0
    # a zone elsewhere (the other side of the picture) keeps the face
    side = ((0.0, 0.0), (0.05, 0.0), (0.05, 0.05), (0.0, 0.05))
    save_camera(zoned, CameraCalibration(ignore_zones=(side,)))
    assert faces_found(capsys, clip, "--camera-calibration", str(zoned))[1] >= 0.9 * frames


def test_zones_are_in_the_mirrored_picture(
        testdata: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        face_box: tuple[float, float, float, float]) -> None:
    x0, y0, x1, y1 = face_box
    mirrored = (1.0 - x1, y0, 1.0 - x0, y1)
    path = tmp_path / "mirror-camera.toml"
    save_camera(path, CameraCalibration(mirror=True, ignore_zones=(around(mirrored),)))
    assert faces_found(capsys, testdata / "single_face.mp4", "--camera-calibration",
                       str(path))[1] == 0
    if abs((x0 + x1) / 2 - 0.5) > 0.08:  # the face sits off-centre: unmirrored it stays
        path2 = tmp_path / "plain-camera.toml"
        save_camera(path2, CameraCalibration(ignore_zones=(around(mirrored, 0.0),)))
        assert faces_found(capsys, testdata / "single_face.mp4", "--camera-calibration",
                           str(path2))[1] > 0


def test_a_performer_zone_reads_the_face_apart_from_the_crowd(
        testdata: Path, tmp_path: Path, face_model: Path,
        face_box: tuple[float, float, float, float]) -> None:
    path = tmp_path / "stage-camera.toml"
    save_camera(path, CameraCalibration(performer_zone=around(face_box)))
    settings = Settings(face_model=str(face_model), camera_calibration=str(path))
    detector = landmarker_factory(settings, "video")()  # the run's and analyze's detector
    engine = EmotionEngine(EmotionMapping.load())
    roles = []
    state = None
    try:
        with open_source(str(testdata / "single_face.mp4"),
                         camera=camera_from_settings(settings)) as source:
            for frame in source:
                observations = detector.detect(frame)
                roles.extend(face.role for face in observations.faces)
                state = engine.update(observations)
    finally:
        detector.close()
    assert len(roles) >= 60 and set(roles) == {FaceRole.PERFORMER}
    assert state is not None and state.faces == () and state.crowd.face_count < 0.05
    assert state.performer is not None
    assert sum(state.performer.probabilities) == pytest.approx(1.0, abs=1e-3)


def test_a_live_rehearsal_reads_through_the_camera_file(
        testdata: Path, tmp_path: Path, face_model: Path) -> None:
    """`essence rehearse --camera-calibration`: the capture turns the frames and the
    perception process drops the faces of an ignore zone (here: the whole picture)."""
    import os
    import re
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root), "ESSENCE_FACE_MODEL": str(face_model),
           "ALSA_CONFIG_PATH": str(root / "tests" / "data" / "alsa-null.conf")}
    everything = ((0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0))
    path = tmp_path / "all-camera.toml"
    save_camera(path, CameraCalibration(mirror=True, rotation=Rotation.CW90,
                                        ignore_zones=(everything,)))
    most = []
    for extra in ([], ["--camera-calibration", str(path)]):
        done = subprocess.run(
            [sys.executable, "-m", "performance", "rehearse", str(testdata / "single_face.mp4"),
             "--headless", "--seconds", "3", "--no-sound", "--osc-port", "0", *extra],
            env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        found = re.search(r"most faces (\d+)", done.stderr + done.stdout)
        assert found is not None, done.stderr
        most.append(int(found.group(1)))
    assert most == [1, 0]


@pytest.mark.parametrize("problem", ["missing", "rotation"])
def test_a_bad_camera_file_stops_a_render_of_the_scripted_audience_too(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], problem: str) -> None:
    """The scripted audience has no camera, but a camera file named for the render is
    loaded all the same: a bad one is the one-line error `run` gives, not a render that
    ignores it and exits 0."""
    from performance.cli import main
    from performance.venue.calfile import save_calibration

    path = tmp_path / "hall-camera.toml"
    if problem == "rotation":
        save_calibration(path, "camera", 1, {"picture": {"rotation": 45}})
    out = tmp_path / "scripted.mp4"
    assert main(["render", "--input", "scripted", "--camera-calibration", str(path),
                 "--seconds", "0.5", "--size", "64x36", "--no-progress", "--out",
                 str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"essence: {path}: ") and err.count("\n") == 1, err
    assert ("picture.rotation: must be 0, 90, 180 or 270" in err) == (problem == "rotation")
    assert not out.exists()
