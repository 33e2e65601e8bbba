"""Where the sequencer stands in an edited cue list: its position carried over by cue id.

Owns the rule `Sequencer.reload` follows when the show file changes under a running show:
the current cue stays current wherever the edit moved it (none when the edit removed it);
the playhead stays on the cue it was on, or goes right after the current cue when its own cue
is gone, or stays where it was (within the new list) when neither is there; a cue waiting for
its pre-wait keeps waiting, with the same fire time, while it is still in the list.
"""

from __future__ import annotations

from dataclasses import dataclass

from performance.show.cuefile.model import CueList
from performance.show.waits import PreWait


@dataclass(frozen=True)
class Position:
    """The sequencer's place in a cue list: indices into its cues."""

    current: int | None
    playhead: int
    pre_wait: PreWait | None


def carry_over(old: CueList, new: CueList, at: Position) -> Position:
    """`at`, a position in `old`, as the same position in `new` (see the module's rule)."""
    cur = old.cues[at.current].id if at.current is not None else None
    play = old.cues[at.playhead].id if at.playhead < len(old.cues) else None
    pend = old.cues[at.pre_wait.index].id if at.pre_wait else None
    current = new.index_of(cur) if cur is not None else None
    new_play = new.index_of(play) if play is not None else None
    if new_play is not None:
        playhead = new_play
    elif current is not None:
        playhead = current + 1
    else:
        playhead = min(at.playhead, len(new.cues))
    pend_index = new.index_of(pend) if pend is not None else None
    pre_wait = PreWait(pend_index, at.pre_wait.fire_at) \
        if at.pre_wait and pend_index is not None else None
    return Position(current, playhead, pre_wait)
