"""The video-file writer: the only module in the rig that imports `av` (PyAV / FFmpeg).

Owns turning RGB frames (and optionally a float audio track) into an MP4 file: H.264
(libx264, yuv420p, BT.709 tags) with a fixed thread count so the same frames always give the
same bytes, an optional AAC track kept sample-accurate with the pictures (exactly
round(frames / fps * rate) samples: padded with silence or trimmed at `close()`), and the
atomic write: everything goes to a hidden temp file beside the target, renamed over it only
when complete (`close`, or `finish` then `commit` when other files must be complete first).
An unwritable target fails at construction, before any rendering; a write that fails later
(a full disk) is an `OutputError` naming the target, and the temp file is removed.
"""

from __future__ import annotations

import logging
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import Any

import av
import numpy as np

from performance.config import STAGE_SIDE_LIMITS
from performance.core.closing import Closing
from performance.core.errors import InputError, OutputError
from performance.core.files import check_writable, commit, kept_note, reason, temp_path_for

__all__ = ["VideoWriter", "audio_samples_for", "check_size", "check_writable", "fps_fraction",
           "temp_path_for"]

log = logging.getLogger(__name__)

MIN_SIDE, MAX_SIDE = STAGE_SIDE_LIMITS
_AAC_FRAME = 1024
# Fixed, not "auto": x264's output depends on its thread count, so a fixed count gives the
# same file on every machine (x264's frame threads are deterministic for a given count). Two,
# not one: the encode then overlaps the next frame's rendering (bench/bench_offline.py: the
# render at 720p / 1080p went from x1.57 / x1.78 of a bare render+encode loop to x1.49 /
# x1.56).
ENCODER_THREADS = 2
_BT709 = 1  # AVCOL_PRI_BT709 / AVCOL_TRC_BT709 / AVCOL_SPC_BT709
_LIMITED_RANGE = 1  # AVCOL_RANGE_MPEG


def check_size(size: tuple[int, int], *, option: str = "--size") -> tuple[int, int]:
    """Return (width, height) when H.264 yuv420p can hold it; InputError naming `option`."""
    width, height = size
    if width < MIN_SIDE or height < MIN_SIDE or width > MAX_SIDE or height > MAX_SIDE:
        raise InputError(option, f"{width}x{height} is outside {MIN_SIDE}..{MAX_SIDE} pixels "
                                 "per side")
    if width % 2 or height % 2:
        raise InputError(option, f"{width}x{height}: width and height must be even "
                                 "(H.264 yuv420p), e.g. "
                                 f"{width + width % 2}x{height + height % 2}")
    return width, height


def fps_fraction(fps: float) -> Fraction:
    """The frame rate as an exact fraction (29.97 -> 30000/1001, 30 -> 30, 12.5 -> 25/2)."""
    if not fps > 0 or fps != fps or fps == float("inf"):
        raise InputError("--fps", f"must be a positive number, got {fps}")
    for ntsc in (Fraction(24000, 1001), Fraction(30000, 1001), Fraction(60000, 1001)):
        if abs(fps - float(ntsc)) < 0.005:
            return ntsc
    return Fraction(fps).limit_denominator(1001)


def audio_samples_for(frames: int, fps: Fraction, rate: int) -> int:
    """Samples that belong to `frames` pictures at `fps`: round(frames / fps * rate)."""
    return round(Fraction(frames) / fps * rate)


