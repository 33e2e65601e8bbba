"""A live run lowers the software renderer's threads to `renderer_nice` (5 by default; 0:
leaves them)."""

from __future__ import annotations

import os
from dataclasses import replace

import pytest

from performance.config import DEFAULTS
from performance.core.priority import RENDERER_THREADS, thread_names
from performance.runtime.live import LiveOptions, run_live

pytestmark = [pytest.mark.integration, pytest.mark.gl]


def _renderer_nice() -> dict[int, int]:
    """This process's software-renderer threads: id -> nice value."""
    return {tid: os.getpriority(os.PRIO_PROCESS, tid) for tid, name in thread_names().items()
            if name.startswith(RENDERER_THREADS)}


def _during_a_run(nice: int | None) -> tuple[str, dict[int, int], dict[int, int]]:
    """(the run's GL_RENDERER, the renderer threads' nice values before and during a run;
    `nice` None: the default settings')."""
    before = _renderer_nice()
    seen: dict[str, object] = {}

    def inspect(frame: int, compositor: object) -> None:
        if frame == 3:
            seen["renderer"] = compositor.ctx.info["GL_RENDERER"]  # type: ignore[attr-defined]
            seen["nice"] = _renderer_nice()

    report = run_live(LiveOptions(input="scripted", headless=True, size=(160, 90), fps=0,
                                  max_frames=6),
                      replace(DEFAULTS, sound=False) if nice is None
                      else replace(DEFAULTS, renderer_nice=nice, sound=False), inspect=inspect,
                      report=lambda _: None)
    assert report.frames == 6
    return str(seen["renderer"]), before, dict(seen["nice"])  # type: ignore[call-overload]


def test_the_software_renderer_gives_way_in_a_live_run_and_zero_leaves_it() -> None:
    renderer, before, during = _during_a_run(0)  # first: threads it starts are at 0
    assert during == {tid: before.get(tid, 0) for tid in during}
    assert DEFAULTS.renderer_nice == 5
    renderer, _, during = _during_a_run(None)  # the default: perception and control first
    if "llvmpipe" in renderer:
        assert during, "no llvmpipe threads in the run"
    assert all(nice == 5 for nice in during.values()), during
    renderer, _, during = _during_a_run(10)
    if "llvmpipe" in renderer:
        assert during, "no llvmpipe threads in the run"
    assert all(nice >= 10 for nice in during.values()), during
