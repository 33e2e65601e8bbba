"""Where the kiosk keeps what must survive a restart: the user state directory and its files.

Nothing here holds a camera frame or a per-person record: the resume point (act and cue),
the start ledger (when the kiosk started and whether it ended cleanly), the health report
and the log. `ESSENCE_STATE_DIR` overrides the folder (tests, a second kiosk on one machine).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from performance.config import APP_NAME


@dataclass(frozen=True)
class StatePaths:
    """The kiosk's files in one folder."""

    folder: Path

    @property
    def resume(self) -> Path:
        """The act and cue the show was in (see resume.py)."""
        return self.folder / "resume.json"

    @property
    def starts(self) -> Path:
        """The start ledger (see crashes.py)."""
        return self.folder / "starts.json"

    @property
    def health(self) -> Path:
        """The health report (see health.py), rewritten every few seconds."""
        return self.folder / "health.json"

    @property
    def log(self) -> Path:
        """The rotated log (see logs.py)."""
        return self.folder / "essence.log"


def state_paths(environ: Mapping[str, str] | None = None) -> StatePaths:
    """`ESSENCE_STATE_DIR`, else the user state directory (~/.local/state/essence)."""
    env = os.environ if environ is None else environ
    if env.get("ESSENCE_STATE_DIR"):
        return StatePaths(Path(env["ESSENCE_STATE_DIR"]))
    from platformdirs import user_state_dir

    return StatePaths(Path(user_state_dir(APP_NAME)))
