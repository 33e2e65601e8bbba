"""`essence analyze` end to end: real MediaPipe on real photos and clips, CSV read back."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import cv2
import numpy as np
import pytest
from skimage import data as skdata

from performance.analysis.analyze import COLUMNS
from performance.cli import main
from performance.core.types import EMOTIONS
from performance.emotion.engine import EmotionEngine
from performance.emotion.mapping import EmotionMapping
from performance.perception.landmarker import FaceLandmarkerAdapter
from performance.sources.video import VideoFileSource

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def _model_env(face_model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ESSENCE_FACE_MODEL", str(face_model))


def analyze_rows(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, str]]:
    assert main(["analyze", *args, "--csv", "-", "--no-progress"]) == 0
    text = capsys.readouterr().out
    reader = csv.DictReader(io.StringIO(text))
    assert tuple(reader.fieldnames or ()) == COLUMNS
    return list(reader)


def test_photos_give_one_row_per_face_with_valid_numbers(
    testdata: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    astronaut = tmp_path / "astronaut.png"
    cv2.imwrite(str(astronaut), cv2.cvtColor(skdata.astronaut(), cv2.COLOR_RGB2BGR))
    rows = analyze_rows(capsys, str(astronaut), str(testdata / "multi_face.jpg"),
                        str(testdata / "free-mountain-vector-01.jpg"), "--tiles", "auto")
    by_path: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_path.setdefault(Path(row["path"]).name, []).append(row)
    assert len(by_path["astronaut.png"]) == 1
    assert by_path["astronaut.png"][0]["label"] == "happy"
    assert float(by_path["astronaut.png"][0]["valence"]) > 0.2
    group = by_path["multi_face.jpg"]
    assert len(group) == 5 and [r["face_id"] for r in group] == ["1", "2", "3", "4", "5"]
    assert sum(r["label"] == "happy" for r in group) >= 3  # four of the five are beaming
    mountain = by_path["free-mountain-vector-01.jpg"]
    assert len(mountain) == 1 and mountain[0]["label"] == "none"
    assert mountain[0]["valence"] == "" and mountain[0]["p_happy"] == ""
    for row in rows:
        if row["label"] == "none":
            continue
        probabilities = [float(row[f"p_{e}"]) for e in EMOTIONS]
        assert sum(probabilities) == pytest.approx(1.0, abs=2e-3)
        assert row["label"] == EMOTIONS[int(np.argmax(probabilities))]
        assert -1 <= float(row["valence"]) <= 1 and -1 <= float(row["arousal"]) <= 1


def test_a_gallery_crowd_is_found_with_default_settings(
    face_model: Path, testdata: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.integration.test_perception import gallery_frame, gallery_photos

    with FaceLandmarkerAdapter(face_model, mode="image") as plain:
        crowd, _ = gallery_frame(plain, gallery_photos(testdata))
    path = tmp_path / "crowd.png"
    cv2.imwrite(str(path), cv2.cvtColor(crowd, cv2.COLOR_RGB2BGR))
    rows = analyze_rows(capsys, str(path), str(testdata / "single_face.jpg"))  # no --tiles
    group = [r for r in rows if Path(r["path"]).name == "crowd.png"]
    assert [r["face_id"] for r in group] == ["1", "2", "3", "4", "5", "6"]
    assert all(r["label"] != "none" for r in group)
    assert len([r for r in rows if Path(r["path"]).name == "single_face.jpg"]) == 1
    assert main(["analyze", str(path), "--tiles", "off", "--csv", "-", "--no-progress"]) == 0
    off = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(off) == 1 and off[0]["label"] == "none"  # `off` remains a choice


def test_small_grey_crops_work_like_photos(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    face = skdata.astronaut()[20:220, 120:300]  # the smiling face, cropped
    grey = cv2.cvtColor(face, cv2.COLOR_RGB2GRAY)
    crops = tmp_path / "crops"
    crops.mkdir()
    cv2.imwrite(str(crops / "smile48.png"), cv2.resize(grey, (48, 48),
                                                        interpolation=cv2.INTER_AREA))
    rows = analyze_rows(capsys, str(crops))
    assert len(rows) == 1 and rows[0]["label"] == "happy"


def test_identity_stays_stable_through_a_clip(
    testdata: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = analyze_rows(capsys, str(testdata / "single_face.mp4"))
    faces = [r for r in rows if r["label"] != "none"]
    frames = {r["frame"] for r in rows}
    assert len(frames) >= 70
    assert len(faces) >= 0.9 * len(frames)
    assert {r["face_id"] for r in faces} == {"1"}
    times = [float(r["time_s"]) for r in rows]
    assert times == sorted(times) and times[-1] == pytest.approx(71 / 30, abs=0.05)


def test_no_face_clip_yields_no_faces(testdata: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = analyze_rows(capsys, str(testdata / "no_face.mp4"))
    assert len(rows) >= 95
    assert {r["label"] for r in rows} == {"none"}


def test_face_leaving_decays_the_crowd_to_no_audience(face_model: Path, testdata: Path) -> None:
    engine = EmotionEngine(EmotionMapping.load())
    counts, presence, last_face_time = [], [], None
    with VideoFileSource(testdata / "face_noface.mov") as source, \
            FaceLandmarkerAdapter(face_model, mode="video") as detector:
        for frame in source:
            state = engine.update(detector.detect(frame))
            if any(face.visible for face in state.faces):
                last_face_time = frame.media_time
            counts.append((frame.media_time, state.crowd.face_count))
            presence.append(state.crowd.presence)
    assert last_face_time is not None, "the clip starts with a face"
    early = [c for t, c in counts if t <= last_face_time]
    assert max(early) > 0.95
    assert 2.0 < last_face_time < 3.0  # the person walks out after about 2.4 s; a one-frame
    # false detection near the end (frame 163) must not count as a face
    after = [c for t, c in counts if t > last_face_time]
    assert after, "the face leaves before the clip ends"
    # it decays smoothly (no step larger than a fifth of a face per frame) towards zero
    steps = np.abs(np.diff([c for _, c in counts]))
    assert steps.max() < 0.2
    assert after[-1] < 0.1 and presence[-1] < 0.1
    assert after[0] > after[-1]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "missing.mp4", "missing.mp4: no such file"),
        (lambda d: _write(d / "notes.mp4", b"this is not a video\n" * 50), "notes.mp4"),
        (lambda d: _write(d / "broken.jpg", bytes(range(256)) * 8), "broken.jpg"),
        (lambda d: _empty_folder(d / "empty"), "empty"),
    ],
)
def test_bad_inputs_give_a_clear_error_naming_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], make, message: str
) -> None:
    path = make(tmp_path)
    assert main(["analyze", str(path), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert message in err and err.startswith("essence: ")
    assert "Traceback" not in err


def test_every_input_is_checked_before_any_is_analysed(
    testdata: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = _write(tmp_path / "notes.mp4", b"this is not a video\n" * 50)
    good = str(testdata / "single_face.jpg")
    assert main(["analyze", good, str(bad), "--csv", "-", "--no-progress"]) == 2
    captured = capsys.readouterr()
    assert captured.out.splitlines() == [",".join(COLUMNS)]  # no row of the good photo
    assert "notes.mp4" in captured.err
    out = tmp_path / "faces.csv"
    assert main(["analyze", good, str(bad), "--csv", str(out), "--no-progress"]) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.mp4"]  # no CSV, no partial


def test_one_input_is_open_at_a_time(
    testdata: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import performance.analysis.runner as run_analyze

    open_now: list[str] = []
    most = 0
    real_open = run_analyze._open

    def tracking_open(path: Path):  # type: ignore[no-untyped-def]
        nonlocal most
        source = real_open(path)
        real_close = source.close
        open_now.append(path.name)
        most = max(most, len(open_now))

        def close() -> None:
            if path.name in open_now:
                open_now.remove(path.name)
            real_close()

        source.close = close  # type: ignore[method-assign]
        return source

    monkeypatch.setattr(run_analyze, "_open", tracking_open)
    rows = analyze_rows(capsys, str(testdata / "single_face.mp4"), str(testdata / "no_face.mp4"),
                        str(testdata / "single_face.jpg"))
    assert {Path(r["path"]).name for r in rows} == {"single_face.mp4", "no_face.mp4",
                                                     "single_face.jpg"}
    assert most == 1 and open_now == []


def test_csv_file_is_written_whole(testdata: Path, tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out" / "faces.csv"
    assert main(["analyze", str(testdata / "single_face.jpg"), "--csv", str(out)]) == 0
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 1 and rows[0]["face_id"] == "1"
    assert not list(out.parent.glob(".*partial"))
    assert "wrote" in capsys.readouterr().out


def test_summary_table_without_csv(testdata: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyze", str(testdata / "single_face.jpg"), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "single_face.jpg" in out and "top labels" in out


def _write(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


def _empty_folder(path: Path) -> Path:
    path.mkdir()
    return path
