"""The capture worker: pulls frames from a source into a LatestSlot, and watches the source.

Owns the live-input loop: opening the source through a factory, pacing non-live sources to
their fps by the injected clock, handing each frame to a newest-wins slot (never a queue),
and surviving a source that fails or stops without failing:

- **lost** (the factory or a read raises): reported once, the source closed and opened again
  after `retry_s`, the wait doubling up to `RETRY_MAX_S` while it keeps failing (back to
  `retry_s` once a source gave a frame);
- **stalled, blocked**: an open or a read that has not returned for the stall time (by
  default `STALL_PERIODS` frame periods, at least `STALL_MIN_S`; a freshly opened source has
  `FIRST_FRAME_S` for its first frame) makes the input `stalled`; the source is abandoned,
  its thread left blocked (a daemon that closes the source should the read ever return, and
  hands nothing on), and a new source is opened at once (when that fails, with the
  back-off above: a camera still held by the blocked read is busy, and the input stays
  `stalled` while that read blocks; with `MAX_BLOCKED` reads left blocked, none is opened
  until one returns), so tracking resumes as soon as the camera answers again;
- **stalled, frozen**: a live source that gives the same image (a subsample's CRC; not a
  uniform one, which is a dark room or a lens cap; frozen.py) for the stall time is
  `stalled` the same way and opened again at once; its repeats are no longer handed on, so
  the emotion decays to no audience as it does for a lost camera.

Each opened source is read on a daemon thread of its own (`_Reader`); the worker's thread
only opens, watches (every `WATCH_S`) and reopens. Pacing sleeps are not reads: a paced
file never counts as stalled while it waits for its next frame's time, and pacing never
waits for a frame more than `PACE_AHEAD_PERIODS` frame periods ahead (a timestamp jump):
it starts its schedule again there, with one warning.
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
from performance.sources.base import FrameSource, SourceStalled
from performance.sources.frozen import Repeats

log = logging.getLogger(__name__)

# Longest single wait on the stop event; the clock is re-read after it (a ManualClock moves
# only when a test moves it, so waits are chunked rather than computed once).
_WAIT_CHUNK_S = 0.02
# A paced source that falls further behind than this restarts its schedule (no burst).
_MAX_LAG_S = 0.5
# ... and one whose next frame is further ahead than this many frame periods (at least
# PACE_AHEAD_MIN_S) restarts it too instead of waiting: a timestamp jump the source let
# through (sources/video.py catches those of files) must never make capture wait an hour.
PACE_AHEAD_PERIODS = 100.0
PACE_AHEAD_MIN_S = 2.0
WATCH_S = 0.05  # how often the worker looks whether its source's read came back
STALL_PERIODS = 10.0  # a read blocked for this many frame periods is a stall ...
STALL_MIN_S = 2.0  # ... and never less than this
FIRST_FRAME_S = 5.0  # a freshly opened source's first frame may take this long (USB cameras)
RETRY_MAX_S = 10.0  # the longest wait between two attempts to open a failing source
STOP_READER_S = 1.0  # how long stop waits for a reader to close its source
MAX_BLOCKED = 2  # abandoned readers still blocked before no new source is opened


class CaptureWorker:
    """Reads a frame source on daemon threads and puts every frame into `slot`.

    `input_status` is an `InputStatus` (starting, live, lost or stalled with the reason,
    ended: the source finished and the slot is then closed so consumers see the end after
    the last frame, stopped); `status` is its line for people ("live", "lost: <reason>",
    "stalled: <reason>"). `on_status` is called with that line at every change. `pace`
    None means: pace non-live sources (files, stills, synthetic) to their timestamps, never
    live cameras. `stall_s` None: the stall time from the source's fps (see the module).
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
        stall_s: float | None = None,
        first_frame_s: float = FIRST_FRAME_S,
    ) -> None:
        if retry_s <= 0:
            raise ValueError(f"retry_s must be positive, got {retry_s}")
        if stall_s is not None and stall_s <= 0:
            raise ValueError(f"stall_s must be positive, got {stall_s}")
        self._factory = source_factory
        self.slot = slot
        self.clock = clock
        self.retry_s = retry_s
        self.stall_s = stall_s
        self.first_frame_s = first_frame_s
        self._on_status = on_status
        self._pace = pace
        self.name = name
        self._stop = threading.Event()
        self._wake = threading.Event()  # a reader finished
        self._lock = threading.RLock()  # status, counters and the slot vs an abandoned reader
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._status = InputStatus(InputState.STARTING)
        self._reader: _Reader | None = None
        self._blocked: list[_Reader] = []  # abandoned readers still inside a read or open
        self.frames_read = 0
        self.opened = 0  # sources opened (attempts, the failed ones too)
        self.stalls = 0  # sources abandoned because they stalled
        self._warned_ahead = False
        self.source_name: str | None = None
        self.source_live = False  # whether the source last opened is a live one (a camera)
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
        """Ask the threads to finish and wait up to `timeout` s; True when the worker's has
        (a reader blocked inside a read is left behind, a daemon)."""
        self._stop.set()
        self._wake.set()
        if self._thread.ident is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def wait_for(self, predicate: Callable[[CaptureWorker], bool], timeout: float) -> bool:
        """Block until `predicate(self)` holds (re-checked at each status change or frame)."""
        with self._changed:
            return self._changed.wait_for(lambda: predicate(self), timeout)

    def stall_after(self, source: FrameSource | None) -> float:
        """Seconds a read of `source` may block before the input counts as stalled."""
        if self.stall_s is not None:
            return self.stall_s
        fps = source.fps if source is not None else None
        return max(STALL_MIN_S, STALL_PERIODS / fps) if fps else STALL_MIN_S

    # -- shared by the threads ------------------------------------------------------------

    def _set_status(self, state: InputState, reason: str = "") -> None:
        status = InputStatus(state, reason)
        with self._lock:
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
        stalled = isinstance(exc, SourceStalled)
        self._set_status(InputState.STALLED if stalled else InputState.LOST, reason)

    def _wait_until(self, deadline: float, abandoned: threading.Event | None = None) -> bool:
        """Wait until the clock reaches `deadline`; False if stop (or `abandoned`) came first."""
        while not self._stop.is_set() and not (abandoned is not None and abandoned.is_set()):
            remaining = deadline - self.clock.now()
            if remaining <= 0:
                return True
            if self._stop.wait(min(remaining, _WAIT_CHUNK_S)):
                return False
        return False

    @staticmethod
    def _close(source: FrameSource) -> None:
        try:
            source.close()
        except Exception:
            log.exception("closing %s failed", source.name)

    # -- the worker's thread: open, watch, reopen -----------------------------------------

    def _run(self) -> None:
        failures = 0
        try:
            while not self._stop.is_set():
                if not self._few_blocked():
                    break
                reader = _Reader(self, self.opened + 1)
                self._reader = reader
                self.opened += 1
                reader.thread.start()
                outcome = self._watch(reader)
                if outcome == "stop":
                    break
                if outcome == "ended":
                    self._set_status(InputState.ENDED)
                    self.slot.close()  # consumers get the last frame, then None
                    return
                stalled = outcome == "stalled" or isinstance(reader.error, SourceStalled)
                if stalled and reader.frames:  # it gave frames, then stopped: again at once
                    failures = 0
                    continue
                failures = 1 if reader.frames else failures + 1
                wait = min(RETRY_MAX_S, self.retry_s * 2.0 ** (failures - 1))
                if not self._wait_until(self.clock.now() + wait):
                    break
        finally:
            reader_left = self._reader
            if reader_left is not None:
                reader_left.abandoned.set()
                reader_left.thread.join(STOP_READER_S)  # so it closes its source first
            if self._status.state is not InputState.ENDED:
                self._set_status(InputState.STOPPED)

    def _watch(self, reader: _Reader) -> str:
        """Until the reader finishes or stalls: "ended", "lost", "stalled" or "stop"."""
        while True:
            self._wake.wait(WATCH_S)
            self._wake.clear()
            if self._stop.is_set():
                return "stop"
            if reader.done:
                if reader.error is not None:
                    self._failed(reader.error)
                    return "lost"
                return "ended" if reader.ended else "stop"
            since = reader.busy_since
            if since is None:
                continue
            limit = self.stall_after(reader.source)
            if not reader.frames:
                limit = max(limit, self.first_frame_s)
            if self.clock.now() - since < limit:
                continue
            what = "opening it" if reader.source is None else "a read"
            name = reader.source.name if reader.source is not None else (
                self.source_name or "input")
            with self._lock:
                if reader.done:  # it came back just now: judge it next time round
                    continue
                reader.abandoned.set()  # whatever it reads from now on is dropped
                self._blocked.append(reader)
                self.stalls += 1
                reason = f"{name}: no frame for {limit:g} s ({what} is blocked); reopening"
                self.last_error = reason
                self._set_status(InputState.STALLED, reason)
            log.warning("%s: abandoned on its blocked thread, opening it again", name)
            return "stalled"

    def _few_blocked(self) -> bool:
        """Wait while `MAX_BLOCKED` abandoned readers are still blocked (a hung driver must
        not leave a thread behind every few seconds for days; the input stays stalled);
        False once stop was asked."""
        while True:
            self._blocked = [r for r in self._blocked if not r.done]
            if len(self._blocked) < MAX_BLOCKED:
                return not self._stop.is_set()
            if self._stop.wait(WATCH_S):
                return False

    def _failed(self, exc: BaseException) -> None:
        """A reader failed: the input is lost, unless it stays stalled because the read that
        stalled it still blocks (a camera it holds then fails to open: busy)."""
        self._blocked = [r for r in self._blocked if not r.done]
        if self._blocked and self._status.state is InputState.STALLED \
                and not isinstance(exc, SourceStalled):
            self.last_error = str(exc)
            log.debug("reopening failed while the stalled read still blocks: %s", exc)
            return
        self._lost(exc)


