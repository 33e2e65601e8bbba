"""A headless run of the default show: real loop, real rendering, every act in order.

Time is a ManualClock that the loop's own pacing advances (its `sleep`), so minutes of show
run in seconds and the result does not depend on the machine's speed. GOs arrive through the
same command queue the keyboard and OSC use, whenever the show is waiting for one.
"""

from __future__ import annotations

import numpy as np
import pytest

from performance.config import Settings
from performance.core.clock import ManualClock
from performance.core.mailbox import CommandQueue
from performance.core.types import RoomEmotion
from performance.runtime.assemble import load_show
from performance.runtime.live import LiveOptions, run_live
from performance.show.commands import Command, Go
from performance.show.frame import ShowFrame
from performance.show.sequencer import Sequencer

pytestmark = [pytest.mark.integration, pytest.mark.gl]


def test_the_default_show_runs_headless_through_every_act() -> None:
    sequencer = Sequencer(load_show())
    clock = ManualClock()
    queue: CommandQueue[Command] = CommandQueue()
    fired: list[tuple[str, int]] = []
    brightness: dict[int, list[float]] = {}

    def publish(state: ShowFrame, emotion: RoomEmotion) -> None:
        if state.cue_id is not None and (not fired or fired[-1][0] != state.cue_id):
            fired.append((state.cue_id, state.act))
        status = sequencer.status()
        if status.phase in ("standby", "ready", "armed") and not len(queue):
            queue.put(Go())

    def inspect(frame: int, compositor: object) -> None:
        if fired and frame % 10 == 0:
            image = compositor.read_stage()  # type: ignore[attr-defined]
            brightness.setdefault(fired[-1][1], []).append(float(np.mean(image)))

    report = run_live(
        LiveOptions(input="scripted", size=(96, 54), fps=4.0, headless=True, seconds=900.0),
        Settings(),
        show=sequencer, commands=queue, clock=clock, sleep=clock.advance,
        publish=publish, inspect=inspect, report=lambda line: None,
        # the operator quits once the show has ended (ctrl+q, as on the keyboard)
        events=lambda: ["ctrl+q"] if sequencer.status().phase == "ended" else [],
    )
    cue_ids = [cue_id for cue_id, _ in fired]
    assert cue_ids == [cue.id for cue in sequencer.cues.cues]
    acts = [act for _, act in fired]
    assert acts == sorted(acts) and sorted(set(acts)) == list(range(1, 8))
    assert sequencer.status().phase == "ended"
    assert report.frames > 100 and report.max_tracked >= 2
    # the picture is not one frozen image: acts look different from one another
    means = [np.mean(values) for act, values in sorted(brightness.items()) if values]
    assert len(means) >= 5 and max(means) - min(means) > 3.0
