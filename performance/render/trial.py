"""Shader trials: an edited visual proves that it compiles and renders within the frame budget
in a helper process before the live stage takes it.

Owns the trial process (`essence-trial`: its own headless EGL context, started on the first
edit, killed when a trial runs past a deadline and started again at once, ending with the
render process, see core.orphans) and the rule an edit must pass. The render thread only
hands an edit over (`ShaderTrials.submit`, never waits) and takes the verdicts
(`ShaderTrials.verdicts`); a thread of this module talks to the process and keeps its
deadlines, so a broken, slow or endlessly looping shader costs the stage nothing: it is
refused with one message naming the file, and the last good program stays on stage.

The rule: one frame of the edit at the stage's size may take at most BUDGET_FRAMES frame
periods of the live frame rate (LIVE_FPS unless the stage says), or BUDGET_FRAMES frames of
the slowest visual the show already has where that is slower (measured in the same trial, so
a software renderer that is already slow at the stage's size can still take edits). The
edit is drawn first at a quarter of the stage's width and height (a sixteenth of its
pixels) and that time scaled up: a frame far over the budget is refused on that estimate,
under a short deadline. Then one frame at the stage's size. Every step has a deadline; at the
deadline the process is killed (a GPU watchdog may take far longer to end a truly endless
loop) and the edit refused. The frames are drawn with eight faces in view and the inputs at
their defaults.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing as mp
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path

import moderngl

from performance.config import LIVE_FPS
from performance.core.inputs import ShaderInput
from performance.core.orphans import die_with_parent, leave_stop_signals_to_parent, parent_alive
from performance.core.types import CrowdReading
from performance.render.frame_uniforms import FrameUniforms
from performance.render.headless import OffscreenTarget
from performance.render.program import (
    CompiledProgram,
    Signatures,
    compile_source,
    compile_text,
    signature,
)
from performance.render.renderer import draw_program
from performance.render.source import ShaderError, ShaderSource, display_path, load_shader
from performance.render.uniforms import MAX_FACES

log = logging.getLogger(__name__)

BUDGET_FRAMES = 4  # an edit may take this many frame periods (or frames of the slowest visual)
SHRINK = 4  # the first frames are drawn at 1/SHRINK of the stage's width and height
COMPILE_S = 10.0  # deadline for compiling and linking an edit
REFERENCE_S = 20.0  # deadline for drawing the visuals on stage (trusted programs)
FIRST_FRAME_S = 2.0  # allowance for an edit's first frame (drivers finish compiling there)
SLACK_S = 0.25  # added to every frame deadline (timer and scheduling noise)
START_S = 30.0  # deadline for a new trial process to have its OpenGL context
POLL_S = 0.05  # how often the waiting thread looks for a newer edit or a close
SUPERSEDED_S = 0.5  # a trial of an older edit may finish this long, then it is killed
NICE = 10  # the trial process yields the CPU to the show (a software renderer shares it)

Reference = tuple[str, tuple[ShaderInput, ...]]
"""One of the show's programs: its fragment source and declared inputs."""


@dataclass(frozen=True)
class TrialJob:
    """One edit to try: visual `name` from `path` (includes from `root`), at `stage` size,
    against the frame `period` and the show's programs (`references`)."""

    job: int
    name: str
    path: Path
    root: Path
    stage: tuple[int, int]
    period: float
    references: tuple[Reference, ...] = ()


@dataclass(frozen=True)
class TrialVerdict:
    """A trial's outcome: `source` to compile on the stage, or `error` (naming the file).
    `files`: the signatures of the files the edit was read from, taken before reading."""

    job: int
    name: str
    source: ShaderSource | None
    error: str | None = None
    files: Signatures = field(default_factory=dict)
    frame_s: float | None = None  # one frame at the stage's size (passed trials)
    budget_s: float | None = None


