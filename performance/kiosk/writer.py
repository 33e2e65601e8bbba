"""Saving state off the render thread: newest content per file wins, written atomically.

The render loop hands text to `submit` and goes on; one thread writes it with
`core.files.write_atomic` (temporary file, fsync, rename), so a save never delays a frame
and a crash or power cut leaves the last good file. A failing disk (full, read-only) is
logged once per file until a save works again and never raises into the show; the file
keeps its last good content.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from performance.core.files import write_atomic

log = logging.getLogger(__name__)


class StateWriter:
    """A daemon thread that saves the newest text submitted for each path."""

    def __init__(self, name: str = "essence-state") -> None:
        self._pending: dict[Path, str] = {}
        self._cond = threading.Condition()
        self._busy = False
        self._closed = False
        self._failing: dict[Path, str] = {}  # path -> the error last logged for it
        self.saved = 0
        self.failed = 0
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, path: Path, text: str) -> None:
        """Queue `text` for `path`, replacing what was queued for it and not yet written."""
        with self._cond:
            if self._closed:
                return
            self._pending[Path(path)] = text
            self._cond.notify()

    def failing(self, path: Path) -> str | None:
        """Why the last save of `path` failed; None when it worked (or never ran)."""
        return self._failing.get(Path(path))

    def flush(self, timeout: float = 2.0) -> bool:
        """Wait until everything submitted is written (or failed); False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._pending and not self._busy, timeout)

    def close(self, timeout: float = 2.0) -> None:
        """Write what is pending (up to `timeout`), then stop the thread."""
        self.flush(timeout)
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._pending or self._closed)
                if not self._pending:
                    return
                path, text = self._pending.popitem()
                self._busy = True
            self._save(path, text)
            with self._cond:
                self._busy = False
                self._cond.notify_all()

    def _save(self, path: Path, text: str) -> None:
        try:
            write_atomic(path, text)
        except Exception as exc:  # disk full, read-only, a folder gone: the show goes on
            self.failed += 1
            reason = f"{type(exc).__name__}: {exc}"
            if path not in self._failing:
                log.error("cannot save %s (%s); keeping its last good copy, retrying on the "
                          "next change", path, reason)
            self._failing[path] = reason
            return
        self.saved += 1
        if self._failing.pop(path, None) is not None:
            log.info("%s saved again", path)
