"""Window scenarios, each run in a fresh interpreter by test_window.py.

A GLX window and the EGL contexts other tests create cannot share one process (the GL
dispatch library keeps per-process state, and the process dies). The real rig never mixes
them, so each window scenario runs alone and prints what it saw as one JSON line.
"""

from __future__ import annotations

import json
import sys

import numpy as np

from performance.config import Settings
from performance.core.errors import InputError
from performance.runtime.live import LiveOptions, run_live
from performance.show.autopilot import Autopilot


class RecordingShow(Autopilot):
    """The autopilot, remembering the commands it was given."""

    def __init__(self) -> None:
        super().__init__()
        self.applied: list[object] = []

    def apply(self, command: object, now: float) -> None:
        self.applied.append(command)


def present() -> dict[str, object]:
    from performance.adapters.window import post_key

    grabs: dict[int, np.ndarray] = {}
    show = RecordingShow()

    def inspect(frame: int, compositor: object) -> None:
        if frame in (5, 40):
            grabs[frame] = compositor.read_output()  # type: ignore[attr-defined]
        if frame == 10:
            post_key("space")
        if frame == 12:
            post_key("escape")
        if frame == 50:
            post_key("q", ctrl=True)

    report = run_live(LiveOptions(input="scripted", size=(320, 180), fps=60, max_frames=500,
                                  vsync=False), Settings(), show=show, inspect=inspect,
                      report=lambda _: None)
    first, later = grabs[5], grabs[40]
    return {
        "frames": report.frames,
        "applied": [type(c).__name__ for c in show.applied],
        "shape": list(first.shape),
        "first_mean": float(first.mean()),
        "change": float(np.abs(first.astype(int) - later.astype(int)).mean()),
    }


def bad_display() -> dict[str, object]:
    try:
        run_live(LiveOptions(input="scripted", display=7, max_frames=1), Settings())
    except InputError as exc:
        return {"error": str(exc)}
    return {"error": None}


def displays() -> dict[str, object]:
    from performance.adapters.window import list_displays

    return {"displays": [[d.index, list(d.size)] for d in list_displays()]}


if __name__ == "__main__":
    scenario = {"present": present, "bad_display": bad_display, "displays": displays}
    print(json.dumps(scenario[sys.argv[1]]()), flush=True)
