"""The console's pictures from the render side: a real Compositor (EGL) and a real shared
PictureSink/PictureSource pair. The stage's thumbnail comes at the rate limit and never
holds the operator's overlay; the camera preview comes only when opted in, and without the
opt-in the camera frame is never even read."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from performance.console.pictures import (
    PICTURE_EVERY,
    THUMBNAIL_WIDTH,
    Picture,
    PictureBlocks,
    PictureKind,
    PictureSink,
    PictureSource,
)
from performance.core.status import InputState, InputStatus
from performance.core.types import FaceObservation, Frame, Observations, RoomEmotion
from performance.operator.info import OperatorInfo
from performance.operator.preview import AMBER, OperatorView, preview_image
from performance.render.context import Compositor
from performance.runtime import pictures as tap_module
from performance.runtime.pictures import PictureTap, fit_width
from performance.runtime.stage import CompositorOutput
from performance.show.frame import Layer, ShowFrame

from .test_thumbnail import draw_pattern, paint_pattern

pytestmark = pytest.mark.gl
STAGE = (960, 540)  # 4x the thumbnail: an exact box, so cv2 agrees to the unit
FACES = Path(__file__).resolve().parents[2] / ".cache" / "testdata" / "multi_face.jpg"
BOX = (0.30, 0.25, 0.55, 0.70)  # the face box the operator (and the console) sees



@pytest.fixture
def previews(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the tap's calls of preview_image (still drawing the real preview)."""
    calls: list[int] = []

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        return preview_image(*args, **kwargs)

    monkeypatch.setattr(tap_module, "preview_image", counted)
    return calls


def info(now: float) -> OperatorInfo:
    obs = Observations(timestamp=now, frame_index=1, source="t",
                       faces=(FaceObservation(bbox=BOX, blendshapes={}),))
    return OperatorInfo(now=now, frame=int(now * 10), show=ShowFrame(time=now,
                        current=Layer("enclave")), emotion=RoomEmotion(timestamp=now),
                        input_status=InputStatus(InputState.LIVE), messages=("hello",),
                        stats=None, observations=obs)


