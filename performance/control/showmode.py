"""`LocalShowMode`: show mode as the render process sees it when OSC runs in its own process.

Owns the render side of the show-mode flag of `control.process.OscProcess`: the child's
hub changes it from OSC and reports it with each batch; the show-mode key (`SetShowMode`)
changes it here at once. Each key change is counted and goes to the child in the
`Downlink` as (changes, wanted state); the child's hub follows and reports the count it
took with its batches, and a report that has not seen the latest key change yet is
ignored, so it never flips the key's change back.
"""

from __future__ import annotations

from dataclasses import dataclass

from performance.show.commands import Command, SetShowMode


@dataclass
class LocalShowMode:
    """The render process's show-mode flag and the key changes the child must follow."""

    on: bool
    changes: int = 0  # key changes made here (the child acknowledges the count it took)

    def take(self, command: Command) -> bool:
        """Apply a `SetShowMode` (None toggles) and return True; False for any other."""
        if not isinstance(command, SetShowMode):
            return False
        self.on = not self.on if command.on is None else command.on
        self.changes += 1
        return True

    def report(self, on: bool, seen: int) -> None:
        """The child's show mode, taken once it has seen every key change made here."""
        if seen >= self.changes:
            self.on = on

    @property
    def wanted(self) -> tuple[int, bool]:
        """What the child follows: (key changes so far, the state they left)."""
        return self.changes, self.on
