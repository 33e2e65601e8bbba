"""Perception in its own process: the face model never competes with rendering for the GIL.

Owns the perception child and watching it. Frames reach the child through shared memory
(`frameshare`: newest wins, never a queue); its observations come back over a pipe, which
the render loop drains without waiting in `pump` once a frame. The child is started by
`start()` (a model that cannot load fails there, in the caller, naming it), watched on every
`pump`: when it dies (MediaPipe crashed) or sits on one frame longer than `hang_s`, that is
reported once per kind, the child is killed, and a new one is started `restart_s` later,
without the picture ever waiting, and the child dies with the render process
(core.orphans). The detector is built in the child by a picklable factory
(`runtime.pipeline.LandmarkerSpec`, or a test's fake).

Measured against the thread it replaces (bench/bench_perception.py): see the README's
*Measured figures*.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing as mp
import os
from collections.abc import Callable
from dataclasses import replace
from enum import StrEnum
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from performance.core.clock import work_seconds
from performance.core.errors import ConfigError, ModelError
from performance.core.mailbox import LatestSlot
from performance.core.orphans import die_with_parent, leave_stop_signals_to_parent, parent_alive
from performance.core.restarts import RestartSchedule, Supervised, Trouble, life_trouble
from performance.core.types import Observations
from performance.perception.frameshare import FrameReader, SharedFrameSlot, SlotHandles
from performance.perception.worker import Detector

log = logging.getLogger(__name__)

HANG_S = 10.0  # one frame's inference longer than this is a hang: the child is replaced
RESTART_S = 1.0  # first wait before a replacement child starts (doubles, up to RESTART_MAX_S)
RESTART_MAX_S = 30.0
START_TIMEOUT_S = 120.0  # how long `start()` waits for the first child's model to load


class Report(StrEnum):
    """What the child sends back over its pipe."""

    READY = "ready"  # the detector is built; frames are read from now on
    FAILED = "failed"  # the detector could not be built (the message says why)
    OBSERVED = "observed"  # one frame's observations
    ERROR = "error"  # detect raised (kind, message); the child carries on


def _child(factory: Callable[[], Detector], handles: SlotHandles, out: Connection,
           stop: Any, busy: Any, cpus: frozenset[int] | None, parent_pid: int) -> None:
    """The child's loop: build the detector, then the newest frame -> observations -> pipe,
    until told to stop or the render process is gone."""
    die_with_parent(parent_pid, "essence-percept")  # first: a killed render process ends it
    leave_stop_signals_to_parent()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if cpus and hasattr(os, "sched_setaffinity"):  # before MediaPipe starts its threads
        os.sched_setaffinity(0, cpus)
    try:
        detector = factory()
    except Exception as exc:
        out.send((Report.FAILED, f"{type(exc).__name__}: {exc}" if not str(exc) else str(exc)))
        return
    out.send((Report.READY, ""))
    reader = FrameReader(handles)
    try:
        while not stop.value and parent_alive(parent_pid):
            if not handles.wake.acquire(timeout=0.1):
                continue
            shared = reader.read()
            if shared is None:
                continue
            busy.value = shared.seq
            started = work_seconds()
            try:
                observations = detector.detect(shared.frame)
            except Exception as exc:
                out.send((Report.ERROR, (type(exc).__name__, str(exc))))
                continue
            finally:
                busy.value = 0
            took = work_seconds() - started
            out.send((Report.OBSERVED, replace(observations, captured=shared.frame.captured,
                                               inference_s=took)))
    finally:
        reader.close()
        detector.close()


def cpu_set(text: str, allowed: frozenset[int] | None = None) -> frozenset[int] | None:
    """The `perception_cpu` setting: `last` (the default: the last CPU this process may use,
    so that MediaPipe's threads take one core and leave the others to the renderer), `any`,
    or a CPU number among those it may use. `allowed`: the CPUs this process may use (default:
    its affinity). None: any CPU (also with one CPU allowed, or where affinity is unknown)."""
    if allowed is None:
        if not hasattr(os, "sched_getaffinity"):
            return None
        allowed = frozenset(os.sched_getaffinity(0))
    value = text.strip().lower()
    if value == "any" or len(allowed) < 2:
        return None
    if value == "last":
        return frozenset({max(allowed)})
    if value.isdigit() and int(value) in allowed:
        return frozenset({int(value)})
    raise ConfigError(f"perception_cpu = {text!r}: use last, any or one of the CPUs this "
                      f"process may use ({', '.join(str(c) for c in sorted(allowed))})")


class PerceptionProcess(Supervised):
    """`PerceptionWorker`'s job (frames in `frames`, observations into `out`) in a child,
    kept on the CPUs `cpus` (None: any; see `cpu_set`).

    `processed`, `errors`, `last_error`, `last_latency_s` and `dropped` read as the thread's
    do; `restarts` counts replaced children and `trouble` says what happened last.
    """

    def __init__(self, factory: Callable[[], Detector], frames: SharedFrameSlot,
                 out: LatestSlot[Observations], *, hang_s: float = HANG_S,
                 restart_s: float = RESTART_S, start_timeout: float = START_TIMEOUT_S,
                 cpus: frozenset[int] | None = None) -> None:
        self._factory = factory
        self._cpus = cpus
        self._frames = frames
        self._out = out
        self._hang_s = hang_s
        self._start_timeout = start_timeout
        self._ctx = mp.get_context("spawn")
        # flags without locks: a child killed while waiting on a multiprocessing Event would
        # leave the parent's `set` blocked for ever
        self._stop = self._ctx.RawValue(ctypes.c_bool, False)
        self._busy = self._ctx.RawValue(ctypes.c_longlong, 0)
        self._proc: BaseProcess | None = None
        self._conn: Connection | None = None
        self._ready = False
        self._first = True  # the first child uses the slot's handles; later ones fresh ones
        self._spawned_at: float | None = None
        self._busy_seen = (0, 0.0)  # (frame seq the child is on, when we first saw it)
        self._schedule = RestartSchedule("perception", restart_s, RESTART_MAX_S, log)
        self._last_now = 0.0
        self.processed = 0
        self.errors: dict[str, int] = {}
        self.last_error: str | None = None
        self.last_latency_s: float | None = None


    @property
    def dropped(self) -> int:
        """Frames written that the child never read (overwritten by newer ones)."""
        return max(0, self._frames.written - self.processed - self.error_count)

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.is_alive()

    def start(self) -> None:
        """Start the child and wait until its model is loaded; ModelError when it cannot."""
        if self.running:
            return
        self._spawn()
        conn = self._conn
        assert conn is not None
        if not conn.poll(self._start_timeout):
            self._kill()
            raise ModelError(f"perception process did not start in {self._start_timeout:.0f} s")
        self._receive_one(conn, starting=True)

    def pump(self, now: float) -> None:
        """Once a frame, never waiting: newest observations into `out`; watch the child."""
        conn = self._conn
        newest: Observations | None = None
        try:
            while conn is not None and conn.poll(0):
                got = self._receive_one(conn)
                newest = got if got is not None else newest
        except (EOFError, OSError):
            pass  # the child is gone: `_watch` sees it and starts another
        if newest is not None:
            self._out.put(newest)
        self._watch(now)

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the child to finish its frame and exit; kill it after `timeout`."""
        self._stop.value = True
        if self._proc is not None:
            self._proc.join(timeout)
        self._kill()
        self._frames.release()

    # -- the child's life -------------------------------------------------------------

    def _spawn(self) -> None:
        reader, writer = self._ctx.Pipe(duplex=False)
        self._stop.value = False
        handles = self._frames.handles if self._first else self._frames.renew()
        self._first = False
        self._busy.value = 0
        self._busy_seen = (0, 0.0)
        self._proc = self._ctx.Process(
            target=_child, name="essence-perception", daemon=True,
            args=(self._factory, handles, writer, self._stop, self._busy, self._cpus,
                  os.getpid()))
        self._proc.start()
        writer.close()
        self._conn = reader
        self._ready = False
        self._spawned_at = None

    def _kill(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.is_alive():
            proc.kill()
            proc.join(2.0)
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _receive_one(self, conn: Connection, *, starting: bool = False) -> Observations | None:
        try:
            kind, payload = conn.recv()
        except EOFError:
            if starting:
                code = self._proc.exitcode if self._proc is not None else None
                self._kill()
                raise ModelError(
                    f"perception process ended at start (exit code {code})") from None
            raise
        if kind is Report.FAILED:
            if starting:
                self._kill()
                raise ModelError(payload)
            self._trouble(Trouble.FAILED, f"the model did not load again: {payload}",
                          self._last_now)
        elif kind is Report.READY:
            self._ready = True
            if self._schedule.message is not None:
                self.last_error = None
            self._schedule.running()
        elif kind is Report.ERROR:
            self._record_error(*payload)
        elif kind is Report.OBSERVED:
            self.last_latency_s = payload.inference_s
            self.processed += 1
            return payload
        return None

    def _watch(self, now: float) -> None:
        self._last_now = now
        if self._replacing(now):
            return
        proc = self._proc
        if proc is None or self._stop.value:
            return
        self._spawned_at = now if self._spawned_at is None else self._spawned_at
        trouble = life_trouble(proc.is_alive(), proc.exitcode, self._ready,
                               now - self._spawned_at, self._start_timeout,
                               "the model did not load")
        if trouble is not None or not self._ready:
            if trouble is not None:
                self._trouble(*trouble, now)
            return
        busy = int(self._busy.value)
        if busy == 0:
            self._busy_seen = (0, now)
        elif busy != self._busy_seen[0]:
            self._busy_seen = (busy, now)
        elif now - self._busy_seen[1] > self._hang_s:
            self._trouble(Trouble.HUNG, f"one frame took over {self._hang_s:.0f} s", now)

    def _trouble(self, kind: Trouble, detail: str, now: float) -> None:
        """Replace the child: reported once per kind, killed, restarted after the back-off."""
        self.last_error = self._schedule.trouble(kind, detail, now)
        self.errors[kind.value] = self.errors.get(kind.value, 0) + 1
        self._kill()

    def _record_error(self, kind: str, message: str) -> None:
        first = kind not in self.errors
        self.errors[kind] = self.errors.get(kind, 0) + 1
        self.last_error = f"{kind}: {message}"
        if first:
            log.error("perception: detect failed (%s); counting further %s errors quietly",
                      self.last_error, kind)