def camera_frames(reads: list[int], image: np.ndarray) -> Iterator[Frame]:
    index = 0
    while True:
        reads.append(index)
        yield Frame(image=image, timestamp=index / 10, index=index // 2, source="cam")
        index += 1  # a new frame every second read: the same frame is not shared again


def real_image(portrait: bool = False) -> np.ndarray:
    bgr = cv2.imread(str(FACES))
    assert bgr is not None, FACES
    rgb = np.ascontiguousarray(bgr[:, :, ::-1])
    return np.ascontiguousarray(np.rot90(rgb)) if portrait else rgb


def blocks(camera: bool) -> tuple[PictureSink, PictureSource]:
    pair = PictureBlocks.create(multiprocessing.get_context("spawn"), camera=camera)
    return PictureSink(pair), PictureSource(pair)


def test_stage_pictures_come_at_the_rate_limit_and_the_camera_is_never_read(
    gl, made, previews  # type: ignore[no-untyped-def]
) -> None:
    comp = Compositor(gl, STAGE)
    made.append(comp)
    sink, source = blocks(camera=False)
    reads: list[int] = []
    frames = camera_frames(reads, real_image())
    tap = PictureTap(sink, latest_frame=lambda: next(frames))
    arrived: list[float] = []
    for step in range(31):  # 3 s at 10 frames a second
        now = step / 10
        image = draw_pattern(gl, comp, made)
        tap.offer(now, comp, info(now))
        shot = source.latest(PictureKind.STAGE)
        assert shot is not None
        if not arrived or shot.taken != arrived[-1]:
            arrived.append(shot.taken)
        assert source.latest(PictureKind.CAMERA) is None
    assert arrived == pytest.approx([0.5 * i for i in range(7)])  # every PICTURE_EVERY s
    assert PICTURE_EVERY == 0.5 and tap.shared[PictureKind.STAGE] == 7
    assert isinstance(shot, Picture) and (shot.width, shot.height) == (THUMBNAIL_WIDTH, 135)
    rgb = np.frombuffer(shot.rgb, np.uint8).reshape(shot.height, shot.width, 3)
    want = cv2.resize(image, (shot.width, shot.height), interpolation=cv2.INTER_AREA)
    assert np.abs(rgb.astype(int) - want.astype(int)).max() <= 1  # the stage, top row first
    assert reads == [] and previews == []  # the camera frame was never touched
    assert tap.shared[PictureKind.CAMERA] == 0 and not sink.wants(PictureKind.CAMERA)


@pytest.mark.parametrize("portrait", [False, True])
def test_the_opted_in_camera_preview_has_the_operators_face_boxes(
    gl, made, previews, portrait: bool  # type: ignore[no-untyped-def]
) -> None:
    comp = Compositor(gl, STAGE)
    made.append(comp)
    sink, source = blocks(camera=True)
    reads: list[int] = []
    image = real_image(portrait)
    frames = camera_frames(reads, image)
    tap = PictureTap(sink, latest_frame=lambda: next(frames))
    for step in range(21):
        now = step / 10
        draw_pattern(gl, comp, made)
        tap.offer(now, comp, info(now))
    shot = source.latest(PictureKind.CAMERA)
    assert shot is not None and shot.taken == 2.0
    assert len(reads) == 5  # read when due only: at 0, 0.5, ... 2 s
    assert len(previews) == tap.shared[PictureKind.CAMERA] == 3  # frames 0, 1, 2: once each
    h, w = image.shape[:2]
    assert (shot.width, shot.height) == (fit_width(w, h), round(h * fit_width(w, h) / w))
    assert max(shot.width, shot.height) <= THUMBNAIL_WIDTH + 1  # fits the shared block
    rgb = np.frombuffer(shot.rgb, np.uint8).reshape(shot.height, shot.width, 3)
    frame = Frame(image=image, timestamp=0.0, index=0, source="cam")
    operator = preview_image(frame, info(2.0).observations, RoomEmotion(2.0), shot.width)
    assert np.array_equal(rgb, operator[:, :, :3])  # the very picture the operator sees
    x0, y0 = round(BOX[0] * shot.width), round(BOX[1] * shot.height)
    y1 = round(BOX[3] * shot.height)
    edge = rgb[y0 + 4:y1 - 4, x0 - 1:x0 + 2]  # the box's left edge, in amber
    assert (np.abs(edge.astype(int) - AMBER[:3]).max(axis=2) < 40).any(axis=1).all()
    assert source.latest(PictureKind.STAGE) is not None


def test_the_output_takes_the_stage_picture_before_the_overlays(gl, made) -> None:  # type: ignore[no-untyped-def]
    comp = Compositor(gl, STAGE)
    made.append(comp)
    sink, source = blocks(camera=False)
    view = OperatorView(operator=True, camera_live=lambda: True)  # status and CAMERA LIVE
    output = CompositorOutput(gl, comp, view, pictures=PictureTap(sink))
    image = paint_pattern(gl, comp, made)  # the show drawn; present() does the rest
    output.present(info(1.0))
    shown = comp.read_output().astype(int)
    assert np.abs(shown - image.astype(int)).max(axis=2).mean() > 5  # overlays are on it
    shot = source.latest(PictureKind.STAGE)
    assert shot is not None and output.picture_errors == 0
    rgb = np.frombuffer(shot.rgb, np.uint8).reshape(shot.height, shot.width, 3).astype(int)
    want = cv2.resize(image, (shot.width, shot.height), interpolation=cv2.INTER_AREA)
    assert np.abs(rgb - want.astype(int)).max() <= 1  # the stage alone, overlays not in it


def test_a_failing_picture_tap_never_stops_the_frame(gl, made, caplog) -> None:  # type: ignore[no-untyped-def]
    class Broken:
        def offer(self, now: float, compositor: Compositor, info: OperatorInfo) -> None:
            raise RuntimeError("no pictures today")

    comp = Compositor(gl, STAGE)
    made.append(comp)
    view = OperatorView(operator=True, camera_live=lambda: False)
    output = CompositorOutput(gl, comp, view, pictures=Broken())  # type: ignore[arg-type]
    for now in (1.0, 2.0):
        image = paint_pattern(gl, comp, made)
        output.present(info(now))
        assert np.abs(comp.read_output().astype(int) - image).max() > 50  # the panel drawn
    assert output.picture_errors == 2
    assert [r.getMessage() for r in caplog.records].count(
        "console pictures failed (no pictures today); the show goes on") == 1
