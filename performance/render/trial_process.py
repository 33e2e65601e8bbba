"""The shader trial process (`essence-trial`): its own headless EGL context, one trial per
edit it is sent, and the rule an edit must pass (render.trial starts, watches and kills it).

The rule: one frame of the edit at the stage's size may take at most BUDGET_FRAMES frame
periods of the live frame rate (LIVE_FPS unless the stage says), or BUDGET_FRAMES frames of
the slowest visual the show already has where that is slower (measured in the same trial, so
a software renderer that is already slow at the stage's size can still take edits). The
edit is drawn first at a quarter of the stage's width and height (a sixteenth of its
pixels) and that time scaled up: a frame far over the budget is refused on that estimate,
under a short deadline. Then one frame at the stage's size. Before every step the process
says its deadline to the render process's side, which kills the process at the deadline (a
GPU watchdog may take far longer to end a truly endless loop) and refuses the edit. The
frames are drawn with eight faces in view and the inputs at their defaults.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

import moderngl

from performance.core.inputs import ShaderInput
from performance.core.orphans import die_with_parent, leave_stop_signals_to_parent, parent_alive
from performance.core.priority import yield_cpu
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

BUDGET_FRAMES = 4  # an edit may take this many frame periods (or frames of the slowest visual)
SHRINK = 4  # the first frames are drawn at 1/SHRINK of the stage's width and height
COMPILE_S = 10.0  # deadline for compiling and linking an edit
REFERENCE_S = 20.0  # deadline for drawing the visuals on stage (trusted programs)
FIRST_FRAME_S = 2.0  # allowance for an edit's first frame (drivers finish compiling there)
SLACK_S = 0.25  # added to every frame deadline (timer and scheduling noise)

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


def size_text(size: tuple[int, int]) -> str:
    return f"{size[0]}x{size[1]}"


def time_text(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 10.0 else f"{seconds:.0f} s"


def _uniforms(size: tuple[int, int]) -> FrameUniforms:
    """A busy frame: a full room (MAX_FACES faces, stirred), mid-show."""
    faces = tuple((0.1 + 0.8 * i / max(1, MAX_FACES - 1), 0.5, 0.3, 0.6, 0.1)
                  for i in range(MAX_FACES))
    crowd = CrowdReading(face_count=float(MAX_FACES), valence=0.3, arousal=0.6, chaos=0.5,
                         spread=0.5, motion=0.5, presence=1.0)
    return FrameUniforms(time=42.0, delta=1.0 / 60.0, frame=2520, resolution=size, crowd=crowd,
                         act=3, cue_progress=0.5, faces=faces)


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
        step(REFERENCE_S, f"drawing the show's visuals at {size_text(small)}", None)
        first_ref, slowest = bench.on_stage(job.references, small)
        budget = BUDGET_FRAMES * max(job.period, slowest * scale)
        reason = (f"{BUDGET_FRAMES} frames at {1.0 / job.period:g} fps"
                  if job.period >= slowest * scale else
                  f"{BUDGET_FRAMES} frames of the show's slowest visual")

        def refused(what: str) -> TrialVerdict:
            return TrialVerdict(job.job, job.name, None, f"{where}: edit not taken: {what}, "
                                f"over the budget of {time_text(budget)} ({reason})", files,
                                budget_s=budget)

        step(FIRST_FRAME_S + 2.0 * first_ref + budget / scale + SLACK_S,
             f"its first frame at {size_text(small)}", budget)
        bench.frame(compiled, small)
        timed = []
        for _ in range(2):
            step(2.0 * budget / scale + SLACK_S, f"one frame at {size_text(small)}", budget)
            timed.append(bench.frame(compiled, small))
        estimate = min(timed) * scale
        if estimate > budget:
            return refused(f"one frame would take about {time_text(estimate)} at "
                           f"{size_text(job.stage)} ({time_text(min(timed))} at "
                           f"{size_text(small)})")
        step(2.0 * budget + SLACK_S, f"one frame at {size_text(job.stage)}", budget)
        frame = bench.frame(compiled, job.stage)
        if frame > budget:
            return refused(f"one frame takes {time_text(frame)} at {size_text(job.stage)}")
        return TrialVerdict(job.job, job.name, source, None, files, frame, budget)
    finally:
        compiled.release()


def trial_main(conn: Connection, parent_pid: int) -> None:
    """The trial process: an OpenGL context of its own, then one trial per job received."""
    die_with_parent(parent_pid, "essence-trial")  # first: a killed render process ends it
    leave_stop_signals_to_parent()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    yield_cpu(0)  # before the driver starts its threads: they inherit it
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
