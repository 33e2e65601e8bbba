"""The capture worker: one daemon thread that pulls frames from a source into a LatestSlot.

Owns the live-input loop: opening the source through a factory, pacing non-live sources to
their fps by the injected clock, handing each frame to a newest-wins slot (never a queue),
and surviving a lost source: it reports once, keeps running and reopens every `retry_s`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import replace

from performance.core.clock import Clock
from performance.core.errors import InputError
from performance.core.mailbox import LatestSlot
from performance.core.status import InputState, InputStatus
from performance.core.types import Frame
from performance.sources.base import FrameSource

log = logging.getLogger(__name__)

# Longest single wait on the stop event; the clock is re-read after it (a ManualClock moves
# only when a test moves it, so waits are chunked rather than computed once).
_WAIT_CHUNK_S = 0.02
# A paced source that falls further behind than this restarts its schedule (no burst).
_MAX_LAG_S = 0.5


class CaptureWorker:
    """Reads a frame source on a daemon thread and puts every frame into `slot`.

    `input_status` is an `InputStatus` (starting, live, lost with its reason, ended: the
    source finished and the slot is then closed so consumers see the end after the last
    frame, stopped); `status` is its line for people ("live", "lost: <reason>").
    `on_status` is called with that line on the worker thread at every change. `pace` None
    means: pace non-live sources (files, stills, synthetic) to their timestamps, never live cameras.
    """

    def __init__(
        self,
        source_factory: Callable[[], FrameSource],
        slot: LatestSlot[Frame],
        *,
        clock: Clock,
        retry_s: float = 2.0,
        on_status: Callable[[str], None] | None = None,
        pace: bool | None = None,
        name: str = "capture",
    ) -> None:
        if retry_s <= 0:
            raise ValueError(f"retry_s must be positive, got {retry_s}")
        self._factory = source_factory
        self.slot = slot
        self.clock = clock
        self.retry_s = retry_s
        self._on_status = on_status
        self._pace = pace
        self._stop = threading.Event()
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._status = InputStatus(InputState.STARTING)
        self.frames_read = 0
        self.source_name: str | None = None
        self.last_error: str | None = None
        self.end_note: str | None = None

    # -- public -------------------------------------------------------------------------

    @property
    def input_status(self) -> InputStatus:
        """The input's state now."""
        return self._status

    @property
    def status(self) -> str:
        """The input's state as a line for people."""
        return str(self._status)

    @property
    def dropped(self) -> int:
        """Frames overwritten in the slot before anyone took them."""
        return self.slot.dropped

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def start(self) -> None:
        """Start the thread (once)."""
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> bool:
        """Ask the thread to finish and wait up to `timeout` s; True when it has finished."""
        self._stop.set()
        if self._thread.ident is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def wait_for(self, predicate: Callable[[CaptureWorker], bool], timeout: float) -> bool:
        """Block until `predicate(self)` holds (re-checked at each status change or frame)."""
        with self._changed:
            return self._changed.wait_for(lambda: predicate(self), timeout)

    # -- worker thread --------------------------------------------------------------------

    def _set_status(self, state: InputState, reason: str = "") -> None:
        status = InputStatus(state, reason)
        if status == self._status:
            return
        self._status = status
        level = logging.WARNING if status.lost else logging.INFO
        log.log(level, "%s: %s", self.source_name or "input", status)
        self._notify()
        if self._on_status is not None:
            try:
                self._on_status(str(status))
            except Exception:  # a broken listener must not kill capture
                log.exception("on_status callback failed")

    def _notify(self) -> None:
        with self._changed:
            self._changed.notify_all()

    def _lost(self, exc: BaseException) -> None:
        if isinstance(exc, InputError):
            reason = str(exc)
        else:
            log.error("unexpected error in capture", exc_info=exc)
            reason = f"{type(exc).__name__}: {exc}"
        self.last_error = reason
        self._set_status(InputState.LOST, reason)

    def _wait_until(self, deadline: float) -> bool:
        """Wait until the clock reaches `deadline`; False if stop was asked first."""
        while not self._stop.is_set():
            remaining = deadline - self.clock.now()
            if remaining <= 0:
                return True
            if self._stop.wait(min(remaining, _WAIT_CHUNK_S)):
                return False
        return False

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                source = self._open()
                if source is None:
                    break
                try:
                    ended = self._pump(source)
                except Exception as exc:  # lost mid-run: close first, then report
                    self._close(source)
                    self._lost(exc)
                    ended = False
                else:
                    self._close(source)
                if ended:
                    self.end_note = source.end_note
                    self._set_status(InputState.ENDED)
                    self.slot.close()  # consumers get the last frame, then None
                    return
                if not self._stop.is_set() and not self._wait_until(
                    self.clock.now() + self.retry_s
                ):
                    break
        finally:
            if self._status.state is not InputState.ENDED:
                self._set_status(InputState.STOPPED)

    @staticmethod
    def _close(source: FrameSource) -> None:
        try:
            source.close()
        except Exception:
            log.exception("closing %s failed", source.name)

    def _open(self) -> FrameSource | None:
        """A freshly opened source, retrying every retry_s; None once stop is asked."""
        while not self._stop.is_set():
            try:
                source = self._factory()
            except Exception as exc:
                self._lost(exc)
            else:
                self.source_name = source.name
                return source
            if not self._wait_until(self.clock.now() + self.retry_s):
                return None
        return None

    def _pump(self, source: FrameSource) -> bool:
        """Move frames until the source ends (True) or stop is asked (False); raises when lost."""
        pace = self._pace if self._pace is not None else not source.is_live
        anchor: tuple[float, float] | None = None  # (clock time, frame timestamp)
        first = True
        while not self._stop.is_set():
            frame = source.read()  # an error here means the source is lost (see _run)
            if frame is None:
                return True
            if pace:
                if anchor is None:
                    anchor = (self.clock.now(), frame.timestamp)
                else:
                    due = anchor[0] + (frame.timestamp - anchor[1])
                    if not self._wait_until(due):
                        return False
                    if self.clock.now() - due > _MAX_LAG_S:
                        anchor = (self.clock.now(), frame.timestamp)
            self.slot.put(replace(frame, captured=self.clock.now()))  # the latency's start
            self.frames_read += 1
            if first:
                first = False
                self._set_status(InputState.LIVE)
            self._notify()
        return False
