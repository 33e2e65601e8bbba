"""AutoGo presses GO only after the show has waited, and lets people take over."""

from __future__ import annotations

from performance.core.clock import ManualClock
from performance.core.types import RoomEmotion
from performance.runtime.assemble import load_show
from performance.show.autogo import AutoGo
from performance.show.commands import Go, GotoCue
from performance.show.sequencer import Sequencer


def walk_until_restart(show: AutoGo) -> list[tuple[float, str]]:
    """Tick every 0.1 s until the story starts over (at most an hour); (time, cue) fired."""
    clock, room = ManualClock(), RoomEmotion(timestamp=0.0)
    fired: list[tuple[float, str]] = []
    while show.restarts == 0 and clock.now() < 3600:
        state = show.tick(clock.now(), room)
        if state.cue_id is not None and (not fired or fired[-1][1] != state.cue_id):
            fired.append((clock.now(), state.cue_id))
        clock.advance(0.1)
    return fired


def test_autogo_walks_the_default_show_and_waits_between_cues() -> None:
    show = AutoGo(Sequencer(load_show()), after=4.0)
    fired = walk_until_restart(show)
    cues = show.sequencer.cues.cues
    ids = [c.id for c in cues]
    assert [cue for _, cue in fired] == [*ids, ids[0]]  # the whole story, then again
    manual = [c for c in cues if c.next == "none"]
    assert show.presses == len(manual)
    assert fired[0][0] >= 4.0  # it waited before the first GO
    assert fired[-1][0] - fired[-2][0] >= 10.0  # the end holds before the story starts over
    assert show.restarts == 1


def test_a_locked_show_loops_too() -> None:
    """Show mode refuses GotoCue; the restart is no command and GO is always allowed."""
    show = AutoGo(Sequencer(load_show(), locked=True), after=4.0)
    fired = walk_until_restart(show)
    seq = show.sequencer
    ids = [c.id for c in seq.cues.cues]
    assert [cue for _, cue in fired] == [*ids, ids[0]]
    assert show.restarts == 1 and seq.refusals.count == 0 and seq.status().locked


def test_a_restart_that_go_refuses_is_not_counted() -> None:
    show = AutoGo(Sequencer(load_show()), after=1.0, hold_end=1.0)
    seq = show.sequencer
    room = RoomEmotion(timestamp=0.0)
    show.apply(GotoCue(seq.cues.cues[-1].id), 0.0)
    t = 0.0
    while seq.status().phase != "ended" and t < 600:
        t += 0.1
        show.tick(t, room)
    assert seq.status().phase == "ended"
    waiting = t + 0.1
    show.tick(waiting, room)  # the hold starts
    show.tick(waiting + 0.9, room)
    assert seq.status().phase == "ended" and show.restarts == 0
    show.apply(Go(), waiting + 1.4)  # a person's GO at the end: refused, but it is a GO
    assert seq.ignored_gos == 0 and seq.refusals.last == "end of list"
    show.tick(waiting + 1.5, room)  # the restart's GO comes within the minimum interval
    assert show.restarts == 0 and seq.ignored_gos == 1
    assert seq.status().phase == "ready" and seq.status().next_cue_id == seq.cues.cues[0].id


def test_a_person_can_still_jump() -> None:
    show = AutoGo(Sequencer(load_show()), after=100.0)
    room = RoomEmotion(timestamp=0.0)
    last = show.sequencer.cues.cues[-1].id
    show.apply(GotoCue(last), 1.0)
    assert show.tick(1.1, room).cue_id == last and show.presses == 0


def test_show_mode_set_through_the_wrapper_locks_the_sequencer() -> None:
    show = AutoGo(Sequencer(load_show()), after=1.0)
    show.locked = True  # as the services set show mode when /essence/showmode 1 arrives
    assert show.sequencer.locked and show.locked
    assert not show.sequencer.handle(GotoCue("3"), 0.0).accepted
