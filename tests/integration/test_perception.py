"""Real MediaPipe on real faces: stills, tiling for crowds (the adaptive default, `auto`),
tiny crops, video, the worker."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from performance.config import DEFAULTS
from performance.core.blendshapes import BLENDSHAPE_NAMES
from performance.core.mailbox import LatestSlot
from performance.core.types import FaceObservation, Frame, Observations
from performance.perception.tiling import TilingSettings, can_tile, iou, same_face
from performance.perception.worker import PerceptionWorker

pytestmark = pytest.mark.integration

skdata = pytest.importorskip("skimage.data")
landmarker_mod = pytest.importorskip("performance.perception.landmarker")
FaceLandmarkerAdapter = landmarker_mod.FaceLandmarkerAdapter

EXPRESSIONS = ("0-f1-su-ph.jpg", "0-f15-hao-ph.jpg", "15-f13-anc-ph.jpg", "45-m7-di-ph.jpg")


def still(image: np.ndarray, index: int = 0) -> Frame:
    return Frame(image=image, timestamp=float(index), index=index, source="test", is_still=True)


def read_rgb(path: Path) -> np.ndarray:
    image = cv2.imread(str(path))
    assert image is not None, path
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


@pytest.fixture(scope="module")
def plain(face_model: Path) -> Iterator[FaceLandmarkerAdapter]:
    with FaceLandmarkerAdapter(face_model, mode="image") as lm:
        yield lm


@pytest.fixture(scope="module")
def tiled(face_model: Path) -> Iterator[FaceLandmarkerAdapter]:
    with FaceLandmarkerAdapter(face_model, mode="image", tiling=TilingSettings()) as lm:
        yield lm


@pytest.fixture(scope="module")
def default(face_model: Path) -> Iterator[FaceLandmarkerAdapter]:
    """IMAGE mode with the default `tiles` setting (adaptive)."""
    tiling = TilingSettings.parse(DEFAULTS.tiles)
    assert tiling is not None and tiling.adaptive
    with FaceLandmarkerAdapter(face_model, mode="image", tiling=tiling) as lm:
        yield lm


def assert_distinct(faces: tuple[FaceObservation, ...]) -> None:
    for i, a in enumerate(faces):
        for b in faces[i + 1:]:
            assert iou(a.bbox, b.bbox) < 0.1, (a.bbox, b.bbox)


def test_astronaut_one_smiling_face(plain: FaceLandmarkerAdapter) -> None:
    obs = plain.detect(still(skdata.astronaut()))
    assert len(obs.faces) == 1
    face = obs.faces[0]
    assert set(face.blendshapes) == set(BLENDSHAPE_NAMES)
    assert face.blendshapes["mouthSmileLeft"] > 0.3 and face.blendshapes["mouthSmileRight"] > 0.3
    x0, y0, x1, y1 = face.bbox
    assert 0.3 < x0 < x1 < 0.6 and 0.05 < y0 < y1 < 0.45  # her face, upper middle
    assert abs(face.yaw) < 20 and abs(face.roll) < 20
    mirrored = plain.detect(still(np.ascontiguousarray(skdata.astronaut()[:, ::-1]))).faces[0]
    assert mirrored.center[0] == pytest.approx(1.0 - face.center[0], abs=0.02)


def test_single_face_photo(plain: FaceLandmarkerAdapter, testdata: Path) -> None:
    obs = plain.detect(still(read_rgb(testdata / "single_face.jpg")))
    assert len(obs.faces) == 1
    assert obs.source == "test" and obs.frame_index == 0


def test_a_single_large_face_is_not_tiled_by_default(
    plain: FaceLandmarkerAdapter, default: FaceLandmarkerAdapter, testdata: Path
) -> None:
    image = read_rgb(testdata / "single_face.jpg")
    assert can_tile(image.shape[1], image.shape[0], TilingSettings(adaptive=True))  # it could
    untiled = plain.detect(still(image)).faces
    faces = default.detect(still(image)).faces
    assert len(faces) == 1 and faces[0].size > 0.2
    assert not default.tiled_last_frame  # the detector on the frame saw a large face, and
    assert default.passes_last_frame == 2 and default.landmarks_last_frame == 1  # untiled
    assert faces[0].bbox == pytest.approx(untiled[0].bbox)
    assert faces[0].blendshapes == pytest.approx(untiled[0].blendshapes)


def test_no_face_in_landscape(plain: FaceLandmarkerAdapter, tiled: FaceLandmarkerAdapter,
                              default: FaceLandmarkerAdapter, testdata: Path) -> None:
    image = read_rgb(testdata / "free-mountain-vector-01.jpg")
    assert plain.detect(still(image)).faces == ()
    assert tiled.detect(still(image)).faces == ()
    assert default.detect(still(image)).faces == ()  # nobody found: it looks in tiles too
    # the detector on the frame, then on its 6 tiles; no landmarker pass
    assert default.tiled_last_frame and default.passes_last_frame == 7
    assert default.landmarks_last_frame == 0 and tiled.landmarks_last_frame == 0


def test_multi_face_needs_tiling(plain: FaceLandmarkerAdapter, tiled: FaceLandmarkerAdapter,
                                 default: FaceLandmarkerAdapter, testdata: Path) -> None:
    image = read_rgb(testdata / "multi_face.jpg")  # five people
    untiled = plain.detect(still(image)).faces
    assert len(untiled) < 5
    faces = tiled.detect(still(image)).faces
    assert len(faces) == 5
    assert_distinct(faces)
    # the detector on the frame and on 3x2 tiles, one sheet; each person landmarked once,
    # and no landmarker pass over the whole frame
    assert tiled.passes_last_frame == 8 and tiled.landmarks_last_frame == 5
    # by default the same: the detector on the frame finds only small faces (< 20 % wide)
    adaptive = default.detect(still(image)).faces
    assert len(adaptive) == 5 and default.tiled_last_frame
    assert default.passes_last_frame == 8 and default.landmarks_last_frame == 5
    assert_distinct(adaptive)
    for a, b in zip(adaptive, faces, strict=True):
        assert iou(a.bbox, b.bbox) > 0.7
    for face in untiled:  # the people the untiled pass found are among them
        assert sum(same_face(a.bbox, face.bbox) for a in adaptive) == 1


@pytest.mark.parametrize("tiles", ["adaptive", "auto", "3x2", "2x2"])
def test_every_tiling_landmarks_each_face_once(face_model: Path, testdata: Path,
                                               tiles: str) -> None:
    image = read_rgb(testdata / "multi_face.jpg")
    with FaceLandmarkerAdapter(face_model, mode="image",
                               tiling=TilingSettings.parse(tiles)) as lm:
        faces = lm.detect(still(image)).faces
        assert len(faces) == 5 and lm.tiled_last_frame
        assert lm.landmarks_last_frame == len(faces)
        assert_distinct(faces)
        assert all(set(f.blendshapes) == set(BLENDSHAPE_NAMES) for f in faces)


@pytest.mark.parametrize("why", ["missing", "refused"])
def test_without_litert_the_tiles_use_mediapipes_own_detector(
        face_model: Path, testdata: Path, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture, why: str) -> None:
    if why == "missing":
        monkeypatch.setattr(landmarker_mod, "runtime_missing", lambda: "no LiteRT here")
    else:  # the runtime is there but will not load the detector

        def refuse(*_: object, **__: object) -> None:
            raise landmarker_mod.ModelError("no LiteRT here")

        monkeypatch.setattr(landmarker_mod, "FaceBoxes", refuse)
    image = read_rgb(testdata / "multi_face.jpg")
    with caplog.at_level("INFO", logger=landmarker_mod.__name__), FaceLandmarkerAdapter(
            face_model, mode="image", tiling=TilingSettings.parse(DEFAULTS.tiles)) as lm:
        assert type(lm._detector).__name__ == "_GraphBoxes"
        faces = lm.detect(still(image)).faces
        assert len(faces) == 5 and lm.passes_last_frame == 8 and lm.landmarks_last_frame == 5
    assert_distinct(faces)
    said = [r.getMessage() for r in caplog.records if "no LiteRT here" in r.getMessage()]
    assert said == ["no LiteRT here: the tiles use MediaPipe's face detector"]


def face_crop(lm: FaceLandmarkerAdapter, image: np.ndarray, margin: float = 0.35
              ) -> tuple[np.ndarray, tuple[float, float, float, float]]:
    """A head crop around the one face in `image`, and the face box inside the crop (pixels)."""
    faces = lm.detect(still(image)).faces
    assert len(faces) == 1
    h, w = image.shape[:2]
    x0, y0, x1, y1 = (faces[0].bbox[0] * w, faces[0].bbox[1] * h,
                      faces[0].bbox[2] * w, faces[0].bbox[3] * h)
    m = margin * (x1 - x0)
    cx0, cy0 = int(max(0, x0 - m)), int(max(0, y0 - m))
    cx1, cy1 = int(min(w, x1 + m)), int(min(h, y1 + m))
    return image[cy0:cy1, cx0:cx1], (x0 - cx0, y0 - cy0, x1 - cx0, y1 - cy0)


def gallery_frame(lm: FaceLandmarkerAdapter, photos: list[np.ndarray]
                  ) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """Six real faces at 6-9 % of a 1920x1080 frame's width, in a row as if seated at a table."""
    width, height = 1920, 1080
    noise = np.random.default_rng(0).integers(40, 140, (height, width, 3)).astype(np.uint8)
    canvas = cv2.GaussianBlur(noise, (0, 0), 25)
    centers = []
    for k, photo in enumerate(photos):
        crop, (fx0, fy0, fx1, fy1) = face_crop(lm, photo)
        scale = (0.06 + 0.03 * k / (len(photos) - 1)) * width / (fx1 - fx0)
        cw, ch = int(crop.shape[1] * scale), int(crop.shape[0] * scale)
        small = cv2.resize(crop, (cw, ch), interpolation=cv2.INTER_AREA)
        px = int(width * (0.1 + 0.16 * k)) - cw // 2
        py = int(height * (0.45 + 0.04 * (k % 2))) - ch // 2
        canvas[py:py + ch, px:px + cw] = small
        centers.append(((px + (fx0 + fx1) / 2 * scale) / width,
                        (py + (fy0 + fy1) / 2 * scale) / height))
    return canvas, centers


