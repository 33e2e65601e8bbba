"""A shader edit reaches the stage only after it compiled and rendered within the frame budget
in the trial process: a looping edit saved into a running show is refused with one message
while the picture keeps its pace and its last good program, and the next good edit is taken.

Real headless runs (EGL on Mesa llvmpipe) and a real trial process; the edits are files
rewritten in a temporary shader folder (`runtime.stage.SHADER_FOLDER`).
"""

from __future__ import annotations

import itertools
import logging
import os
import signal
import time
from pathlib import Path

import pytest

import performance.runtime.stage as stage_module
from performance.config import Settings
from performance.core.types import RoomEmotion
from performance.render.trial_process import BUDGET_FRAMES
from performance.runtime.live import LiveOptions, run_live
from performance.show.commands import Command
from performance.show.frame import Layer, ShowFrame

pytestmark = [pytest.mark.integration, pytest.mark.gl]

FPS = 30.0
SIZE = (320, 180)
RED = "#version 330\nout vec4 fragColor;\nvoid main() { fragColor = vec4(1.0, 0.0, 0.0, 1.0); }\n"
GREEN = RED.replace("1.0, 0.0, 0.0", "0.0, 1.0, 0.0")
# two hundred million sines a pixel: far over any budget on any GPU; Mesa llvmpipe caps each
# loop at 65,535 turns, and still one 320x180 frame of it takes about 14 s here (drawn on the
# stage before the trial, the picture froze that long, every frame)
LOOP = """#version 330
out vec4 fragColor;
uniform float u_time;
void main() {
    float a = 0.0;
    for (int i = 0; i < 100000000; i++) { a += sin(a + float(i) * 1e-4 + u_time); }
    for (int i = 0; i < 100000000; i++) { a += cos(a + float(i) * 1e-4 - u_time); }
    fragColor = vec4(fract(a), 0.0, 1.0, 1.0);
}
"""
NOISE_S = 2.0
"""The longest frame allowed while and after an edit is on trial: the budget (BUDGET_FRAMES
periods, 133 ms) plus a shared CPU's scheduling, which reached 1.5 s on this 2-core VM at a
load of 10; far below the looping frame's 14 s."""


def _save(path: Path, text: str) -> None:
    """Save a file as an editor does (whole, by a rename), its mtime moved on so that a poll
    surely sees the change."""
    temporary = path.with_name(path.name + ".saving")
    temporary.write_text(text, encoding="utf-8")
    st = temporary.stat()
    os.utime(temporary, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))
    os.replace(temporary, path)


class Hold:
    """A show that keeps one visual on stage."""

    def __init__(self, visual: str) -> None:
        self.visual = visual

    def apply(self, command: Command, now: float) -> None:
        return None

    def tick(self, now: float, emotion: RoomEmotion) -> ShowFrame:
        return ShowFrame(time=now, current=Layer(self.visual))