def trial_size(stage: tuple[int, int]) -> tuple[int, int]:
    """The size of the first, small frames."""
    return (max(1, stage[0] // SHRINK), max(1, stage[1] // SHRINK))


def _size(size: tuple[int, int]) -> str:
    return f"{size[0]}x{size[1]}"


def _time(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 10.0 else f"{seconds:.0f} s"


def _uniforms(size: tuple[int, int]) -> FrameUniforms:
    """A busy frame: a full room (MAX_FACES faces, stirred), mid-show."""
    faces = tuple((0.1 + 0.8 * i / max(1, MAX_FACES - 1), 0.5, 0.3, 0.6, 0.1)
                  for i in range(MAX_FACES))
    crowd = CrowdReading(face_count=float(MAX_FACES), valence=0.3, arousal=0.6, chaos=0.5,
                         spread=0.5, motion=0.5, presence=1.0)
    return FrameUniforms(time=42.0, delta=1.0 / 60.0, frame=2520, resolution=size, crowd=crowd,
                         act=3, cue_progress=0.5, faces=faces)


# -- the trial process ----------------------------------------------------------------------


class _Bench:
    """The trial process's GL side: targets by size, the stage's programs, frame timing."""

    def __init__(self, ctx: moderngl.Context) -> None:
        self.ctx = ctx
        self._targets: dict[tuple[int, int], OffscreenTarget] = {}
        self._stage: dict[Reference, tuple[CompiledProgram, float]] = {}  # with first frame

    def frame(self, compiled: CompiledProgram, size: tuple[int, int]) -> float:
        """Seconds to draw one frame of `compiled` at `size`, finished."""
        target = self._targets.get(size)
        if target is None:
            for old in self._targets.values():
                old.release()
            target = self._targets.setdefault(size, OffscreenTarget(self.ctx, *size))
            self._targets = {size: target}
        started = time.perf_counter()
        draw_program(compiled, {}, 1.0, _uniforms(size), target.framebuffer)
        self.ctx.finish()
        return time.perf_counter() - started

    def on_stage(self, references: tuple[Reference, ...],
                 size: tuple[int, int]) -> tuple[float, float]:
        """(slowest first frame, slowest frame) of the show's programs at `size`; each is
        compiled once per process (the first frame is measured then)."""
        for key in set(self._stage) - set(references):
            self._stage.pop(key)[0].release()
        first = steady = 0.0
        for key in references:
            if key not in self._stage:
                try:
                    plain = compile_text(self.ctx, "on stage", key[0])
                except moderngl.Error:
                    continue
                compiled = CompiledProgram("on stage", plain.program, plain.vao, key[1], key[0])
                self._stage[key] = (compiled, self.frame(compiled, size))
            compiled, first_s = self._stage[key]
            first = max(first, first_s)
            steady = max(steady, min(self.frame(compiled, size) for _ in range(2)))
        return first, steady


Step = Callable[[float, str, "float | None"], None]
"""`step(seconds, doing, budget_s)`: the deadline of the step that follows, what it does."""


def _read(job: TrialJob) -> tuple[ShaderSource | None, str | None, Signatures]:
    """Load the edit; the signatures are taken before the read that counts, so a save
    after it is seen by the next poll (a file first met in that read gets None: look again)."""
    deps: set[Path] = {job.path.resolve()}
    with contextlib.suppress(ShaderError):
        load_shader(job.path, root=job.root, deps=deps)
    seen = {p: signature(os.stat, p) for p in deps}
    read: set[Path] = {job.path.resolve()}
    try:
        source: ShaderSource | None = load_shader(job.path, root=job.root, deps=read)
        error = None
    except ShaderError as exc:
        source, error = None, str(exc)
    return source, error, {p: seen.get(p) for p in read}


def run_trial(bench: _Bench, job: TrialJob, step: Step) -> TrialVerdict:
    """Try one edit (in the trial process): load, compile, the small frames, the stage frame."""
    source, error, files = _read(job)
    if source is None:
        return TrialVerdict(job.job, job.name, None, error, files)
    where = display_path(job.path)
    step(COMPILE_S, "compiling it", None)
    try:
        compiled = compile_source(bench.ctx, job.name, source)
    except ShaderError as exc:
        return TrialVerdict(job.job, job.name, None, str(exc), files)
    try:
        small = trial_size(job.stage)
        scale = (job.stage[0] * job.stage[1]) / (small[0] * small[1])
        step(REFERENCE_S, f"drawing the show's visuals at {_size(small)}", None)
        first_ref, slowest = bench.on_stage(job.references, small)
        budget = BUDGET_FRAMES * max(job.period, slowest * scale)
        reason = (f"{BUDGET_FRAMES} frames at {1.0 / job.period:g} fps"
                  if job.period >= slowest * scale else
                  f"{BUDGET_FRAMES} frames of the show's slowest visual")

        def refused(what: str) -> TrialVerdict:
            return TrialVerdict(job.job, job.name, None, f"{where}: edit not taken: {what}, "
                                f"over the budget of {_time(budget)} ({reason})", files,
                                budget_s=budget)

        step(FIRST_FRAME_S + 2.0 * first_ref + budget / scale + SLACK_S,
             f"its first frame at {_size(small)}", budget)
        bench.frame(compiled, small)
        timed = []
        for _ in range(2):
            step(2.0 * budget / scale + SLACK_S, f"one frame at {_size(small)}", budget)
            timed.append(bench.frame(compiled, small))
        estimate = min(timed) * scale
        if estimate > budget:
            return refused(f"one frame would take about {_time(estimate)} at "
                           f"{_size(job.stage)} ({_time(min(timed))} at {_size(small)})")
        step(2.0 * budget + SLACK_S, f"one frame at {_size(job.stage)}", budget)
        frame = bench.frame(compiled, job.stage)
        if frame > budget:
            return refused(f"one frame takes {_time(frame)} at {_size(job.stage)}")
        return TrialVerdict(job.job, job.name, source, None, files, frame, budget)
    finally:
        compiled.release()


def _yield_cpu(pid: int) -> None:
    """Lower a process's priority to NICE (0: this one): a software renderer in the trial
    process must not take the CPU from the show's."""
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, pid, max(NICE, os.getpriority(os.PRIO_PROCESS, pid)))


def _child(conn: Connection, parent_pid: int) -> None:
    """The trial process: an OpenGL context of its own, then one trial per job received."""
    die_with_parent(parent_pid, "essence-trial")  # first: a killed render process ends it
    leave_stop_signals_to_parent()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    _yield_cpu(0)  # before the driver starts its threads: they inherit it
    try:
        from performance.render.headless import create_headless_context

        ctx = create_headless_context()
    except Exception as exc:
        conn.send(("failed", f"no headless OpenGL context: {exc}"))
        return
    conn.send(("ready", str(ctx.info.get("GL_RENDERER", "OpenGL"))))
    bench = _Bench(ctx)
    while parent_alive(parent_pid):
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return

        def step(seconds: float, doing: str, budget: float | None) -> None:
            conn.send(("step", seconds, doing, budget))

        try:
            verdict = run_trial(bench, job, step)
        except Exception as exc:
            verdict = TrialVerdict(job.job, job.name, None, f"{display_path(job.path)}: edit "
                                   f"not taken: the trial failed ({type(exc).__name__}: {exc})")
        conn.send(("done", verdict))


# -- the render process's side ----------------------------------------------------------


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
                    text += f" (the budget is {_time(budget)} a frame at {_size(job.stage)})"
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
        proc = self._mp.Process(target=_child, name="essence-trial", daemon=True,
                                args=(theirs, os.getpid()))
        proc.start()
        if proc.pid is not None:
            _yield_cpu(proc.pid)  # at once: its start (imports, the context) is work too
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
