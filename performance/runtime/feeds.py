"""Feeds: where the main loop's observations come from, without ever waiting for them.

Owns the two inputs of a live run: the scripted audience (observations computed from the
loop's clock, no camera, no model) and the capture feed (a capture thread filling a
newest-wins frame slot, a perception thread turning the newest frame into observations in a
second slot), plus `first_then_reopen`, which opens an input at boot (a bad one fails
there, naming it) and reopens it after a loss. Each feed reports an `InputStatus`.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import replace

from performance.config import DEFAULT_SCRIPTED_FACES, Isolation
from performance.core.clock import Clock
from performance.core.mailbox import LatestSlot
from performance.core.status import InputState, InputStatus
from performance.core.types import Frame, Observations
from performance.perception.process import PerceptionProcess
from performance.perception.worker import Detector, PerceptionWorker
from performance.sources.base import FrameSource
from performance.venue.camera import CameraCalibration

log = logging.getLogger(__name__)

SCRIPTED_RATE = 30.0  # observations per second from the scripted audience


class ScriptedFeed:
    """A scripted audience: observations computed from the loop's clock, no camera."""

    def __init__(self, faces: int = DEFAULT_SCRIPTED_FACES) -> None:
        from performance.perception.scripted import ScriptedAudience

        self.audience = ScriptedAudience(faces=faces)
        self.observations: LatestSlot[Observations] = LatestSlot()
        self.published = 0
        self._start: float | None = None
        self._due = 0.0

    @property
    def input_status(self) -> InputStatus:
        return InputStatus(InputState.SCRIPTED)

    def pump(self, now: float) -> None:
        if self._start is None:
            self._start = now
        if now >= self._due:
            self._due = max(self._due + 1.0 / SCRIPTED_RATE, now - 1.0 / SCRIPTED_RATE)
            observed = self.audience.observe(now - self._start)
            self.observations.put(replace(observed, captured=now))
            self.published += 1

    @property
    def perceived(self) -> int:
        """Observations published so far."""
        return self.published

    @property
    def captured(self) -> int:
        """No camera: nothing is captured (the observations are computed)."""
        return 0

    @property
    def latest_frame(self) -> Callable[[], Frame | None] | None:
        """No camera frames: nothing to preview."""
        return None

    def start(self) -> None:
        """Nothing to start: observations are computed in `pump`."""

    def stop(self) -> None:
        """Nothing to stop."""


class CaptureFeed:
    """Capture thread -> frame slot -> perception (its own process, or a thread) ->
    observation slot. With `Isolation.PROCESS` the frames cross in shared memory,
    `detector_factory` must be picklable (`pipeline.LandmarkerSpec` is) and the child is
    kept on `cpus` (None: any)."""

    def __init__(
        self,
        source_factory: Callable[[], FrameSource],
        detector_factory: Callable[[], Detector],
        *,
        clock: Clock,
        live: bool,
        isolation: Isolation = Isolation.PROCESS,
        cpus: frozenset[int] | None = None,
    ) -> None:
        from performance.sources.capture import CaptureWorker

        self.live = live
        self.perception_cpus = cpus if isolation is Isolation.PROCESS else None
        """The CPUs the perception is kept on (None: any, or it runs on a thread)."""
        self.observations: LatestSlot[Observations] = LatestSlot()
        self.perception: PerceptionWorker | PerceptionProcess
        if isolation is Isolation.PROCESS:
            import multiprocessing as mp

            from performance.perception.frameshare import SharedFrameSlot

            shared = SharedFrameSlot(mp.get_context("spawn"))
            self.frames: LatestSlot[Frame] = shared
            self.perception = PerceptionProcess(detector_factory, shared, self.observations,
                                                cpus=cpus)
        else:
            self.frames = LatestSlot()
            self.perception = PerceptionWorker(detector_factory, self.frames, self.observations)
        self.capture = CaptureWorker(source_factory, self.frames, clock=clock)

    @property
    def captured(self) -> int:
        """Frames capture handed on."""
        return self.capture.frames_read

    @property
    def input_status(self) -> InputStatus:
        status = self.capture.input_status
        if self.perception.last_error and not status.lost:
            status = replace(status, note=f"perception: {self.perception.last_error}")
        return status

    @property
    def camera_live(self) -> bool:
        """Whether a camera is the source and frames come from it now (the CAMERA LIVE
        marker): not while it is lost or stalled (blocked, frozen: sources/capture.py)."""
        return (self.live or self.capture.source_live) \
            and self.capture.input_status.state is InputState.LIVE

    @property
    def perceived(self) -> int:
        """Frames perception finished (observations published)."""
        return self.perception.processed

    @property
    def restarts(self) -> int:
        """Perception processes started to replace one in trouble (0 for a thread)."""
        return self.perception.restarts if isinstance(self.perception, PerceptionProcess) else 0

    @property
    def latest_frame(self) -> Callable[[], Frame | None]:
        """The newest captured frame, for the operator's preview (in memory only)."""
        return self.frames.peek

    def pump(self, now: float) -> None:
        """The perception process's observations in (never waiting), and its watchdog; a
        perception thread fills the slot itself."""
        if isinstance(self.perception, PerceptionProcess):
            self.perception.pump(now)

    def start(self) -> None:
        self.perception.start()  # creates the detector: a bad model fails here, at boot
        self.capture.start()

    def stop(self) -> None:
        self.capture.stop()
        self.frames.close()
        self.perception.stop(timeout=2.0)


def first_then_reopen(spec: str, *, loop: bool, clock: Clock, cleanup: contextlib.ExitStack,
                      missing_ok: bool = False, camera: CameraCalibration | None = None
                      ) -> tuple[Callable[[], FrameSource], bool]:
    """Open `spec` now (bad input fails at boot, naming it) and a factory that hands out that
    source first and reopens it after a loss. Also whether it is a live camera. `cleanup`
    closes the first source if the run ends before capture took it. `missing_ok` (a kiosk):
    an input that cannot be opened at boot is logged and retried by capture instead.
    `camera`: the camera calibration its sources are opened and turned with."""
    from performance.core.errors import InputError
    from performance.sources.factory import looks_like_path, open_source

    try:
        opened = [open_source(spec, loop=loop, clock=clock, camera=camera)]
    except InputError as exc:
        if not missing_ok:
            raise
        log.warning("%s; starting without it (no audience) and retrying", exc)
        opened = []
    live = opened[0].is_live if opened else not looks_like_path(spec.strip())

    def close_unused() -> None:
        while opened:
            opened.pop().close()

    cleanup.callback(close_unused)

    def factory() -> FrameSource:
        return opened.pop() if opened else open_source(spec, loop=loop, clock=clock, camera=camera)

    return factory, live