def test_a_looping_edit_is_refused_while_the_picture_keeps_its_pace_then_a_good_one_is_taken(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    visual = tmp_path / "mine.frag"
    visual.write_text(RED, encoding="utf-8")
    monkeypatch.setattr(stage_module, "SHADER_FOLDER", tmp_path)
    caplog.set_level(logging.INFO)
    frames: list[tuple[float, tuple[int, ...]]] = []  # (time, the stage's corner pixel)
    marks: dict[str, float] = {}

    def refusals() -> list[logging.LogRecord]:
        return [r for r in caplog.records
                if r.levelno >= logging.ERROR and "mine" in r.getMessage()]

    def inspect(frame: int, compositor: object) -> None:
        now = time.monotonic()
        pixel = tuple(compositor.read_stage()[0, 0].tolist())  # type: ignore[attr-defined]
        frames.append((now, pixel))
        if frame == 15:
            _save(visual, LOOP)
            marks["loop"] = now
        if "loop" in marks and "refused" not in marks and refusals():
            marks["refused"] = now
        if "refused" in marks and "green" not in marks and now - marks["refused"] > 1.0:
            _save(visual, GREEN)  # a second of show after the refusal, then a good edit
            marks["green"] = now
        if "green" in marks and "taken" not in marks and pixel[1] > 200:
            marks["taken"] = now

    report = run_live(
        LiveOptions(input="scripted", size=SIZE, fps=FPS, headless=True, seconds=15.0),
        Settings(), show=Hold("mine"), inspect=inspect, report=lambda _: None,
        events=lambda: ["ctrl+q"] if "taken" in marks and time.monotonic() - marks["taken"] > 0.3
        else [],
    )

    assert report.errors == {}
    # frames kept coming while the edit was on trial and after (see NOISE_S), at the normal
    # rate (below)
    times = [t for t, _ in frames if t >= marks["loop"]]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    worst = max(range(len(gaps)), key=gaps.__getitem__)
    assert gaps[worst] < NOISE_S, (f"a frame took {gaps[worst] * 1000:.0f} ms, "
                                   f"{times[worst] - marks['loop']:.2f} s after the edit "
                                   f"(the budget: {BUDGET_FRAMES / FPS * 1000:.0f} ms)")
    assert "refused" in marks, "the looping edit was never refused"
    (refusal,) = refusals()  # one message, naming the file and why
    message = refusal.getMessage()
    assert "mine.frag: edit not taken:" in message and "keeping the last good program" in message
    assert "taken" in marks, "the good edit after it never reached the stage"
    took = marks["taken"] - marks["green"]
    assert took < 3.0, f"the good edit took {took:.1f} s to reach the stage"
    # the looping program never reached the stage: the last good one is on it until the fix
    during = [(t, px) for t, px in frames if marks["loop"] <= t < marks["taken"]]
    assert during and all(px == (255, 0, 0) for _, px in during)
    span = marks["taken"] - marks["loop"]
    assert len(during) >= 0.6 * FPS * span, (len(during), span)


def test_a_newer_edit_wins_a_crashed_trial_refuses_and_errors_keep_file_and_line(
    tmp_path: Path,
) -> None:
    """Straight at the library: a compile error still names file:line through the trial; a
    good edit saved while a looping one is on trial replaces it (no refusal is reported); a
    trial process that dies mid-trial refuses the edit, and the next edit is tried again."""
    from performance.render.headless import create_headless_context
    from performance.render.program import ReloadResult, ShaderLibrary
    from performance.render.trial import ShaderTrials

    visual = tmp_path / "mine.frag"
    visual.write_text(RED, encoding="utf-8")
    ctx = create_headless_context()
    trials = ShaderTrials(SIZE)
    library = ShaderLibrary(ctx, tmp_path, trials=trials)
    try:
        first = library.get("mine")

        def settle(timeout: float = 15.0) -> list[ReloadResult]:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                results = library.poll()
                if results:
                    return results
                time.sleep(0.02)
            raise AssertionError("no trial ended")

        _save(visual, RED.replace("1.0);", "1.0)\n    oops;"))
        assert library.poll() == [] and library.pending() == ["mine"]  # never compiled here
        (broken,) = settle()
        assert not broken.ok and library.get("mine") is first
        assert "mine.frag:4" in library.errors()["mine"]

        _save(visual, LOOP)
        assert library.poll() == [] and library.pending() == ["mine"]  # on trial
        _save(visual, GREEN)  # saved again before the looping edit's verdict
        (result,) = settle()
        assert result == ReloadResult("mine", True)
        green = library.get("mine")
        assert library.errors() == {} and green is not first
        assert "vec4(0.0, 1.0, 0.0" in green.text

        _save(visual, LOOP)  # on trial, its process dies (the driver crashed, say)
        library.poll()
        deadline = time.monotonic() + 15.0
        while not (trials.doing or "").startswith("mine: its first frame"):
            assert time.monotonic() < deadline, trials.doing
            time.sleep(0.005)
        process = trials._proc
        assert process is not None and process.pid is not None
        os.kill(process.pid, signal.SIGKILL)
        (crashed,) = settle()
        assert not crashed.ok and library.get("mine") is green
        assert "mine.frag: edit not taken: the trial process ended (exit code -9) while its " \
            "first frame at 80x45" in library.errors()["mine"]
        _save(visual, RED)
        (again,) = settle()  # a new process tries the next edit
        assert again.ok and "vec4(1.0, 0.0, 0.0" in library.get("mine").text
    finally:
        library.release()
        ctx.release()
