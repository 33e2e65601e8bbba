"""Video files as a frame source: opening with clear errors, end-of-file policy, timestamps.

Owns how a video file becomes frames: FFmpeg through cv2.VideoCapture, BGR -> RGB, what
happens at the end (stop, loop or hold), our own strictly increasing timestamps, and how
bad files (missing, not a video, empty, truncated) are reported.

Timestamps that jump (a forward step of more than `JUMP_PERIODS` frame periods, at least
`JUMP_MIN_S`, or a step back beyond B-frame reordering: a broken muxer, concatenated
streams) never reach pacing or planning: at open, the packets' timestamps are scanned
without decoding (OpenCV's raw mode, at most `SCAN_BUDGET_S`); when they jump, the file is
timed by frame count (index / fps), its frame count and rate are the scan's (FFmpeg derives
the container's from the broken duration: a 4.8 s clip read as an hour), and one warning
names the file. A jump the scan could not see (a longer file) is caught as it is read: from
there on, time advances one frame period a frame, with the same warning.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from performance.core.errors import InputError
from performance.core.types import Frame
from performance.sources.base import FrameSource
from performance.sources.cvlog import quiet_opencv

log = logging.getLogger(__name__)
quiet_opencv()  # the rig names what is wrong with a file itself (cvlog.py)

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
JUMP_PERIODS = 100  # a forward step of more than this many frame periods is a jump ...
JUMP_MIN_S = 2.0  # ... and never one of less than this
REORDER_PERIODS = 16  # packets come at most this far out of presentation order (B-frames)
SCAN_BUDGET_S = 3.0  # the longest the timestamp scan at open may take (then: as read)
_RATE_AGREES = 0.25  # the container's fps is kept while within this share of the scan's


@dataclass(frozen=True)
class Timeline:
    """What the scan of a file's packets found: how many frames, their usual step, and
    what is wrong with the timestamps (None: nothing)."""

    frames: int
    period: float | None  # seconds between two frames (the mean of the regular steps)
    jump: str | None


def scan_timestamps(path: Path, budget: float = SCAN_BUDGET_S) -> Timeline | None:
    """Read every packet's timestamp without decoding; None when OpenCV's raw mode is not
    available, the file gives no packet, or the scan would take longer than `budget`."""
    cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    stamps: list[float] = []
    try:
        if not cap.isOpened() or not cap.set(cv2.CAP_PROP_FORMAT, -1):
            return None
        deadline = time.perf_counter() + budget
        while cap.grab():
            stamps.append(cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0)
            if len(stamps) % 4096 == 0 and time.perf_counter() > deadline:
                return None
    finally:
        cap.release()
    found = np.asarray([t for t in stamps if math.isfinite(t)], dtype=np.float64)
    if not stamps:
        return None
    if found.size < 2:
        return Timeline(len(stamps), None, None)
    steps = np.diff(np.sort(found))
    steps = steps[steps > 0]
    if not steps.size:
        return Timeline(len(stamps), None, "every frame has the same timestamp")
    median = float(np.median(steps))
    regular = steps[(steps > 0.5 * median) & (steps < 2.0 * median)]
    period = float(regular.mean()) if regular.size else median
    return Timeline(len(stamps), period, _jump(found, period))


def _jump(stamps: np.ndarray, period: float) -> str | None:
    """The first jump in packet-order timestamps, in words; None without one."""
    limit = max(JUMP_MIN_S, JUMP_PERIODS * period)
    if stamps[0] > limit:
        return f"the first frame is at {stamps[0]:.1f} s"
    top = np.maximum.accumulate(stamps)[:-1]
    steps = stamps[1:] - top
    bad = np.flatnonzero((steps > limit) | (steps < -REORDER_PERIODS * period))
    if not bad.size:
        return None
    i = int(bad[0])
    step = float(steps[i])
    way = "forward" if step > 0 else "back"
    return f"they jump {way} {abs(step):.1f} s after frame {i + 1}"


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
        self._counted: tuple[int, float] | None = None  # timed by count from (frame, time)
        self._warned = False
        self._check_path()
        self._cap, first = self._open()
        self._pending: np.ndarray | None = first  # the first frame, read to validate the file
        self._pending_ms: float | None = self._position_ms()
        self._check_timeline(scan_timestamps(self.path))

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

    def _check_timeline(self, timeline: Timeline | None) -> None:
        """Trust the container's rate and count, or the scan's when they disagree or the
        timestamps jump (then timed by frame count from the start, with one warning)."""
        if timeline is None:
            return
        measured = 1.0 / timeline.period if timeline.period else None
        if measured is not None and 0.0 < measured < 1000.0 and (
                self.fps is None or abs(self.fps - measured) > _RATE_AGREES * measured):
            self.fps = measured  # e.g. FFmpeg's average rate over a broken duration
        if timeline.jump is None:
            if self.frame_count is None:
                self.frame_count = timeline.frames
            return
        self.frame_count = timeline.frames  # the container's may come from the duration
        self._counted = (0, 0.0)
        self._warn(timeline.jump)

    def _warn(self, what: str) -> None:
        if not self._warned:
            self._warned = True
            log.warning("%s: timestamps not usable (%s); timed by frame count instead: "
                        "%s frames at %.4g fps", self.path, what,
                        self.frame_count if self.frame_count is not None else "unknown",
                        self.fps or _DEFAULT_FPS)

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
        """The position of the frame just decoded; strictly increasing within one pass (see
        the module for timestamps that jump)."""
        index = self._pass_frames - 1
        if self._counted is None and ms is not None:
            media = ms / 1000.0
            limit = max(JUMP_MIN_S, JUMP_PERIODS * self.frame_duration)
            if media - max(self._last_media, 0.0) > limit \
                    or media < self._last_media - 0.5 * self.frame_duration:
                way = "forward" if media > self._last_media else "back"
                start = self._last_media + self.frame_duration if index else 0.0
                self._counted = (index, start)
                self._warn(f"they jump {way} {abs(media - self._last_media):.1f} s after "
                           f"frame {index}")
            else:
                media = max(media, self._last_media + 1e-6)
        if self._counted is not None:
            first, start = self._counted
            media = start + (index - first) * self.frame_duration
        elif ms is None:
            media = max(index * self.frame_duration, self._last_media + 1e-6)
        self._last_media = media
        return media

    def _restart(self) -> None:
        """Start the next pass: reopen the file (more reliable than seeking with FFmpeg)."""
        self._offset += self._last_media + self.frame_duration
        self._last_media = -1.0
        self._pass_frames = 0
        if self._counted is not None:
            self._counted = (0, 0.0)  # the next pass is timed by count from its start
        self._release()
        checked = self.fps, self.frame_count  # the file's, as checked at open (not again)
        try:
            self._cap, first = self._open()
        except InputError:
            self._cap = None
            raise
        finally:
            self.fps, self.frame_count = checked
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