class _Reader:
    """One opened source, read on its own daemon thread until it ends, fails, stalls or is
    abandoned (see the module)."""

    def __init__(self, worker: CaptureWorker, number: int) -> None:
        self.worker = worker
        self.abandoned = threading.Event()
        self.source: FrameSource | None = None
        self.busy_since: float | None = worker.clock.now()  # inside open()/read() since
        self.frames = 0  # frames it handed on
        self.ended = False
        self.error: BaseException | None = None
        self.done = False
        self.thread = threading.Thread(target=self._run, name=f"{worker.name}-read-{number}",
                                       daemon=True)

    def _quit(self) -> bool:
        return self.worker._stop.is_set() or self.abandoned.is_set()

    def _run(self) -> None:
        worker, source = self.worker, None
        try:
            source = worker._factory()
            with worker._lock:
                self.source = source
                if not self.abandoned.is_set():
                    worker.source_name, worker.source_live = source.name, source.is_live
            self.ended = self._pump(source)
            if self.ended:
                worker.end_note = source.end_note
        except Exception as exc:  # lost (a read raised): reported by the worker's thread
            self.error = exc
        finally:
            self.busy_since = None
            if source is not None:
                worker._close(source)  # closed before the loss is reported
            self.done = True
            worker._wake.set()

    def _pump(self, source: FrameSource) -> bool:
        """Move frames until the source ends (True) or stop/abandon (False); raises when
        lost or frozen."""
        worker = self.worker
        pace = worker._pace if worker._pace is not None else not source.is_live
        repeats = Repeats() if source.is_live else None
        stall = worker.stall_after(source)
        anchor: tuple[float, float] | None = None  # (clock time, frame timestamp)
        while not self._quit():
            self.busy_since = worker.clock.now()
            frame = source.read()  # an error here means the source is lost
            self.busy_since = None
            if frame is None:
                return True
            if self._quit():
                return False
            if pace:
                if anchor is None:
                    anchor = (worker.clock.now(), frame.timestamp)
                else:
                    due = anchor[0] + (frame.timestamp - anchor[1])
                    ahead = due - worker.clock.now()
                    if ahead > max(PACE_AHEAD_MIN_S, PACE_AHEAD_PERIODS / (source.fps or 30.0)):
                        if not worker._warned_ahead:
                            worker._warned_ahead = True
                            log.warning("%s: the next frame is %.1f s ahead (its timestamps "
                                        "jump); not waiting for it", source.name, ahead)
                        anchor = (worker.clock.now(), frame.timestamp)
                    elif not worker._wait_until(due, self.abandoned):
                        return False
                    if worker.clock.now() - due > _MAX_LAG_S:
                        anchor = (worker.clock.now(), frame.timestamp)
            now = worker.clock.now()
            if repeats is not None and (same := repeats.seen(frame.image, now)) >= stall:
                raise SourceStalled(source.name, f"the same image for {same:.1f} s (frozen); "
                                    "reopening")
            with worker._lock:
                if self.abandoned.is_set():
                    return False
                worker.slot.put(replace(frame, captured=now))  # the latency's start
                worker.frames_read += 1
                self.frames += 1
                if self.frames == 1:
                    worker._set_status(InputState.LIVE)
            worker._notify()
        return False
