"""The health report a technician reads remotely: one small JSON document, rewritten
atomically every few seconds into the state folder (health.json), sent as one line over
OSC (`/essence/health`) and printed by `essence status`.

It holds numbers about the rig, never about a person: uptime, frame rate and frame-time
p99, how many faces are in view, the camera's and the sound's state, underflows, restarts,
the last error and the process's memory.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from performance.core.errors import EssenceError

VERSION = 1


@dataclass(frozen=True)
class Health:
    """One report. `health` is the rig's own line (`ok`, or what is wrong)."""

    updated: str  # ISO wall-clock time of the report
    pid: int
    uptime_s: float
    mode: str  # the KioskMode
    health: str
    act: int = 0
    act_name: str = ""
    cue_id: str | None = None
    cue_name: str = ""
    fps: float = 0.0
    frame_p99_ms: float = 0.0
    frames: int = 0
    faces: int = 0
    camera: str = ""
    sound: str = ""
    underflows: int | None = None
    restarts: dict[str, int] = field(default_factory=dict)
    crashes: int = 0  # unclean ends of earlier runs within the crash window
    safe_reason: str = ""
    open: bool = True
    last_error: str = ""
    memory_mb: float = 0.0

    def to_json(self) -> str:
        """The file's text."""
        return json.dumps({"version": VERSION, **asdict(self)}, indent=1) + "\n"

    def line(self) -> str:
        """One line: what `STATUS=` tells systemd and the top of `essence status`."""
        where = f"act {self.act} cue {self.cue_id}" if self.cue_id is not None else "no cue"
        return (f"{self.mode} | {where} | {self.health} | {self.fps:.0f} fps | "
                f"faces {self.faces}")


def memory_mb(pid: int | str = "self") -> float:
    """A process's resident memory in MB (from /proc; for this process the peak where /proc
    is missing, 0 for another that is gone)."""
    try:
        resident = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
        return resident * os.sysconf("SC_PAGE_SIZE") / 1e6
    except (OSError, ValueError, IndexError):
        if pid != "self":
            return 0.0
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3


def read_health(path: Path) -> dict[str, Any]:
    """The report saved at `path`; EssenceError (one line, naming the file) when missing,
    unreadable, of another version, or without its `updated`, `mode` and `health` lines."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise EssenceError(f"{path}: no health report (is a kiosk running? "
                           "`essence kiosk` writes it)") from exc
    except (OSError, ValueError) as exc:
        raise EssenceError(f"{path}: unreadable health report ({exc})") from exc
    if not isinstance(data, dict):
        raise EssenceError(f"{path}: not a health report")
    if data.get("version") != VERSION:
        raise EssenceError(f"{path}: health report version {data.get('version')!r}; this rig "
                           f"reads version {VERSION} (a kiosk of another version wrote it)")
    for key in ("updated", "mode", "health"):
        if not isinstance(data.get(key), str):
            raise EssenceError(f"{path}: not a health report (no {key!r} text)")
    try:
        datetime.fromisoformat(data["updated"])
    except ValueError:
        raise EssenceError(f"{path}: updated: {data['updated']!r} is not a date and time"
                           ) from None
    return data


def format_health(data: dict[str, Any], *, age_s: float | None = None) -> str:
    """The report for a terminal: one `key: value` line each, the age of the report first."""
    lines = []
    if age_s is not None:
        stale = "  (STALE: the kiosk is not updating it)" if age_s > 30 else ""
        lines.append(f"report age: {age_s:.0f} s{stale}")
    for key, value in data.items():
        if key == "version":
            continue
        if isinstance(value, dict):
            value = ", ".join(f"{k} {v}" for k, v in value.items()) or "none"
        elif value is None:
            value = "none"
        lines.append(f"{key}: {value}")
    return "\n".join(lines)
