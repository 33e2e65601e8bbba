"""An edited cue list under a running show: the position carried over by cue id."""

from __future__ import annotations

from pathlib import Path

from performance.runtime.assemble import shader_catalog
from performance.show.cuefile.load import parse_cue_text
from performance.show.cuefile.model import CueList
from performance.show.reposition import Position, carry_over
from performance.show.waits import PreWait

CATALOG = shader_catalog()


def cues(*ids: str) -> CueList:
    text = '[[act]]\nnumber = 1\nname = "One"\n\n' + "".join(
        f'[[cue]]\nid = "{i}"\nact = 1\nvisual = "blackout"\n\n' for i in ids)
    return parse_cue_text(text, Path("show.toml"), CATALOG)


def test_the_current_cue_and_the_playhead_follow_their_cues_wherever_the_edit_moved_them(
) -> None:
    old, new = cues("1", "2", "3"), cues("0.5", "1", "2", "2.5", "3")
    moved = carry_over(old, new, Position(current=1, playhead=2, pre_wait=None))
    assert moved == Position(current=2, playhead=4, pre_wait=None)  # "2" current, on "3"


def test_a_removed_playhead_cue_puts_the_playhead_after_the_current_one() -> None:
    moved = carry_over(cues("1", "2", "3"), cues("1", "2", "4"), Position(1, 2, None))
    assert moved == Position(current=1, playhead=2, pre_wait=None)  # after "2": on "4"


def test_a_removed_current_cue_leaves_no_current_and_the_playhead_within_the_list() -> None:
    moved = carry_over(cues("1", "2", "3", "4"), cues("1"), Position(2, 3, None))
    assert moved == Position(current=None, playhead=1, pre_wait=None)  # the end of the list
    at_end = carry_over(cues("1", "2"), cues("1", "2", "3"), Position(1, 2, None))
    assert at_end.playhead == 2  # it was past the last cue: now on the new "3"


def test_a_pending_pre_wait_keeps_its_fire_time_while_its_cue_is_there() -> None:
    old = cues("1", "2", "3")
    waiting = Position(current=0, playhead=1, pre_wait=PreWait(1, 12.5))
    kept = carry_over(old, cues("0", "1", "2", "3"), waiting)
    assert kept.pre_wait == PreWait(2, 12.5)
    dropped = carry_over(old, cues("1", "3"), waiting)
    assert dropped.pre_wait is None and dropped.playhead == 1  # after "1": on "3"
