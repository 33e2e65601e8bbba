"""AutoGo presses GO only after the show has waited, and lets people take over."""

from __future__ import annotations

from performance.app.shows import load_show
from performance.core.clock import ManualClock
from performance.core.types import EmotionState
from performance.show.autogo import AutoGo
from performance.show.commands import GotoCue
from performance.show.sequencer import Sequencer


def test_autogo_walks_the_default_show_and_waits_between_cues() -> None:
    show = AutoGo(Sequencer(load_show()), after=4.0)
    clock, room = ManualClock(), EmotionState(timestamp=0.0)
    fired: list[tuple[float, str]] = []
    while show.restarts == 0 and clock.now() < 3600:
        state = show.tick(clock.now(), room)
        if state.cue_id is not None and (not fired or fired[-1][1] != state.cue_id):
            fired.append((clock.now(), state.cue_id))
        clock.advance(0.1)
    ids = [c.id for c in show.cues.cues]
    assert [cue for _, cue in fired] == [*ids, ids[0]]  # the whole story, then again
    manual = [c for c in show.cues.cues if c.next == "none"]
    assert show.presses == len(manual)
    assert fired[0][0] >= 4.0  # it waited before the first GO
    assert fired[-1][0] - fired[-2][0] >= 10.0  # the end holds before the story starts over


def test_a_person_can_still_jump() -> None:
    show = AutoGo(Sequencer(load_show()), after=100.0)
    room = EmotionState(timestamp=0.0)
    last = show.cues.cues[-1].id
    show.apply(GotoCue(last), 1.0)
    assert show.tick(1.1, room).cue_id == last and show.presses == 0
