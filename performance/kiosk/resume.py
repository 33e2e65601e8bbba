"""Where the story was: the act and cue a kiosk is in, saved on every cue change and read
back at start, so a restart (a crash, the power blinking) resumes there instead of at the
top. One small JSON file; nothing about the audience is in it."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path

log = logging.getLogger(__name__)

VERSION = 1


@dataclass(frozen=True)
class ResumePoint:
    """The cue the show was in, in which show file (a point from another show is ignored)."""

    show: str  # the show file's resolved path
    cue_id: str
    act: int = 0
    cue_name: str = ""

    def to_json(self) -> str:
        """The file's text."""
        return json.dumps({"version": VERSION, **asdict(self)}, indent=1) + "\n"


def load_resume(path: Path, show: Path) -> ResumePoint | None:
    """The point saved for `show`, or None (no file, another show, or an unreadable file:
    said once in the log, and the story starts at the top)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        point = ResumePoint(show=str(data["show"]), cue_id=str(data["cue_id"]),
                            act=int(data.get("act", 0)), cue_name=str(data.get("cue_name", "")))
        if int(data.get("version", VERSION)) != VERSION:
            raise ValueError(f"version {data.get('version')!r}, expected {VERSION}")
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        log.warning("%s: resume point unreadable (%s); the story starts at the top", path, exc)
        return None
    if point.show != str(Path(show).resolve()):
        log.info("%s: resume point is for %s, not %s; the story starts at the top",
                 path, point.show, show)
        return None
    return point