class VideoWriter(Closing):
    """Writes an H.264 MP4 (optionally with AAC sound) atomically to `path`.

    `write_frame(rgb)` takes (H, W, 3) uint8 of exactly `size`; `write_audio(block)` takes
    float32 (n, channels) in [-1, 1]; `close()` finishes and renames; `abort()` (or an
    exception inside a `with` block) removes the temp file and leaves any old file alone.
    """

    def __init__(
        self,
        path: str | Path,
        size: tuple[int, int],
        fps: float,
        *,
        audio_rate: int | None = None,
        audio_channels: int = 2,
        crf: int = 18,
        preset: str = "veryfast",
    ) -> None:
        self.path = Path(path)
        self.size = check_size(size)
        self.fps = fps_fraction(fps)
        if not 0 <= crf <= 51:
            raise InputError("crf", f"must be 0..51, got {crf}")
        if audio_rate is not None and not 8000 <= audio_rate <= 192000:
            raise InputError("audio rate", f"must be 8000..192000 Hz, got {audio_rate}")
        if audio_channels not in (1, 2):
            raise InputError("audio channels", f"must be 1 or 2, got {audio_channels}")
        check_writable(self.path)
        self.frames = 0
        self.audio_rate = audio_rate
        self.audio_channels = audio_channels
        self.samples_written = 0
        self._pending = np.zeros((0, audio_channels), np.float32)
        self._tmp = temp_path_for(self.path)
        try:
            # The edit lists are in the movie timescale (1 ms by default): the audio rate makes
            # the sound's length exact to the sample.
            options = {"movie_timescale": str(audio_rate)} if audio_rate else {}
            self._container: Any = av.open(str(self._tmp), mode="w", format="mp4",
                                           options=options)
        except (OSError, av.FFmpegError) as exc:
            raise InputError(self.path, f"cannot write here ({reason(exc)})") from exc
        self._video: Any = self._container.add_stream("libx264", rate=self.fps)
        self._video.width, self._video.height = self.size
        self._video.pix_fmt = "yuv420p"
        # mbtree (x264's lookahead quantiser tree, float maths) gave different bytes from run
        # to run in a process that also renders with llvmpipe; without it, same in = same out.
        self._video.options = {"crf": str(crf), "preset": preset, "x264-params": "mbtree=0"}
        ctx = self._video.codec_context
        ctx.thread_count = ENCODER_THREADS
        ctx.color_primaries = ctx.color_trc = ctx.colorspace = _BT709
        ctx.color_range = _LIMITED_RANGE
        self._audio: Any = None
        if audio_rate is not None:
            layout = "stereo" if audio_channels == 2 else "mono"
            self._audio = self._container.add_stream("aac", rate=audio_rate, layout=layout)
        self._closed = False  # committed or aborted
        self._finished = False  # the temp file is complete (finish)

    # -- writing ------------------------------------------------------------------------

    def write_frame(self, rgb: np.ndarray) -> None:
        """Encode one picture: (H, W, 3) uint8 RGB of the writer's size."""
        self._check_open()
        width, height = self.size
        if rgb.shape != (height, width, 3) or rgb.dtype != np.uint8:
            raise ValueError(f"expected a ({height}, {width}, 3) uint8 frame, "
                             f"got {rgb.shape} {rgb.dtype}")
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
        frame = frame.reformat(format="yuv420p", dst_colorspace="itu709", threads=1)
        frame.pts = self.frames
        self._mux(self._video.encode(frame))
        self.frames += 1

    @property
    def audio_target(self) -> int:
        """Samples the audio track must hold for the frames written so far."""
        if self.audio_rate is None:
            return 0
        return audio_samples_for(self.frames, self.fps, self.audio_rate)

    @property
    def queued_samples(self) -> int:
        """Samples given to `write_audio` so far (encoded or waiting)."""
        return self.samples_written + len(self._pending)

    def write_audio(self, block: np.ndarray) -> None:
        """Queue float32 samples (n, channels) in [-1, 1] (a mono (n,) block is allowed).

        Samples are encoded only as far as the frames written so far reach; `close()` pads
        or trims what is left so the track ends exactly with the last frame.
        """
        self._check_open()
        if self._audio is None:
            raise ValueError("this writer has no audio track (give audio_rate)")
        data = np.asarray(block, dtype=np.float32)
        if data.ndim == 1:
            data = data[:, None]
        if data.ndim != 2 or data.shape[1] not in (1, self.audio_channels):
            raise ValueError(f"expected audio of shape (n, {self.audio_channels}), "
                             f"got {data.shape}")
        if data.shape[1] != self.audio_channels:
            data = np.repeat(data, self.audio_channels, axis=1)
        self._pending = np.concatenate([self._pending, np.clip(data, -1.0, 1.0)])
        self._encode_audio(final=False)

    def _encode_audio(self, *, final: bool) -> None:
        size = self._audio.codec_context.frame_size or _AAC_FRAME
        while (final and len(self._pending)) or (
            len(self._pending) >= size and self.samples_written + size <= self.audio_target
        ):
            chunk, self._pending = self._pending[:size], self._pending[size:]
            planar = np.ascontiguousarray(chunk.T)
            layout = "stereo" if self.audio_channels == 2 else "mono"
            frame = av.AudioFrame.from_ndarray(planar, format="fltp", layout=layout)
            frame.sample_rate = self._audio.codec_context.sample_rate
            frame.pts = self.samples_written
            self._mux(self._audio.encode(frame))
            self.samples_written += len(chunk)

    def _mux(self, packets: Any) -> None:
        try:
            for packet in packets:
                self._container.mux(packet)
        except (OSError, av.FFmpegError) as exc:  # a full disk shows up here or at the end
            raise self._write_error(exc) from exc

    def _write_error(self, exc: BaseException) -> OutputError:
        """The one-line error for a write that failed (the temp file is removed by abort)."""
        cause = exc if isinstance(exc, OSError) and exc.strerror else reason(exc)
        return OutputError(self.path, cause, kept=kept_note(self.path))

    def _check_open(self) -> None:
        if self._closed or self._finished:
            raise ValueError(f"{self.path}: writer is closed")

    # -- finishing ----------------------------------------------------------------------

    def finish(self) -> Path:
        """Flush the encoders, fit the audio to the frames and close the temp file: the video
        is complete but not yet in place (`commit` renames it, `abort` throws it away), so a
        caller can finish its other files first. Returns the temp file."""
        if self._finished:
            return self._tmp
        self._check_open()
        if self.frames == 0:
            self.abort()
            raise InputError(self.path, "no frames were rendered, nothing written")
        try:
            self._mux(self._video.encode(None))
            if self._audio is not None:
                target = self.audio_target
                queued = self.samples_written + len(self._pending)
                if queued < target:  # pad with silence up to the last frame's end
                    self._pending = np.concatenate(
                        [self._pending, np.zeros((target - queued, self.audio_channels),
                                                 np.float32)])
                self._pending = self._pending[: max(target - self.samples_written, 0)]
                self._encode_audio(final=True)
                self._mux(self._audio.encode(None))
            self._container.close()
        except OutputError:
            self.abort()
            raise
        except (OSError, av.FFmpegError) as exc:
            self.abort()
            raise self._write_error(exc) from exc
        except BaseException:
            self.abort()
            raise
        self._finished = True
        return self._tmp

    def commit(self) -> Path:
        """`finish` if not done yet, then rename the temp file over the target."""
        if self._closed:
            return self.path
        self.finish()
        try:
            commit(self._tmp, self.path)
        finally:
            self._closed = True
        return self.path

    def close(self) -> Path:
        """Flush the encoders, fit the audio to the frames, and rename into place."""
        return self.commit()

    def abort(self) -> None:
        """Stop without writing: the temp file goes, an existing target is untouched."""
        if self._closed:
            return
        self._closed = True
        if not self._finished:
            try:
                self._container.close()
            except (OSError, av.FFmpegError) as exc:  # the temp file is removed below anyway
                log.debug("%s: closing the aborted temp file failed: %s", self._tmp, exc)
        self._tmp.unlink(missing_ok=True)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """A `with` block that fails aborts (no half-written file); else the file is closed."""
        if exc_type is None:
            self.close()
        else:
            self.abort()
