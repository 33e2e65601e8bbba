"""Programs: compiling fragment shaders, keep-last-good slots, and the hot-reloading library.

The vertex stage is a fixed full-screen triangle (no buffers) giving `v_uv` in 0..1.

A library made with `trials` (the live stage's) compiles what ships at once (trusted), and
hands every later edit to the trial process (`render.trial`): the render thread only compiles
a source that has already compiled and rendered within the frame budget there, so a broken,
slow or looping edit never reaches the stage. Without `trials` (`essence check`, offline
renders, tests) an edit compiles where `poll()` runs, as before.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import moderngl

from performance.core.inputs import ShaderInput
from performance.render.source import (
    BUILTIN_VISUALS,
    ShaderError,
    ShaderSource,
    UnknownVisualError,
    display_path,
    load_shader,
    shader_files,
)
from performance.render.uniforms import SHADER_ROOT

if TYPE_CHECKING:
    from performance.render.trial import ShaderTrials
    from performance.render.trial_process import TrialVerdict

VERTEX_SHADER = """#version 330
out vec2 v_uv;
void main() {
    vec2 p = vec2(float((gl_VertexID << 1) & 2), float(gl_VertexID & 2));
    v_uv = p;
    gl_Position = vec4(p * 2.0 - 1.0, 0.0, 1.0);
}
"""

FALLBACK_SOURCE = """#version 330
in vec2 v_uv;
out vec4 fragColor;
uniform float u_time;
void main() {
    float t = u_time * 0.05;
    float g = 0.5 + 0.5 * sin(t + v_uv.x * 1.7 + v_uv.y * 0.9);
    vec3 deep = vec3(0.012, 0.014, 0.035);
    vec3 tint = vec3(0.05, 0.035, 0.09);
    fragColor = vec4(deep + tint * g * (1.0 - 0.6 * distance(v_uv, vec2(0.5))), 1.0);
}
"""

BLACKOUT_SOURCE = """#version 330
out vec4 fragColor;
void main() { fragColor = vec4(0.0, 0.0, 0.0, 1.0); }
"""

StatFn = Callable[[Path], os.stat_result]
Signatures = dict[Path, tuple[int, int] | None]
"""(mtime ns, size) of each file a visual was read from (None: missing, or look again)."""


@dataclass(eq=False)
class CompiledProgram:
    """A linked program with its empty vertex array, and the source it came from."""

    name: str
    program: moderngl.Program
    vao: moderngl.VertexArray
    inputs: tuple[ShaderInput, ...] = ()
    text: str = ""  # the fragment source it was compiled from

    def release(self) -> None:
        self.vao.release()
        self.program.release()


def compile_text(ctx: moderngl.Context, name: str, fragment: str) -> CompiledProgram:
    """Compile a trusted built-in fragment shader (raises moderngl.Error on failure)."""
    program = ctx.program(vertex_shader=VERTEX_SHADER, fragment_shader=fragment)
    return CompiledProgram(name, program, ctx.vertex_array(program, []), text=fragment)


def compile_source(ctx: moderngl.Context, name: str, source: ShaderSource) -> CompiledProgram:
    """Compile an expanded shader; a failure raises ShaderError with file:line locations."""
    try:
        program = ctx.program(vertex_shader=VERTEX_SHADER, fragment_shader=source.text)
    except moderngl.Error as exc:
        log = str(exc).replace("GLSL Compiler failed", "").replace("fragment_shader", "")
        log = "\n".join(ln for ln in log.splitlines() if ln.strip() and set(ln) != {"="})
        mapped = source.map_log(log)
        first = mapped.splitlines()[0] if mapped else "compile failed"
        raise ShaderError(display_path(source.path), None,
                          f"does not compile:\n{mapped or first}") from exc
    return CompiledProgram(name, program, ctx.vertex_array(program, []), source.inputs,
                           source.text)


@dataclass(frozen=True)
class ReloadResult:
    """Outcome of one (re)load: ok, or the error text (file:line) for the operator."""

    name: str
    ok: bool
    error: str | None = None


@dataclass(eq=False)
class ProgramSlot:
    """One visual: keeps the last program that compiled while newer edits fail."""

    ctx: moderngl.Context
    name: str
    current: CompiledProgram | None = None
    error: str | None = None
    files: Signatures = field(default_factory=dict)
    trial: int | None = None  # the job id of the edit on trial (only the newest counts)

    def try_reload(self, source: ShaderSource) -> ReloadResult:
        """Compile `source`; on success swap it in, on failure keep the previous program."""
        try:
            compiled = compile_source(self.ctx, self.name, source)
        except ShaderError as exc:
            return self.fail(str(exc))
        if self.current is not None:
            self.current.release()
        self.current, self.error = compiled, None
        return ReloadResult(self.name, True)

    def fail(self, error: str) -> ReloadResult:
        """Record an error without touching the program in use."""
        self.error = error
        return ReloadResult(self.name, False, error)

    def release(self) -> None:
        if self.current is not None:
            self.current.release()
            self.current = None


def signature(stat: StatFn, path: Path) -> tuple[int, int] | None:
    """A file's (mtime ns, size), None when it cannot be read."""
    try:
        st = stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


