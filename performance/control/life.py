"""`ChildLife`: one OSC child at a time, as the render process sees it.

Owns the spawned child itself for `control.process.OscProcess`: starting it with its pipes
and its lock-free flags (stop, bytes taken, heartbeat), killing it, reading its reports off
the pipe without waiting, and judging its health on each watch: ended (CRASHED), not
listening `start_timeout` after it started or heartbeat stopped for `hang_s` (HUNG), or a
replacement that could not listen (FAILED). What the reports mean, the restart schedule and
the counters are the process's; the watch time is the caller's `now`.
"""

from __future__ import annotations

import ctypes
import os
import pickle
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.context import SpawnContext
from multiprocessing.process import BaseProcess

from performance.control.child import ChildOptions, Report, child_main
from performance.control.requests import AnswerPipe
from performance.control.shared import SharedHandles
from performance.core.restarts import Trouble, life_trouble

MAX_READS = 4096  # reports taken in one pump (the child keeps fewer than this unread)


class ChildLife:
    """The running child (if any), its report pipe and its flags (see the module)."""

    def __init__(self, ctx: SpawnContext, hang_s: float, start_timeout: float) -> None:
        self._ctx = ctx
        self.hang_s, self.start_timeout = hang_s, start_timeout
        # flags without locks: a child killed inside a multiprocessing Event's lock would
        # leave the parent's `set` blocked for ever
        self.stop = ctx.RawValue(ctypes.c_bool, False)
        self._taken = ctx.RawValue(ctypes.c_longlong, 0)
        self._beat = ctx.RawValue(ctypes.c_longlong, 0)
        self.proc: BaseProcess | None = None
        self.conn: Connection | None = None
        self.ready = False  # the child listens (it sent READY)
        self.failed: str | None = None  # a replacement's reason for not listening
        self._spawned_at: float | None = None
        self._beat_seen = (-1, 0.0)  # (heartbeat, when it was first seen)
        self._last_watch: float | None = None

    @property
    def running(self) -> bool:
        """Whether a child is alive now."""
        return self.proc is not None and self.proc.is_alive()

    def spawn(self, options: ChildOptions, downlink: SharedHandles, answers: AnswerPipe,
              outline: SharedHandles) -> None:
        """Start a child with `options`, reading the two shared blocks and `answers`."""
        reader, writer = self._ctx.Pipe(duplex=False)
        answers_reader, answers_writer = self._ctx.Pipe(duplex=False)
        self.stop.value = False
        self._taken.value = 0
        self._beat.value = 0
        self.proc = self._ctx.Process(
            target=child_main, name="essence-osc", daemon=True,
            args=(options, downlink, writer, self.stop, self._taken, self._beat,
                  answers_reader, answers.answered, os.getpid(), outline))
        self.proc.start()
        writer.close()
        answers_reader.close()
        self.conn = reader
        answers.open(answers_writer)
        self.ready = False
        self._spawned_at = None
        self._beat_seen = (-1, 0.0)

    def kill(self) -> None:
        """Kill the child (nothing when it has ended) and close its report pipe."""
        proc, self.proc = self.proc, None
        if proc is not None:
            proc.kill()
            proc.join(2.0)
        if self.conn is not None:
            self.conn.close()
            self.conn = None
        self.ready = False

    def receive(self) -> tuple[Report, object]:
        """The next report (waits for one: `poll` first); EOFError once the child is gone."""
        conn = self.conn
        if conn is None:
            raise EOFError("no child")
        data = conn.recv_bytes()
        self._taken.value += len(data)
        kind, payload = pickle.loads(data)
        return Report(kind), payload

    def pump(self, on_report: Callable[[Report, object], None]) -> None:
        """Hand each report waiting now to `on_report` (at most `MAX_READS`); never waits."""
        conn = self.conn
        try:
            for _ in range(MAX_READS):
                if conn is None or not conn.poll(0):
                    break
                on_report(*self.receive())
        except (EOFError, OSError):
            pass  # the child is gone: the watch sees it and starts another

    def away(self, now: float) -> bool:
        """Note a watch at `now`; True: the last one was over `hang_s / 2` ago (the render
        loop was away, so a heartbeat that did not move is no verdict yet)."""
        away = self._last_watch is not None and now - self._last_watch > self.hang_s / 2
        self._last_watch = now
        return away

    def trouble(self, now: float, away: bool) -> tuple[Trouble, str] | None:
        """The running child's trouble at `now` (see the module); None: fine so far."""
        if (proc := self.proc) is None:
            return None
        if self.failed is not None:
            failed, self.failed = self.failed, None
            return Trouble.FAILED, failed
        self._spawned_at = now if self._spawned_at is None else self._spawned_at
        trouble = life_trouble(proc.is_alive(), proc.exitcode, self.ready,
                               now - self._spawned_at, self.start_timeout, "it did not listen")
        if trouble is not None or not self.ready:
            return trouble
        beat = int(self._beat.value)
        if beat != self._beat_seen[0] or away:
            self._beat_seen = (beat, now)
        elif now - self._beat_seen[1] > self.hang_s:
            return Trouble.HUNG, f"no heartbeat for {self.hang_s:g} s"
        return None
