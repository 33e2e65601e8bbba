"""The sequencer's refused commands: counted, the latest reason kept, and logged without
flooding the log.

A coalesced parameter that the show refuses arrives again every frame while a fader is held
(`/essence/param/intensity 0.5 0.5` for a one-number input: 60 lines a second), so the same
refusal (command and reason) is logged once, then at most once per `QUIET_S` with how many
were held back; a different one is logged at once.
"""

from __future__ import annotations

import logging

log = logging.getLogger("performance.show.sequencer")

QUIET_S = 5.0  # the same refusal is logged at most once in this many seconds (real time)


class Refusals:
    """`count`, `last` (the latest reason) and the log lines of the sequencer's refusals."""

    def __init__(self) -> None:
        self.count = 0
        self.last = ""
        self._logged: tuple[str, str] | None = None  # (command, reason) last logged
        self._logged_at = 0.0
        self._held = 0  # repeats of it not logged since

    def note(self, command: str, reason: str, now: float) -> None:
        """Count one refusal of `command` (its name) for `reason` at real time `now`."""
        self.count += 1
        self.last = reason
        key = (command, reason)
        if key == self._logged and now - self._logged_at < QUIET_S:
            self._held += 1
            return
        more = f" ({self._held} more like this in {now - self._logged_at:.0f} s)" \
            if key == self._logged and self._held else ""
        log.info("%s refused: %s%s", command, reason, more)
        self._logged, self._logged_at, self._held = key, now, 0