def gallery_photos(testdata: Path) -> list[np.ndarray]:
    """The six real face photos `gallery_frame` seats at a table."""
    photos = [skdata.astronaut(), read_rgb(testdata / "single_face.jpg")]
    return photos + [read_rgb(testdata / name) for name in EXPRESSIONS]


def test_gallery_crowd_of_six(plain: FaceLandmarkerAdapter, tiled: FaceLandmarkerAdapter,
                              default: FaceLandmarkerAdapter, testdata: Path) -> None:
    frame, centers = gallery_frame(plain, gallery_photos(testdata))
    assert len(plain.detect(still(frame)).faces) == 0
    for lm in (default, tiled):  # the default settings, and `auto`
        faces = lm.detect(still(frame)).faces
        assert len(faces) == 6
        assert_distinct(faces)
        for face, (cx, cy) in zip(faces, centers, strict=True):  # sorted left to right
            assert face.center[0] == pytest.approx(cx, abs=0.01)
            assert face.center[1] == pytest.approx(cy, abs=0.02)
            assert 0.05 < face.size < 0.1
        # the detector on the frame and on 3x2 tiles + one sheet of six; each face landmarked
        # once
        assert lm.tiled_last_frame and lm.passes_last_frame == 8
        assert lm.landmarks_last_frame == 6


