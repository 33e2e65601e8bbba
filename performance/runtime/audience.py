"""The audiences of an offline render: what the emotion engine is fed at each output time.

Owns the two inputs a render can have: the scripted audience (computed from the media time)
and a video or image file read in step with the media clock, every new source frame
perceived at once (nothing is dropped, so the same input gives the same file; the last frame
is held at the end). Each reports how much perception it did, for the render's summary.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Protocol

from performance.config import Settings
from performance.core.clock import work_seconds
from performance.core.errors import InputError
from performance.core.types import Observations, RoomEmotion
from performance.emotion.engine import EmotionEngine
from performance.perception.worker import Detector
from performance.runtime.pipeline import SCRIPTED, engine_from_settings, landmarker_factory
from performance.sources.base import FrameSource
from performance.sources.video import VideoFileSource


class Audience(Protocol):
    """What the render asks of its input: the room's emotion at each output time."""

    name: str
    duration: float | None  # seconds the input lasts (None: no end of its own)
    perception_times: list[float]  # wall seconds of each input frame in the face model

    def advance(self, t: float) -> RoomEmotion:
        """The room's emotion at media time `t` (called with increasing `t`)."""
        ...

    def close(self) -> None:
        """Release the source and the detector."""
        ...


class ScriptedRoom:
    """The built-in scripted audience, computed at each output time (no camera, no model)."""

    def __init__(self, engine: EmotionEngine, faces: int, seed: int) -> None:
        from performance.perception.scripted import ScriptedAudience

        self.engine = engine
        self.audience = ScriptedAudience(faces=faces, seed=seed)
        self.name = f"scripted audience ({faces} faces)"
        self.duration: float | None = None
        self.perception_times: list[float] = []  # no face model

    def advance(self, t: float) -> RoomEmotion:
        return self.engine.update(self.audience.observe(t))

    def close(self) -> None:
        """Nothing to release."""


class PerceivedFile:
    """A file source read in step with the media clock, each new frame perceived at once."""

    def __init__(self, source: FrameSource, detector: Detector, engine: EmotionEngine) -> None:
        self.source, self.detector, self.engine = source, detector, engine
        self.name = source.name
        self.duration: float | None = None
        if isinstance(source, VideoFileSource) and source.fps and source.frame_count:
            self.duration = source.frame_count / source.fps
        self._pending = source.read()
        self._shown = False
        self._last: Observations | None = None
        self.perception_times: list[float] = []  # each frame's wall time in the face model

    def advance(self, t: float) -> RoomEmotion:
        while self._pending is not None and (
            not self._shown or self._pending.timestamp <= t + 1e-9
        ):
            frame, self._shown = self._pending, True
            started = work_seconds()
            self._last = self.detector.detect(frame)
            self.perception_times.append(work_seconds() - started)  # reporting only
            self.engine.update(self._last)
            self._pending = self.source.read()
        if self._pending is None and self._last is not None and t > self._last.timestamp:
            # The last frame is held: it is still what the audience "shows".
            self._last = replace(self._last, timestamp=t, media_time=t)
            self.engine.update(self._last)
        return self.engine.latest

    def close(self) -> None:
        self.source.close()
        self.detector.close()


def open_audience(spec: str, settings: Settings, *, scripted_faces: int, seed: int) -> Audience:
    """The audience of a render: `scripted`, or a video or image file perceived frame by
    frame (the face model is resolved first, so a bad one fails before any work). A camera
    calibration that is set is loaded either way: a bad file is an error for the scripted
    audience too (as for `run`), not a render that silently ignores it."""
    from performance.runtime.pipeline import camera_from_settings

    engine = engine_from_settings(settings)
    spec = spec.strip()
    if spec.lower() == SCRIPTED:
        camera_from_settings(settings)
        return ScriptedRoom(engine, scripted_faces, seed)
    if not spec:
        raise InputError("--input", "empty: give a video, an image or 'scripted'")
    if spec.isdigit():
        raise InputError("--input", f"'{spec}' is a live camera; an offline render needs a "
                                    "video file, an image or 'scripted'")
    path = Path(spec).expanduser()
    if not path.exists():
        raise InputError(path, "no such file")
    from performance.sources.factory import open_source

    make_detector = landmarker_factory(settings, "video")
    source = open_source(str(path), camera=camera_from_settings(settings))
    try:
        detector = make_detector()
    except BaseException:
        source.close()
        raise
    return PerceivedFile(source, detector, engine)
