"""Error types. Every message names the file, line, address or device it is about."""

from __future__ import annotations

import signal
from pathlib import Path


class EssenceError(Exception):
    """Base for errors the rig reports to a person in one clear sentence."""


class InputError(EssenceError):
    """A frame source could not be opened or read (names the file or device)."""

    def __init__(self, where: str | Path, reason: str) -> None:
        self.where = str(where)
        self.reason = reason
        super().__init__(f"{self.where}: {reason}")


class ModelError(EssenceError):
    """The face model is missing, unreachable or does not match its checksum."""


class ConfigError(EssenceError):
    """A configuration or calibration file is invalid (names file and key)."""


class OutputError(EssenceError, OSError):
    """A file could not be written (a full disk, a read-only folder, ...): names the file and
    says what is left as it was. Also an OSError (errno kept), so code that catches OSError
    around a write still does."""

    def __init__(self, path: str | Path, reason: str | OSError, *,
                 kept: str = "nothing was written") -> None:
        if isinstance(reason, OSError):
            number, text = reason.errno, reason.strerror or str(reason)
        else:
            number, text = None, reason
        OSError.__init__(self, number, text)
        self.path = str(path)
        self.reason = text
        self.kept = kept

    def __str__(self) -> str:
        return f"{self.path}: cannot be written ({self.reason}); {self.kept}"


class Interrupted(EssenceError):
    """A command stopped on request (SIGTERM, SIGHUP) before it finished: names what it was
    writing and says that nothing of it was kept."""

    def __init__(self, where: str | Path, reason: str) -> None:
        self.where = str(where)
        self.reason = reason
        super().__init__(f"{self.where}: {reason}")

    @classmethod
    def on_request(cls, where: str | Path, what: str, stop: object, rest: str) -> Interrupted:
        """'<where>: <what> stopped by SIGTERM<rest>' (the signal named when `stop`, a
        `runtime.signals.StopRequest`, knows it)."""
        signum = getattr(stop, "signum", None)
        try:
            by = f" by {signal.Signals(signum).name}" if signum else ""
        except ValueError:
            by = ""
        return cls(where, f"{what} stopped{by}{rest}")
