"""Video files as a frame source: opening with clear errors, end-of-file policy, timestamps.

Owns how a video file becomes frames: FFmpeg through cv2.VideoCapture, BGR -> RGB, what
happens at the end (stop, loop or hold), our own strictly increasing timestamps, and how
bad files (missing, not a video, empty, truncated) are reported.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

import cv2
import numpy as np

from performance.core.errors import InputError
from performance.core.types import Frame
from performance.sources.base import FrameSource

log = logging.getLogger(__name__)

VIDEO_EXTENSIONS: frozenset[str] = frozenset({
    ".mp4", ".m4v", ".mov", ".avi", ".mkv", ".webm", ".mpg", ".mpeg", ".wmv", ".flv",
    ".gif", ".ts", ".mts", ".3gp", ".ogv",
})


def is_video_path(path: str | Path) -> bool:
    """Whether the name has a video extension (mp4, mov, avi, mkv, webm, ...)."""
    return Path(path).suffix.lower() in VIDEO_EXTENSIONS

# Still-image signatures: FFmpeg happily opens a JPEG renamed .mp4 as a one-frame "video".
_IMAGE_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"BM", "a BMP image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
)

# A pass that delivers fewer than this share of the advertised frames counts as damaged.
_COMPLETE_SHARE = 0.95
_DEFAULT_FPS = 30.0


def _sniff_still_image(path: Path) -> str | None:
    """'a JPEG image' etc. when the file starts like a still image, else None."""
    try:
        with path.open("rb") as fh:
            head = fh.read(16)
    except OSError:
        return None
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "a WebP image"
    for magic, what in _IMAGE_MAGIC:
        if head.startswith(magic):
            return what
    return None


class VideoFileSource(FrameSource):
    """Frames of a video file.

    At the end of the file: stop (read() returns None), `loop` (start again; media_time
    resets, timestamp keeps growing by the length of each pass) or `hold` (repeat the last
    frame forever with timestamps advancing at the file's fps).

    `Frame.timestamp` = media position + total duration of the previous passes (deterministic,
    never the wall clock); `Frame.media_time` = position in the file; `Frame.index` counts
    delivered frames. A truncated file that opens ends where the damage starts; `end_note`
    then says how many frames were read.
    """

    is_live = False

    def __init__(self, path: str | Path, *, loop: bool = False, hold: bool = False) -> None:
        if loop and hold:
            raise ValueError("a video source can loop or hold at its end, not both")
        self.path = Path(path)
        self.name = self.path.name
        self.loop = loop
        self.hold = hold
        self.frames_read = 0  # frames decoded from the file, every pass together
        self._index = 0
        self._pass_frames = 0  # frames decoded in the current pass
        self._offset = 0.0  # total duration of the previous passes
        self._last_media = -1.0
        self._last: Frame | None = None
        self._held = False
        self._ended = False
        self._cap: cv2.VideoCapture | None = None
        self._check_path()
        self._cap, first = self._open()
        self._pending: np.ndarray | None = first  # the first frame, read to validate the file
        self._pending_ms: float | None = self._position_ms()

    # -- opening ------------------------------------------------------------------------

    def _check_path(self) -> None:
        if not self.path.exists():
            raise InputError(self.path, "no such file")
        if self.path.is_dir():
            raise InputError(self.path, "is a directory, not a video file")
        if not self.path.is_file():
            raise InputError(self.path, "is not a regular file")
        try:
            size = self.path.stat().st_size
        except OSError as exc:
            raise InputError(self.path, f"cannot be read ({exc.strerror})") from exc
        if size == 0:
            raise InputError(self.path, "not a readable video (the file is empty)")
        still = _sniff_still_image(self.path)
        if still is not None:
            raise InputError(self.path, f"not a readable video (it is {still})")

    def _open(self) -> tuple[cv2.VideoCapture, np.ndarray]:
        cap = cv2.VideoCapture(str(self.path), cv2.CAP_FFMPEG)
        if not cap.isOpened():
            cap.release()
            raise InputError(
                self.path, "not a readable video (FFmpeg cannot open it: damaged or not a video)"
            )
        fps = cap.get(cv2.CAP_PROP_FPS)
        self.fps = float(fps) if math.isfinite(fps) and 0.0 < fps < 1000.0 else None
        count = cap.get(cv2.CAP_PROP_FRAME_COUNT)
        self.frame_count = int(count) if math.isfinite(count) and count > 0 else None
        ok, first = cap.read()
        if not ok or first is None:
            cap.release()
            raise InputError(self.path, "video contains no frames")
        h, w = first.shape[:2]
        self.size = (int(w), int(h))
        return cap, first

    def _position_ms(self) -> float | None:
        if self._cap is None:
            return None
        ms = self._cap.get(cv2.CAP_PROP_POS_MSEC)
        return float(ms) if math.isfinite(ms) and ms >= 0.0 else None

    # -- reading ------------------------------------------------------------------------

    @property
    def frame_duration(self) -> float:
        return 1.0 / (self.fps or _DEFAULT_FPS)

    def _decode(self) -> tuple[np.ndarray, float | None] | None:
        """The next BGR frame of the current pass and its position in ms, or None at its end."""
        if self._pending is not None:
            img, ms = self._pending, self._pending_ms
            self._pending = None
            return img, ms
        if self._cap is None:
            return None
        ok, img = self._cap.read()
        if not ok or img is None:
            return None
        return img, self._position_ms()

    def _end_of_pass(self) -> None:
        expected = self.frame_count
        if expected and self._pass_frames < _COMPLETE_SHARE * expected - 1:
            note = (f"stopped after {self._pass_frames} of {expected} frames "
                    "(file truncated or damaged)")
            if self.end_note is None:
                log.warning("%s: %s", self.path, note)
            self.end_note = note

    def read(self) -> Frame | None:
        if self._ended:
            return None
        if self._held:
            return self._repeat_last()
        decoded = self._decode()
        if decoded is None:
            self._end_of_pass()
            if self.loop and self._pass_frames > 0:
                self._restart()
                decoded = self._decode()
            elif self.hold and self._last is not None:
                self._held = True
                self._release()
                return self._repeat_last()
            if decoded is None:
                self._ended = True
                self._release()
                return None
        bgr, ms = decoded
        self.frames_read += 1
        self._pass_frames += 1
        media = self._media_time(ms)
        frame = Frame(
            image=cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB),
            timestamp=self._offset + media,
            index=self._index,
            source=self.name,
            media_time=media,
        )
        self._index += 1
        self._last = frame
        return frame

    def _media_time(self, ms: float | None) -> float:
        """The position of the frame just decoded; strictly increasing within one pass."""
        counted = (self._pass_frames - 1) * self.frame_duration
        media = ms / 1000.0 if ms is not None else counted
        if media <= self._last_media:
            media = max(counted, self._last_media + 1e-6)
        self._last_media = media
        return media

    def _restart(self) -> None:
        """Start the next pass: reopen the file (more reliable than seeking with FFmpeg)."""
        self._offset += self._last_media + self.frame_duration
        self._last_media = -1.0
        self._pass_frames = 0
        self._release()
        try:
            self._cap, first = self._open()
        except InputError:
            self._cap = None
            raise
        self._pending, self._pending_ms = first, self._position_ms()

    def _repeat_last(self) -> Frame:
        last = self._last
        assert last is not None
        frame = Frame(
            image=last.image,
            timestamp=last.timestamp + self.frame_duration,
            index=self._index,
            source=self.name,
            media_time=last.media_time,
        )
        self._index += 1
        self._last = frame
        return frame

    def _release(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None

    def close(self) -> None:
        self._release()
        self._pending = None
        self._ended = True
