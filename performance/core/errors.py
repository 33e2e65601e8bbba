"""Error types. Every message names the file, line, address or device it is about."""

from __future__ import annotations

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