def test_default_tiling_in_a_stream(face_model: Path, plain: FaceLandmarkerAdapter,
                                    testdata: Path) -> None:
    """VIDEO mode with the default setting: a crowd is tiled on every frame (its tiles looked
    at once a second, its faces followed between); an empty room once a second; one large
    face never."""
    tiling = TilingSettings.parse(DEFAULTS.tiles)
    crowd, centers = gallery_frame(plain, gallery_photos(testdata))
    with FaceLandmarkerAdapter(face_model, mode="video", tiling=tiling) as lm:
        counts, runs, passes = [], [], []
        for i in range(36):
            faces = lm.detect(Frame(image=crowd, timestamp=i / 30, index=i, source="v")).faces
            counts.append(len(faces))
            runs.append(lm.landmarks_last_frame)
            passes.append(lm.passes_last_frame)
            for face, (cx, cy) in zip(faces, centers, strict=True):
                assert face.center == pytest.approx((cx, cy), abs=0.02)
        assert counts == [6] * 36 and lm.tiled_frames == 36
        assert runs == [6] * 36  # each face landmarked once a frame
        # untiled + detector on 6 tiles + sheet at 0 s and 1 s; untiled + sheet between
        assert passes == [8] + [2] * 29 + [8] + [2] * 5
    for clip, faces_per_frame, tiled_frames in (("single_face.mp4", 1, (0, 0)),
                                                ("no_face.mp4", 0, (3, 4))):  # 95 frames
        capture = cv2.VideoCapture(str(testdata / clip))
        with FaceLandmarkerAdapter(face_model, mode="video", tiling=tiling) as lm:
            found = total = 0
            while True:
                ok, bgr = capture.read()
                if not ok:
                    break
                frame = Frame(image=cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), timestamp=total / 30,
                              index=total, source="clip")
                found += len(lm.detect(frame).faces) == faces_per_frame
                total += 1
            assert total > 60 and found / total > 0.9, clip
            least, most = tiled_frames  # one check a second at most, and only when useful
            assert least <= lm.tiled_frames <= most, clip
        capture.release()


def test_tiny_grey_crop_is_upscaled(plain: FaceLandmarkerAdapter) -> None:
    image = skdata.astronaut()
    crop, _ = face_crop(plain, image, margin=0.15)
    grey = cv2.cvtColor(cv2.resize(crop, (48, 48), interpolation=cv2.INTER_AREA),
                        cv2.COLOR_RGB2GRAY)
    obs = plain.detect(still(np.stack([grey] * 3, axis=-1)))
    assert len(obs.faces) == 1
    x0, _, x1, _ = obs.faces[0].bbox
    assert x1 - x0 > 0.5 and 0.3 < obs.faces[0].center[0] < 0.7  # in original 48x48 coords
    assert len(plain.detect(still(grey)).faces) == 1  # a 2-D grey array works too


