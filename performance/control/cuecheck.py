"""`KnownCues`: refusing at once a command aimed at a cue the show's list does not have.

Owns the hub's check of cue-aimed transport commands (`/essence/goto 999`, `/cue/999/start`,
`/playhead/999`, `/cue/999/stop`, a cue's panic) against the cue ids the newest `RigStatus`
names (`RigStatus.cues`), with the reason the show would give (`no cue 999`, `cue 999 is not
running`); before a status named any cue the show decides. The ids are taken again only
when the status changed. Not thread-safe: the hub calls it with its one lock held.
"""

from __future__ import annotations

from performance.control.feedback import RigStatus
from performance.show.commands import Command, GotoCue, Panic, SetPlayhead, Stop
from performance.show.seqoptions import no_cue, not_running


class KnownCues:
    """The show's cue ids as the newest status names them (see the module)."""

    def __init__(self) -> None:
        self._cues_of: RigStatus | None = None  # the status `_cue_ids` was taken from
        self._cue_ids: frozenset[str] | None = None  # None: the show's cues are not known

    def refusal(self, command: Command, status: RigStatus | None) -> str | None:
        """Why the show would refuse `command`, aimed at a cue the list in `status` (the
        newest) does not have; None otherwise (the show decides)."""
        if isinstance(command, GotoCue):
            aimed, reason = command.cue_id, no_cue
        elif isinstance(command, SetPlayhead) and command.target not in ("next", "previous"):
            aimed, reason = command.target, no_cue
        elif isinstance(command, Stop | Panic) and command.cue is not None:
            aimed, reason = command.cue, not_running
        else:
            return None
        ids = self._known(status)
        return reason(aimed) if ids is not None and aimed not in ids else None

    def _known(self, status: RigStatus | None) -> frozenset[str] | None:
        if status is not self._cues_of:
            self._cues_of = status
            self._cue_ids = (frozenset(cue for cue, _ in status.cues)
                             if status is not None and status.cues else None)
        return self._cue_ids
