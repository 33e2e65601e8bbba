"""SIGTERM and SIGHUP end a live run cleanly: what `systemctl stop` and a dropped ssh send.

Owns turning those signals into a request to end the run. While `stop_on_signals` is
active (on the main thread: Python runs signal handlers there), the handler only sets the
yielded `StopRequest` (a flag) and calls the optional `request_stop`; the run's loop asks
the flag once a frame (`run_live(stop=...)`) and ends through its normal path: the sound
fades, the children are stopped, the exit status is 0. Nothing else happens in the handler;
which signal came is logged once the run is over. A signal during start-up ends the run
before its first frame. Entering it also starts multiprocessing's resource tracker deaf to
a hang-up (core.orphans), so a SIGHUP to the whole process group cannot kill it under the run.

On exit the previous handlers come back. A previous handler that is a Python function is
called too, after `request_stop`, so an outer run (a kiosk around `run_show`) hears the
signal as well; a signal the invoker ignores (`nohup` ignores SIGHUP) stays ignored.
Without a handler the default action kills the process at once and its children die with
it (core.orphans), but nothing fades and the exit status says killed.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any

from performance.core.orphans import start_resource_tracker

log = logging.getLogger(__name__)

STOP_SIGNALS: tuple[signal.Signals, ...] = tuple(
    s for s in (getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None))
    if s is not None)


class StopRequest:
    """A flag a signal handler sets and a run's loop asks (`stop=request`) once a frame."""

    def __init__(self) -> None:
        self.signum: int | None = None  # the signal that asked (None: not asked)

    def request(self, signum: int = 0) -> None:
        """Ask the run to end (safe in a signal handler: it only sets the flag)."""
        if self.signum is None:
            self.signum = signum

    def __call__(self) -> bool:
        """Whether the run was asked to end."""
        return self.signum is not None


def on_main_thread() -> bool:
    """Whether handlers can be installed here (Python allows it on the main thread only)."""
    return threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def stop_on_signals(request_stop: Callable[[], None] | None = None,
                    signals: tuple[signal.Signals, ...] = STOP_SIGNALS) -> Iterator[StopRequest]:
    """While inside, each of `signals` ends the run instead of the process (see the
    module): it sets the yielded `StopRequest` (a loop's `stop`: `run_live(stop=asked)`)
    and calls `request_stop()` when given. RuntimeError off the main thread."""
    if not on_main_thread():
        raise RuntimeError("signal handlers can only be installed from the main thread")
    seen = StopRequest()
    if getattr(signal, "SIGHUP", None) in signals:
        start_resource_tracker()  # multiprocessing's helper must outlive a group's hang-up
    previous: dict[signal.Signals, Callable[[int, FrameType | None], Any] | int | None] = {}

    def handler(signum: int, frame: FrameType | None) -> None:
        seen.request(signum)
        if request_stop is not None:
            request_stop()
        outer = previous.get(signal.Signals(signum))
        if callable(outer):
            outer(signum, frame)

    try:
        for signum in signals:
            current = signal.getsignal(signum)
            if current is signal.SIG_IGN:
                continue  # the invoker ignores it (nohup): so do we
            previous[signum] = current
            signal.signal(signum, handler)
        yield seen
    finally:
        for signum, old in previous.items():
            # None: installed outside Python; the default is the closest we can restore
            signal.signal(signum, old if old is not None else signal.SIG_DFL)
        if seen.signum is not None:
            log.info("%s: the run ended on request", signal.Signals(seen.signum).name)
