"""The start ledger: how often the kiosk started lately and whether each run ended cleanly.

Every start adds an entry marked unclean; a clean end (the run's end, SIGTERM, the exit
chord) marks it clean. An entry still unclean at the next start is a crash (a traceback, a
SIGKILL, the watchdog's abort, the power). After `limit` crashes within `window` seconds the
kiosk holds a safe picture with sound off instead of restart-looping, and says why. Times
are wall-clock seconds (they must survive a reboot); the ledger keeps only the last entries.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

KEEP = 32  # entries the ledger keeps


@dataclass(frozen=True)
class Start:
    """One start of the kiosk: when (wall clock, seconds) and whether it ended cleanly."""

    at: float
    clean: bool = False


@dataclass(frozen=True)
class CrashVerdict:
    """What the ledger says at a start: recent crashes, and whether to hold the safe mode."""

    crashes: int
    safe: bool
    reason: str = ""


def read_starts(path: Path) -> list[Start]:
    """The ledger's entries, oldest first (an unreadable ledger is logged and read as empty)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return [Start(float(e["at"]), bool(e["clean"])) for e in data["starts"]]
    except FileNotFoundError:
        return []
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("%s: start ledger unreadable (%s); counting no earlier crashes", path, exc)
        return []


def ledger_text(starts: list[Start]) -> str:
    """The ledger file's text (the last KEEP entries)."""
    kept = [{"at": round(s.at, 3), "clean": s.clean} for s in starts[-KEEP:]]
    return json.dumps({"starts": kept}, indent=1) + "\n"


def judge(starts: list[Start], now: float, *, limit: int, window: float) -> CrashVerdict:
    """Crashes among `starts` (the earlier runs) within `window` seconds before `now`;
    safe when there are `limit` or more (`limit` 0: never)."""
    crashes = sum(1 for s in starts if not s.clean and now - window <= s.at <= now)
    if limit > 0 and crashes >= limit:
        minutes = window / 60.0
        return CrashVerdict(crashes, True, f"safe mode: {crashes} crashes in {minutes:g} min")
    return CrashVerdict(crashes, False)
