"""Unit tests for performance.sources: synthetic frames, stills, the --input dispatch, cameras.

Images are written with cv2 into tmp_path; cameras are faked at the cv2.VideoCapture boundary
(no camera exists on the test machines).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from performance.core.clock import ManualClock
from performance.core.errors import InputError
from performance.sources import (
    CameraInfo,
    CameraSource,
    ImageSource,
    SourceLost,
    SyntheticSource,
    VideoFileSource,
    expand_inputs,
    is_image_path,
    is_video_path,
    list_cameras,
    open_source,
)
from performance.sources import factory as factory_module

# -- synthetic ---------------------------------------------------------------------------


def test_synthetic_is_deterministic_rgb_and_moves() -> None:
    a = list(SyntheticSource(width=64, height=48, fps=25.0, frames=5, seed=3))
    b = list(SyntheticSource(width=64, height=48, fps=25.0, frames=5, seed=3))
    c = list(SyntheticSource(width=64, height=48, fps=25.0, frames=5, seed=4))
    assert len(a) == 5
    for fa, fb in zip(a, b, strict=True):
        assert fa.image.shape == (48, 64, 3)
        assert fa.image.dtype == np.uint8
        assert np.array_equal(fa.image, fb.image)
    assert not np.array_equal(a[0].image, c[0].image)
    assert not np.array_equal(a[0].image, a[1].image)
    assert a[0].image.std() > 10  # a real pattern, not a flat colour


def test_synthetic_timestamps_are_index_over_fps_and_it_ends() -> None:
    src = SyntheticSource(fps=20.0, frames=3)
    frames = [src.read(), src.read(), src.read()]
    assert [f.index for f in frames if f] == [0, 1, 2]
    assert [f.timestamp for f in frames if f] == [0.0, 0.05, 0.1]
    assert [f.media_time for f in frames if f] == [0.0, 0.05, 0.1]
    assert src.read() is None
    assert src.read() is None
    assert src.frame_count == 3 and src.fps == 20.0 and src.size == (320, 240)


def test_synthetic_context_manager_closes() -> None:
    with SyntheticSource(frames=None) as src:
        assert src.read() is not None
    assert src.read() is None


def test_synthetic_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError):
        SyntheticSource(width=0)
    with pytest.raises(ValueError):
        SyntheticSource(fps=0.0)


# -- still images --------------------------------------------------------------------------

RED_BGR = (0, 0, 255)


def _write(path: Path, image: np.ndarray) -> Path:
    assert cv2.imwrite(str(path), image), path
    return path


def test_color_image_becomes_rgb(tmp_path: Path) -> None:
    bgr = np.zeros((20, 30, 3), np.uint8)
    bgr[:] = RED_BGR
    path = _write(tmp_path / "red.png", bgr)
    frame = ImageSource([path]).read()
    assert frame is not None
    assert frame.image.shape == (20, 30, 3)
    assert frame.image.dtype == np.uint8
    assert tuple(frame.image[5, 5]) == (255, 0, 0)
    assert frame.is_still and frame.timestamp == 0.0 and frame.source == "red.png"


def test_grayscale_image_becomes_rgb(tmp_path: Path) -> None:
    gray = np.tile(np.arange(40, dtype=np.uint8) * 5, (10, 1))
    path = _write(tmp_path / "gray.png", gray)
    frame = ImageSource([path]).read()
    assert frame is not None
    assert frame.image.shape == (10, 40, 3)
    for ch in range(3):
        assert np.array_equal(frame.image[..., ch], gray)


def test_rgba_image_becomes_rgb(tmp_path: Path) -> None:
    bgra = np.zeros((12, 16, 4), np.uint8)
    bgra[..., 0] = 200  # blue
    bgra[..., 3] = 128  # half transparent
    path = _write(tmp_path / "alpha.png", bgra)
    frame = ImageSource([path]).read()
    assert frame is not None
    assert frame.image.shape == (12, 16, 3)
    assert tuple(frame.image[0, 0]) == (0, 0, 200)


def test_16_bit_image_becomes_8_bit(tmp_path: Path) -> None:
    deep = np.full((8, 8, 3), 65535, np.uint16)
    path = _write(tmp_path / "deep.png", deep)
    frame = ImageSource([path]).read()
    assert frame is not None
    assert frame.image.dtype == np.uint8
    assert int(frame.image.min()) == 255


def test_folder_is_sorted_filtered_case_insensitive_and_not_recursive(tmp_path: Path) -> None:
    img = np.full((4, 4, 3), 7, np.uint8)
    _write(tmp_path / "b.PNG", img)
    _write(tmp_path / "a.jpg", img)
    _write(tmp_path / "c.JPEG", img)
    (tmp_path / "notes.txt").write_text("not an image")
    (tmp_path / "sub").mkdir()
    _write(tmp_path / "sub" / "0.png", img)
    src = ImageSource([tmp_path])
    frames = list(src)
    assert [f.source for f in frames] == ["a.jpg", "b.PNG", "c.JPEG"]
    assert [f.timestamp for f in frames] == [0.0, 1.0, 2.0]
    assert [f.index for f in frames] == [0, 1, 2]
    assert src.frame_count == 3


def test_image_hold_and_loop(tmp_path: Path) -> None:
    a = _write(tmp_path / "a.png", np.zeros((4, 4, 3), np.uint8))
    b = _write(tmp_path / "b.png", np.full((4, 4, 3), 255, np.uint8))
    held = ImageSource([a, b], hold=True)
    frames = [held.read() for _ in range(4)]
    assert all(f is not None for f in frames)
    assert [f.timestamp for f in frames if f] == [0.0, 1.0, 2.0, 3.0]
    assert [int(f.image[0, 0, 0]) for f in frames if f] == [0, 255, 255, 255]
    looped = ImageSource([a, b], loop=True)
    assert [f.source for f in (looped.read() for _ in range(5)) if f] == [
        "a.png", "b.png", "a.png", "b.png", "a.png"
    ]


def test_image_errors_name_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope.jpg"
    with pytest.raises(InputError, match=r"nope\.jpg: no such file"):
        ImageSource([missing])
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "readme.txt").write_text("x")
    with pytest.raises(InputError, match=r"empty: folder contains no images"):
        ImageSource([empty])
    corrupt = tmp_path / "corrupt.jpg"
    corrupt.write_bytes(np.random.default_rng(0).integers(0, 256, 4096, np.uint8).tobytes())
    good = _write(tmp_path / "good.png", np.zeros((4, 4, 3), np.uint8))
    src = ImageSource([corrupt, good])  # one bad image is skipped (and named), not fatal
    nxt = src.read()
    assert nxt is not None and nxt.source == "good.png"
    assert list(src.skipped) == [corrupt] and "not a readable image" in src.skipped[corrupt]
    with pytest.raises(InputError, match=r"corrupt\.jpg: not a readable image") as info:
        ImageSource([corrupt])  # alone, it is an error at once
    assert info.value.where == str(corrupt)
    zero = tmp_path / "zero.png"
    zero.write_bytes(b"")
    with pytest.raises(InputError, match=r"zero\.png"):
        ImageSource([zero]).read()


# -- factory -------------------------------------------------------------------------------


def _tiny_video(path: Path, frames: int = 3) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 10.0, (32, 24))
    assert writer.isOpened()
    for i in range(frames):
        writer.write(np.full((24, 32, 3), 40 * i, np.uint8))
    writer.release()
    return path


def test_extension_helpers() -> None:
    assert is_image_path("a/B.JPG") and is_image_path("x.tiff") and is_image_path("x.webp")
    assert not is_image_path("x.mp4") and not is_image_path("jpg")
    assert is_video_path("clip.MP4") and is_video_path(Path("x.mov"))
    assert not is_video_path("x.png") and not is_video_path("mp4")


class _FakeCamera:
    """Stands in for CameraSource in dispatch tests; records what it was asked for."""

    def __init__(self, spec: int | str, **kwargs: Any) -> None:
        self.spec = spec
        self.kwargs = kwargs


def test_open_source_dispatch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(factory_module, "CameraSource", _FakeCamera)
    clock = ManualClock()
    cam = open_source("2", clock=clock)
    assert isinstance(cam, _FakeCamera) and cam.spec == 2 and cam.kwargs["clock"] is clock
    named = open_source("HD Pro Webcam")
    assert isinstance(named, _FakeCamera) and named.spec == "HD Pro Webcam"

    assert isinstance(open_source("synthetic"), SyntheticSource)
    photo = _write(tmp_path / "p.png", np.zeros((4, 4, 3), np.uint8))
    assert isinstance(open_source(str(photo)), ImageSource)
    assert isinstance(open_source(str(tmp_path)), ImageSource)
    video = _tiny_video(tmp_path / "clip.avi")
    with open_source(str(video), loop=True) as src:
        assert isinstance(src, VideoFileSource) and src.loop

    for spec in ("missing/clip.mp4", "clip.mp4", "./webcam", "~/nowhere/x"):
        with pytest.raises(InputError, match=r"no such file"):
            open_source(spec)
    with pytest.raises(InputError):
        open_source("  ")


def test_expand_inputs(tmp_path: Path) -> None:
    img = np.zeros((4, 4, 3), np.uint8)
    _write(tmp_path / "b.png", img)
    _tiny_video(tmp_path / "a.avi")
    (tmp_path / "c.txt").write_text("x")
    single = _write(tmp_path / "single.jpg", img)
    got = expand_inputs([str(single), str(tmp_path)])
    assert [p.name for p in got] == ["single.jpg", "a.avi", "b.png", "single.jpg"]
    with pytest.raises(InputError, match=r"missing\.mp4: no such file"):
        expand_inputs([str(tmp_path / "missing.mp4")])
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match=r"empty: folder contains no images or videos"):
        expand_inputs([tmp_path / "empty"])


# -- cameras (faked at the cv2.VideoCapture boundary) ---------------------------------------


class FakeCapture:
    """Mimics cv2.VideoCapture for a camera that gives `frames` BGR frames, then fails."""

    def __init__(self, opened: bool = True, frames: int = 3) -> None:
        self.opened = opened
        self.left = frames
        self.props: dict[int, float] = {
            cv2.CAP_PROP_FRAME_WIDTH: 32.0, cv2.CAP_PROP_FRAME_HEIGHT: 24.0,
            cv2.CAP_PROP_FPS: 30.0,
        }
        self.released = False

    def isOpened(self) -> bool:  # cv2's name
        return self.opened

    def read(self) -> tuple[bool, Any]:
        if self.left <= 0:
            return False, None
        self.left -= 1
        w, h = int(self.props[cv2.CAP_PROP_FRAME_WIDTH]), int(self.props[cv2.CAP_PROP_FRAME_HEIGHT])
        img = np.zeros((h, w, 3), np.uint8)
        img[:] = RED_BGR
        return True, img

    def set(self, prop: int, value: float) -> bool:
        self.props[prop] = value
        return True

    def get(self, prop: int) -> float:
        return self.props.get(prop, 0.0)

    def release(self) -> None:
        self.released = True


CAMS = [CameraInfo(0, "Integrated Camera"), CameraInfo(2, "HD Pro Webcam C920")]


def test_camera_by_index_reads_rgb_with_clock_timestamps_then_is_lost() -> None:
    fake = FakeCapture(frames=3)
    clock = ManualClock(5.0)
    cam = CameraSource(0, width=64, height=48, fps=15.0, clock=clock,
                       capture_factory=lambda i: fake, camera_lister=lambda: CAMS)
    assert cam.is_live and cam.size == (64, 48) and cam.fps == 15.0 and cam.frame_count is None
    assert "camera 0" in cam.name and "Integrated Camera" in cam.name
    f0 = cam.read()
    f1 = cam.read()  # the clock did not move: still strictly increasing
    clock.advance(0.5)
    f2 = cam.read()
    assert f0 and f1 and f2
    assert f0.timestamp == 5.0 and f1.timestamp > f0.timestamp and f2.timestamp == 5.5
    assert f2.media_time == pytest.approx(0.5) and [f0.index, f1.index, f2.index] == [0, 1, 2]
    assert tuple(f0.image[0, 0]) == (255, 0, 0) and f0.image.shape == (48, 64, 3)
    with pytest.raises(SourceLost, match=r"camera 0") as info:
        cam.read()
    assert isinstance(info.value, InputError)
    cam.close()
    assert fake.released


def test_camera_by_name_fragment_is_case_insensitive() -> None:
    opened: list[int] = []

    def factory(index: int) -> FakeCapture:
        opened.append(index)
        return FakeCapture()

    cam = CameraSource("c920", clock=ManualClock(), capture_factory=factory,
                       camera_lister=lambda: CAMS)
    assert opened == [2] and "HD Pro Webcam C920" in cam.name


def test_camera_errors_name_the_device() -> None:
    with pytest.raises(InputError, match=r"camera 'logitech'.*Integrated Camera.*C920"):
        CameraSource("logitech", clock=ManualClock(), capture_factory=lambda i: FakeCapture(),
                     camera_lister=lambda: CAMS)
    fake = FakeCapture(opened=False)
    with pytest.raises(InputError, match=r"camera 3.*cannot open") as info:
        CameraSource(3, clock=ManualClock(), capture_factory=lambda i: fake,
                     camera_lister=lambda: [])
    assert "camera 3" in info.value.where and fake.released


def test_list_cameras_reads_sysfs_names(tmp_path: Path) -> None:
    for node, name, index in (("video0", "Integrated Camera", "0"),
                              ("video1", "Integrated Camera", "1"),  # metadata node
                              ("video4", "USB Cam\n", "0")):
        (tmp_path / node).mkdir()
        (tmp_path / node / "name").write_text(name)
        (tmp_path / node / "index").write_text(index)
    assert list_cameras(tmp_path) == [CameraInfo(0, "Integrated Camera"), CameraInfo(4, "USB Cam")]
    assert list_cameras(tmp_path / "absent") == []
