"""Shader trials: an edited visual proves that it compiles and renders within the frame budget
in a helper process before the live stage takes it.

Owns the render process's side of the trials: the trial process (render.trial_process, which
holds the rule an edit must pass) is started on the first edit, killed when a trial runs
past a deadline and started again at once, and ends with the render process (see
core.orphans). The render thread only hands an edit over (`ShaderTrials.submit`, never
waits) and takes the verdicts (`ShaderTrials.verdicts`); a thread of this module talks to the
process and keeps its deadlines, so a broken, slow or endlessly looping shader costs the
stage nothing: it is refused with one message naming the file, and the last good program
stays on stage.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing as mp
import os
import threading
import time
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path

from performance.config import LIVE_FPS
from performance.core.priority import yield_cpu
from performance.render.source import display_path
from performance.render.trial_process import (
    COMPILE_S,
    Reference,
    TrialJob,
    TrialVerdict,
    size_text,
    time_text,
    trial_main,
)

log = logging.getLogger(__name__)

START_S = 30.0  # deadline for a new trial process to have its OpenGL context
POLL_S = 0.05  # how often the waiting thread looks for a newer edit or a close
SUPERSEDED_S = 0.5  # a trial of an older edit may finish this long, then it is killed


class ShaderTrials:
    """Trials for the live stage at `stage` size, budgeting for `fps` (None or 0: LIVE_FPS;
    see the module docstring).

    `submit` and `verdicts` are for the render thread and never wait; a daemon thread runs
    the trials one at a time, the newest edit of a visual replacing an older one still
    waiting (or on trial: that one is given SUPERSEDED_S, then killed). `doing` says what
    the trial in progress does (None: none is); `started` and `killed` count trial
    processes, for tests and the curious.
    """

    def __init__(self, stage: tuple[int, int], *, fps: float | None = None,
                 start_s: float = START_S) -> None:
        self.stage = (int(stage[0]), int(stage[1]))
        self.period = 1.0 / (fps or LIVE_FPS or 60.0)
        self.start_s = start_s
        self.started = 0
        self.killed = 0
        self.doing: str | None = None
        self._mp = mp.get_context("spawn")
        self._cond = threading.Condition()
        self._queue: dict[str, TrialJob] = {}  # the newest edit waiting, per visual
        self._verdicts: list[TrialVerdict] = []
        self._closed = False
        self._thread: threading.Thread | None = None
        self._proc: BaseProcess | None = None
        self._conn: Connection | None = None
        self._ready = False
        self._warm = False  # an edit was tried: keep a process ready for the next one
        self._running: TrialJob | None = None

    def submit(self, job: int, name: str, path: Path, root: Path,
               references: tuple[Reference, ...]) -> None:
        """Queue an edit of visual `name` for trial (its verdict comes from `verdicts`)."""
        trial = TrialJob(job, name, Path(path), Path(root), self.stage, self.period,
                         references)
        with self._cond:
            if self._closed:
                return
            self._queue.pop(name, None)
            self._queue[name] = trial
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._work, name="essence-trials",
                                                daemon=True)
                self._thread.start()  # it starts the process: the process lives with it
            self._cond.notify_all()

    def verdicts(self) -> list[TrialVerdict]:
        """The trials that ended since the last call."""
        with self._cond:
            done, self._verdicts = self._verdicts, []
        return done

    def busy(self) -> bool:
        """Whether an edit is waiting or on trial."""
        with self._cond:
            return bool(self._queue) or self._running is not None

    def close(self) -> None:
        """Stop the thread and the trial process (a trial running is abandoned)."""
        with self._cond:
            self._closed = True
            self._queue.clear()
            self._cond.notify_all()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5.0)
        self._kill()

    # -- the trial thread -----------------------------------------------------------------

    def _work(self) -> None:
        try:
            while True:
                with self._cond:
                    while not self._queue and not self._closed:
                        if self._warm and self._proc is None:
                            break  # start a process for the next edit while none is waiting
                        self._cond.wait()
                    if self._closed:
                        return
                    job = self._queue.pop(next(iter(self._queue))) if self._queue else None
                    self._running = job
                if job is None:
                    try:
                        self._spawn()
                    except Exception:  # e.g. out of processes: the next edit tries again
                        log.exception("starting the shader trial process failed")
                        self._warm = False
                    continue
                try:
                    verdict = self._trial(job)
                    self.doing = None
                except Exception as exc:  # a bug here must not end the trials for the run
                    log.exception("shader trial of %s failed", job.name)
                    self._kill()
                    verdict = TrialVerdict(job.job, job.name, None,
                                           f"{display_path(job.path)}: edit not taken: the "
                                           f"trial failed ({type(exc).__name__}: {exc})")
                with self._cond:
                    self._running = None
                    if verdict is not None:
                        self._verdicts.append(verdict)
        finally:
            self._kill()

    def _newer(self, job: TrialJob) -> bool:
        with self._cond:
            return self._closed or job.name in self._queue

    def _trial(self, job: TrialJob) -> TrialVerdict | None:
        """Run one job in the process; None when a newer edit replaced it."""
        self._warm = True
        where = display_path(job.path)
        conn = self._connection()
        if isinstance(conn, str):
            return TrialVerdict(job.job, job.name, None,
                                f"{where}: edit not taken: {conn}; a restart of the show "
                                "loads it without a trial")
        if self._newer(job):
            return None
        doing, budget, allowed = "reading it", None, COMPILE_S
        deadline = time.monotonic() + allowed
        newer_seen = False
        with contextlib.suppress(OSError):  # it died since it was ready: recv says how
            conn.send(job)
        while True:
            now = time.monotonic()
            if self._closed:
                self._kill()
                return None
            if not newer_seen and self._newer(job):
                newer_seen = True
                deadline = min(deadline, now + SUPERSEDED_S)
            if now >= deadline:
                self._kill(counted=True)
                if newer_seen:
                    return None
                text = (f"{where}: edit not taken: {doing} did not finish within "
                        f"{allowed:.1f} s, so the trial was stopped")
                if budget is not None:
                    text += (f" (the budget is {time_text(budget)} a frame at "
                             f"{size_text(job.stage)})")
                return TrialVerdict(job.job, job.name, None, text, budget_s=budget)
            try:
                if not conn.poll(min(POLL_S, deadline - now)):
                    continue
                message = conn.recv()
            except (EOFError, OSError):
                code = self._exit_code()
                self._kill(counted=True)
                return None if newer_seen else TrialVerdict(
                    job.job, job.name, None, f"{where}: edit not taken: the trial process "
                    f"ended (exit code {code}) while {doing}")
            if message[0] == "step":
                _, allowed, doing, budget = message
                self.doing = f"{job.name}: {doing}"
                deadline = time.monotonic() + allowed if not newer_seen else deadline
            elif message[0] == "done":
                return None if newer_seen else message[1]

    def _connection(self) -> Connection | str:
        """The ready process's pipe, or why there is none."""
        if self._proc is not None and not self._proc.is_alive():
            self._kill()
        if self._proc is None:
            self._spawn()
        conn = self._conn
        assert conn is not None
        deadline = time.monotonic() + self.start_s
        while not self._ready:
            left = deadline - time.monotonic()
            try:
                if left <= 0 or self._closed:
                    self._kill()
                    return f"the trial process did not start within {self.start_s:.0f} s"
                if not conn.poll(min(left, POLL_S)):
                    continue
                kind, text = conn.recv()
            except (EOFError, OSError):
                code = self._exit_code()
                self._kill()
                return f"the trial process ended at start (exit code {code})"
            if kind == "failed":
                self._kill()
                return f"shaders cannot be tried here ({text})"
            self._ready = True
            log.info("shader trials run in their own process (%s)", text)
        return conn

    def _exit_code(self) -> int | None:
        """The exit status of a trial process whose pipe closed (it is reaped first)."""
        if self._proc is None:
            return None
        self._proc.join(1.0)
        return self._proc.exitcode

    def _spawn(self) -> None:
        ours, theirs = self._mp.Pipe()
        proc = self._mp.Process(target=trial_main, name="essence-trial", daemon=True,
                                args=(theirs, os.getpid()))
        proc.start()
        if proc.pid is not None:
            yield_cpu(proc.pid)  # at once: its start (imports, the context) is work too
        theirs.close()
        self._proc, self._conn, self._ready = proc, ours, False
        self.started += 1

    def _kill(self, *, counted: bool = False) -> None:
        proc, conn = self._proc, self._conn
        self._proc, self._conn, self._ready = None, None, False
        if proc is not None:
            if proc.is_alive():
                proc.kill()
                if counted:
                    self.killed += 1
            proc.join(2.0)
        if conn is not None:
            conn.close()
