"""The perception thread: newest frame in, Observations out, never a queue.

Owns running a `Detector` off the render thread. The worker always takes the newest frame
from a `LatestSlot`; frames that arrive while inference is busy overwrite each other there and
are counted as dropped, so latency never grows. Exceptions from `detect` are logged once per
kind, counted, and the thread carries on.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import Protocol

from performance.core.clock import work_seconds
from performance.core.mailbox import LatestSlot
from performance.core.types import Frame, Observations

log = logging.getLogger(__name__)


class Detector(Protocol):
    """Anything that turns a frame into observations (the MediaPipe adapter, a fake)."""

    def detect(self, frame: Frame) -> Observations:
        """The faces in `frame`, ordered left to right (by box centre)."""
        ...

    def close(self) -> None: ...


StatusCallback = Callable[[str], None]


class PerceptionWorker:
    """A daemon thread running `detector.detect` on the newest frame.

    The detector is created by `detector_factory` in `start()` (so a missing model fails there,
    in the caller's thread) and closed by `stop()`.
    """

    def __init__(
        self,
        detector_factory: Callable[[], Detector],
        frames: LatestSlot[Frame],
        out: LatestSlot[Observations],
        *,
        on_status: StatusCallback | None = None,
        poll_s: float = 0.05,
        name: str = "essence-perception",
    ) -> None:
        self._factory = detector_factory
        self._frames = frames
        self._out = out
        self._on_status = on_status
        self._poll_s = poll_s
        self._name = name
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._detector: Detector | None = None
        self.processed = 0
        self.errors: dict[str, int] = {}
        self.last_latency_s: float | None = None
        self.last_error: str | None = None

    @property
    def dropped(self) -> int:
        """Frames overwritten in the input slot before the worker could take them."""
        return self._frames.dropped

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _status(self, message: str) -> None:
        if self._on_status is None:
            return
        try:
            self._on_status(message)
        except Exception:  # a broken status display must not stop perception
            log.exception("perception status callback failed")

    def start(self) -> None:
        """Create the detector (errors propagate) and start the thread."""
        if self.running:
            return
        self._detector = self._factory()
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name=self._name, daemon=True)
        self._thread.start()
        self._status("perception running")

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the thread to finish its current frame, wait for it, close the detector."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout)
            if thread.is_alive():
                log.warning("perception thread still busy after %.1f s; leaving it", timeout)
                return
        if self._detector is not None:
            try:
                self._detector.close()
            finally:
                self._detector = None
            self._status("perception stopped")

    def _loop(self) -> None:
        detector = self._detector
        assert detector is not None
        while not self._stop.is_set():
            frame = self._frames.take(timeout=self._poll_s)
            if frame is None:
                if self._frames.closed:
                    break
                continue
            started = work_seconds()
            try:
                observations = detector.detect(frame)
            except Exception as exc:
                self._record_error(exc)
                continue
            self.last_latency_s = work_seconds() - started
            self.processed += 1
            self._out.put(replace(observations, captured=frame.captured,
                                  inference_s=self.last_latency_s))

    def _record_error(self, exc: Exception) -> None:
        kind = type(exc).__name__
        first = kind not in self.errors
        self.errors[kind] = self.errors.get(kind, 0) + 1
        self.last_error = f"{kind}: {exc}"
        if first:
            log.error("perception: detect failed (%s); counting further %s errors quietly",
                      self.last_error, kind, exc_info=exc)
            self._status(f"perception error: {self.last_error}")

    def __enter__(self) -> PerceptionWorker:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
