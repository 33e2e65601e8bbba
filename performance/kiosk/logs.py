"""Logs that cannot hurt an unattended show: size-bounded rotation, a rate limit, and a
failing disk that never stops the picture.

`install_kiosk_logging` adds a rotating file handler (state folder, `MAX_BYTES` a file,
`BACKUPS` old files) behind a `RateLimit` filter: the same message from the same place
more than once a second is held back and counted, and the next one that passes says how
many were held. A write that fails (disk full, read-only) is dropped silently (logging's
`raiseExceptions` is off for the run) and the console handler carries on. `LastError`
remembers the last warning or error, for the health report.
"""

from __future__ import annotations

import logging
import logging.handlers
import time
from collections.abc import Callable
from pathlib import Path

MAX_BYTES = 1_000_000
BACKUPS = 3
RATE_S = 1.0  # one line a second at most for the same message


class RateLimit(logging.Filter):
    """Passes the same message at most once every `every` seconds: a warning or error counts
    as the same by its template (a fault repeating with new numbers is one fault), anything
    quieter by its text (each cue's "fired" line passes)."""

    def __init__(self, every: float = RATE_S, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.every, self.clock = every, clock
        self._last: dict[tuple[str, str, int], float] = {}
        self._held: dict[tuple[str, str, int], int] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        decided = getattr(record, "_essence_rate_ok", None)  # one filter on many handlers:
        if decided is not None:  # each record is judged once
            return bool(decided)
        ok = self._judge(record)
        record._essence_rate_ok = ok
        return ok

    def _judge(self, record: logging.LogRecord) -> bool:
        try:
            text = str(record.msg) if record.levelno >= logging.WARNING else record.getMessage()
        except Exception:  # a bad format string: its template
            text = str(record.msg)
        key = (record.name, text, record.levelno)
        now = self.clock()
        last = self._last.get(key)
        if last is not None and now - last < self.every:
            self._held[key] = self._held.get(key, 0) + 1
            return False
        self._last[key] = now
        held = self._held.pop(key, 0)
        if held:
            record.msg = f"{record.msg} ({held} more like this held back)"
        if len(self._last) > 4096:  # many distinct messages: forget the oldest half
            for old in sorted(self._last, key=self._last.__getitem__)[:2048]:
                self._last.pop(old, None)
        return True


class SafeRotatingHandler(logging.handlers.RotatingFileHandler):
    """A rotating file that drops what it cannot write instead of printing a traceback."""

    def handleError(self, record: logging.LogRecord) -> None:
        self.failures = getattr(self, "failures", 0) + 1


class LastError(logging.Handler):
    """Keeps the last record at WARNING or above as one line."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.text = ""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.text = f"{record.levelname.lower()}: {record.getMessage()}".splitlines()[0]
        except Exception:  # a bad format string: keep the template
            self.text = str(record.msg)[:200]


def install_kiosk_logging(path: Path, *, rate: RateLimit | None = None) -> LastError:
    """Rate-limit every handler of the root logger, add the rotated file and the last-error
    keeper; returns the keeper. A file that cannot be opened is skipped (said on stderr)."""
    logging.raiseExceptions = False
    root = logging.getLogger()
    limit = rate or RateLimit()
    for handler in root.handlers:
        handler.addFilter(limit)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = SafeRotatingHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS,
                                      encoding="utf-8", delay=True)
    except OSError as exc:
        root.warning("log file %s cannot be opened (%s); logging to the console only", path, exc)
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler.addFilter(limit)
        root.addHandler(handler)
    last = LastError()
    last.addFilter(limit)
    root.addHandler(last)
    return last