def test_video_mode_through_a_clip(face_model: Path, testdata: Path) -> None:
    capture = cv2.VideoCapture(str(testdata / "single_face.mp4"))
    found = total = 0
    with FaceLandmarkerAdapter(face_model, mode="video") as lm:
        while True:
            ok, bgr = capture.read()
            if not ok:
                break
            # Timestamps repeat (two frames per 1/30 s tick): StrictTimestamps must cope.
            frame = Frame(image=cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB),
                          timestamp=(total // 2) / 30.0, index=total, source="clip")
            found += len(lm.detect(frame).faces) == 1
            total += 1
        # A still in a video-mode landmarker goes through IMAGE mode.
        assert len(lm.detect(still(skdata.astronaut())).faces) == 1
    capture.release()
    assert total > 30
    assert found / total > 0.9


def test_worker_with_real_landmarker_drops_stale_frames(face_model: Path, testdata: Path
                                                        ) -> None:
    image = read_rgb(testdata / "single_face.jpg")
    frames: LatestSlot[Frame] = LatestSlot()
    out: LatestSlot[Observations] = LatestSlot()
    worker = PerceptionWorker(lambda: FaceLandmarkerAdapter(face_model, mode="video"),
                              frames, out)
    fed = 60
    with worker:
        for i in range(fed):
            frames.put(Frame(image=image, timestamp=i / 1000.0, index=i, source="fast"))
            time.sleep(0.001)  # ~1000 fps offered: far faster than inference
        deadline = time.monotonic() + 10
        last = None
        while time.monotonic() < deadline:
            last = out.take(timeout=1.0)
            if last is not None and last.frame_index == fed - 1:
                break
        assert last is not None and last.frame_index == fed - 1
        assert len(last.faces) == 1
    assert worker.processed < fed
    assert worker.dropped > 0
    assert worker.processed + worker.dropped == fed
    assert worker.error_count == 0
    assert worker.last_latency_s is not None and worker.last_latency_s < 0.5


def test_bad_model_file_is_a_model_error(tmp_path: Path) -> None:
    from performance.core.errors import ModelError

    junk = tmp_path / "junk.task"
    junk.write_bytes(b"not a model")
    with pytest.raises(ModelError, match=re.escape(str(junk))):
        FaceLandmarkerAdapter(junk)
    with pytest.raises(ModelError, match="does not exist"):
        FaceLandmarkerAdapter(tmp_path / "missing.task")


def test_the_perception_process_survives_a_killed_child_and_reads_the_face_again(
    testdata: Path, face_model: Path
) -> None:
    """The real model in its own process, a real clip as the camera: SIGKILL the child (as a
    segfault in native code ends it); the feed reports it, starts a new child and the face
    comes back."""
    import multiprocessing as mp
    import os
    import signal

    from performance.config import Isolation, Settings
    from performance.core.clock import MonotonicClock
    from performance.runtime.feeds import CaptureFeed
    from performance.runtime.pipeline import landmarker_factory
    from performance.sources.video import VideoFileSource

    clock = MonotonicClock()
    feed = CaptureFeed(lambda: VideoFileSource(testdata / "single_face.mp4", loop=True),
                       landmarker_factory(Settings(face_model=str(face_model)), "video"),
                       clock=clock, live=False, isolation=Isolation.PROCESS)

    def faces_within(seconds: float) -> int:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            feed.pump(clock.now())  # never waits (a hung child: tests/unit/test_perception_process)
            got = feed.observations.take(timeout=0)
            if got is not None and got.faces:
                assert got.captured is not None and got.captured <= clock.now()
                return len(got.faces)
            time.sleep(0.01)
        return 0

    feed.start()
    try:
        assert faces_within(60) == 1
        child = next(p for p in mp.active_children() if p.name == "essence-perception")
        assert child.pid is not None
        os.kill(child.pid, signal.SIGKILL)
        deadline = time.monotonic() + 20
        while "perception crashed" not in (feed.input_status.note or "") and \
                time.monotonic() < deadline:
            feed.pump(clock.now())
            time.sleep(0.01)
        assert "perception crashed (exit code -9); restarting" in feed.input_status.note
        assert faces_within(60) == 1  # a new child, the same face
        assert feed.perception.restarts == 1  # type: ignore[union-attr]
        assert not feed.input_status.note  # recovered: the note is gone
    finally:
        feed.stop()