class ShaderLibrary:
    """The visuals in a shaders folder (by file stem) plus built-in `fallback`/`blackout`.

    Everything compiles at construction; `poll()` (cheap stats, call between frames)
    recompiles only visuals whose file or includes changed, keeping the last good program.
    With `trials` (which the library then owns and closes), `poll()` never compiles an edit
    itself: it sends the edit to trial and swaps in, on a later poll, only one that passed;
    a refused edit is an error like a compile error (the last good program stays).
    """

    def __init__(
        self, ctx: moderngl.Context, root: Path = SHADER_ROOT, *, stat: StatFn = os.stat,
        trials: ShaderTrials | None = None,
    ) -> None:
        self.ctx = ctx
        self.root = Path(root)
        self._stat = stat
        self._slots: dict[str, ProgramSlot] = {}
        self._jobs = itertools.count(1)
        self.fallback = compile_text(ctx, "fallback", FALLBACK_SOURCE)
        self.blackout = compile_text(ctx, "blackout", BLACKOUT_SOURCE)
        self.trials: ShaderTrials | None = None
        self.poll()  # what ships (or is there at the start) is trusted: compiled here, now
        self.trials = trials

    def visuals(self) -> list[str]:
        """Names a cue can use: every shader file stem plus the built-ins."""
        return sorted(set(self._slots) | set(BUILTIN_VISUALS))

    def load(self, name: str, path: Path) -> ReloadResult:
        """(Re)load one visual from its file now."""
        slot = self._slots.setdefault(name, ProgramSlot(self.ctx, name))
        deps: set[Path] = {path.resolve()}
        try:
            source = load_shader(path, root=self.root, deps=deps)
            result = slot.try_reload(source)
        except ShaderError as exc:
            result = slot.fail(str(exc))
        deps |= set(slot.files) if not result.ok else set()
        slot.files = {p: signature(self._stat, p) for p in deps}
        return result

    def poll(self) -> list[ReloadResult]:
        """Reload new or changed visuals; returns one result per visual that was reloaded
        (with trials: one per trial that ended since the last poll)."""
        results = [] if self.trials is None else self._take_verdicts(self.trials)
        found = shader_files(self.root)
        for name, path in found.items():
            slot = self._slots.get(name)
            if slot is None or any(
                signature(self._stat, p) != sig for p, sig in slot.files.items()
            ):
                if self.trials is None:
                    results.append(self.load(name, path))
                else:
                    self._send_to_trial(self.trials, name, path)
        for name, slot in self._slots.items():
            if name not in found:
                slot.trial = None  # what was on trial is gone too
            if name not in found and slot.error is None:
                results.append(slot.fail(f"{display_path(self.root / (name + '.frag'))}: "
                                         "file is gone; keeping the last good program"))
        return results

    def pending(self) -> list[str]:
        """Visuals with an edit on trial (their last good program is drawn meanwhile)."""
        return sorted(name for name, slot in self._slots.items() if slot.trial is not None)

    def _send_to_trial(self, trials: ShaderTrials, name: str, path: Path) -> None:
        """Hand the edited visual to the trial process (never waits): the files it was read
        from are marked as seen now, so only a newer edit sends it again (and supersedes)."""
        slot = self._slots.setdefault(name, ProgramSlot(self.ctx, name))
        files = slot.files or {path.resolve(): None}
        slot.files = {p: signature(self._stat, p) for p in files}
        slot.trial = next(self._jobs)
        on_stage = {(s.current.text, s.current.inputs): None
                    for s in self._slots.values() if s.current is not None}
        trials.submit(slot.trial, name, path, self.root, tuple(on_stage))

    def _take_verdicts(self, trials: ShaderTrials) -> list[ReloadResult]:
        """Apply the trials that ended: a passed source is compiled here (the one GL step on
        the render thread), a refused one is recorded as the visual's error."""
        results = []
        for verdict in trials.verdicts():
            slot = self._slots.get(verdict.name)
            if slot is None or slot.trial != verdict.job:
                continue  # superseded by a newer edit, or the visual is gone
            slot.trial = None
            results.append(self._apply(slot, verdict))
        return results

    def _apply(self, slot: ProgramSlot, verdict: TrialVerdict) -> ReloadResult:
        if verdict.source is None:  # also watch what the last good program was read from
            slot.files = {**slot.files, **verdict.files}
            return slot.fail(verdict.error or "refused by the trial")
        slot.files = dict(verdict.files)
        return slot.try_reload(verdict.source)

    def errors(self) -> dict[str, str]:
        """Current error per visual (for the operator view and the `check` command)."""
        return {n: s.error for n, s in self._slots.items() if s.error}

    def slot(self, name: str) -> ProgramSlot:
        if name not in self._slots:
            raise UnknownVisualError(name, self.visuals(), self.root)
        return self._slots[name]

    def get(self, name: str) -> CompiledProgram:
        """The program to draw for `name`: last good, or `fallback` if it never compiled."""
        slot = self._slots.get(name)
        if slot is None:
            if name in BUILTIN_VISUALS:
                return self.fallback if name == "fallback" else self.blackout
            raise UnknownVisualError(name, self.visuals(), self.root)
        if slot.current is None:
            return self.blackout if name == "blackout" else self.fallback
        return slot.current

    def inputs(self, name: str) -> tuple[ShaderInput, ...]:
        """Declared inputs of the program in use for `name`."""
        return self.get(name).inputs

    def release(self) -> None:
        if self.trials is not None:
            self.trials.close()
            self.trials = None
        for slot in self._slots.values():
            slot.release()
        self._slots.clear()
        self.fallback.release()
        self.blackout.release()

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"ShaderLibrary({self.root}, visuals={self.visuals()})"

