"""Versioned venue calibration files (projector mapping, camera): read, check, migrate, save.

Owns the file format every venue calibration shares: a human-readable TOML document whose
top level names what it is and which schema it follows,

    kind = "projector"      # or "camera", ...
    schema = 1              # the version of that kind's layout

followed by the kind's own tables. `load_calibration` reads one (bounded, never blocking on a
FIFO), refuses another kind, migrates an older schema step by step with the migrations the
kind registers, and refuses a newer one or an older one without a migration, each time with
one line naming the file (and the key). `Fields` reads typed, range-checked values out of a
table with errors naming `file: table.key`. `save_calibration` writes atomically (temp file,
fsync, rename): a failed save leaves the good file as it was.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import tomli_w

from performance.core.errors import ConfigError
from performance.core.files import parse_toml, read_text, reason, write_atomic

KIND_KEY = "kind"
SCHEMA_KEY = "schema"

Migration = Callable[[dict[str, Any]], dict[str, Any]]
"""Turns a document of schema N into one of schema N + 1 (registered under N)."""

T = TypeVar("T")


class CalibrationError(ConfigError):
    """A calibration file is unreadable, of another kind or version, or has a bad value:
    `file: key: what is wrong` in one line."""

    def __init__(self, path: str | Path, message: str, key: str = "") -> None:
        self.path = str(path)
        self.key = key
        super().__init__(f"{self.path}: {key + ': ' if key else ''}{message}")


def load_calibration(
    path: Path, kind: str, schema: int, migrations: Mapping[int, Migration] | None = None
) -> dict[str, Any]:
    """The document of `path`, of `kind`, brought to `schema` (its own `kind`/`schema` keys
    removed). CalibrationError (one line naming the file) when it cannot be read or parsed,
    is another kind, is newer than `schema`, or older with no migration path."""
    try:
        data = parse_toml(read_text(path))
    except OSError as exc:
        raise CalibrationError(path, f"cannot read the calibration ({reason(exc)})") from None
    except UnicodeDecodeError as exc:
        raise CalibrationError(path, f"not UTF-8 text ({exc.reason} at byte {exc.start})"
                               ) from None
    except tomllib.TOMLDecodeError as exc:
        raise CalibrationError(path, f"not valid TOML ({exc})") from None
    found_kind = data.pop(KIND_KEY, None)
    if found_kind != kind:
        shown = "missing" if found_kind is None else repr(found_kind)
        raise CalibrationError(path, f"is not a {kind} calibration ({KIND_KEY} is {shown})",
                               KIND_KEY)
    version = data.pop(SCHEMA_KEY, None)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise CalibrationError(path, f"must be a whole number from 1, got {version!r}",
                               SCHEMA_KEY)
    if version > schema:
        raise CalibrationError(path, f"is schema {version}, newer than this rig reads "
                               f"({schema}): update the rig or recalibrate", SCHEMA_KEY)
    steps = migrations or {}
    while version < schema:
        if version not in steps:
            raise CalibrationError(path, f"schema {version} can no longer be read (this rig "
                                   f"reads {schema}): recalibrate", SCHEMA_KEY)
        try:
            data = steps[version](data)
        except (KeyError, TypeError, ValueError) as exc:
            raise CalibrationError(path, f"cannot be migrated from schema {version} "
                                   f"({exc})", SCHEMA_KEY) from None
        version += 1
    return data


def save_calibration(path: Path, kind: str, schema: int, body: Mapping[str, Any], *,
                     header: str = "") -> None:
    """Write `body` as a `kind` calibration of `schema` to `path` atomically (OutputError
    naming the file when it cannot; the previous file is then untouched). `header`: comment
    lines put on top (a person reads these files)."""
    comment = "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines())
    text = comment + inline_scalar_arrays(tomli_w.dumps({KIND_KEY: kind, SCHEMA_KEY: schema,
                                                         **body}))
    write_atomic(path, text)


# An array tomli-w wrote one value a line whose values are all numbers or booleans (a point,
# a size): the opening bracket ends its line, each value is alone on its line with a comma.
_SCALAR_ARRAY = re.compile(r"\[\n((?:[ ]+[-+0-9.a-z_]+,\n)+)[ ]*\]")


def inline_scalar_arrays(text: str) -> str:
    """TOML from tomli-w with each array of plain values on one line (`[0.1, 0.2]`), so a
    mesh or a polygon reads one point a line instead of one number a line. Strings are never
    touched (they are quoted, and tomli-w escapes their newlines), so the values stay the
    same."""
    return _SCALAR_ARRAY.sub(
        lambda m: "[" + ", ".join(v.strip().rstrip(",") for v in m.group(1).splitlines()) + "]",
        text)


class Fields:
    """Typed, checked reads from one table of a calibration; errors name `file: table.key`."""

    def __init__(self, path: str | Path, table: Mapping[str, Any], where: str = "") -> None:
        self.path = path
        self.where = where
        if not isinstance(table, Mapping):
            raise CalibrationError(path, f"must be a table, got {_short(table)}", where)
        self.table = table

    def key(self, name: str) -> str:
        """The dotted name of `name` in this table (for messages)."""
        return f"{self.where}.{name}" if self.where else name

    def fail(self, name: str, message: str) -> CalibrationError:
        """The error for a bad `name` of this table."""
        return CalibrationError(self.path, message, self.key(name))

    def sub(self, name: str, default: Mapping[str, Any] | None = None) -> Fields:
        """The table `name` inside this one (`default` when absent; an error when required)."""
        if name not in self.table:
            if default is None:
                raise self.fail(name, "missing")
            return Fields(self.path, default, self.key(name))
        return Fields(self.path, self.table[name], self.key(name))

    def unknown(self, known: set[str] | frozenset[str]) -> None:
        """Refuse keys of this table that are not in `known` (a typo must not pass)."""
        extra = sorted(set(self.table) - set(known))
        if extra:
            raise self.fail(extra[0], f"unknown key (known: {', '.join(sorted(known))})")

    def number(self, name: str, default: float | None = None, *, low: float = -math.inf,
               high: float = math.inf) -> float:
        """A finite number in [low, high]."""
        raw = self._get(name, default)
        if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
            raise self.fail(name, f"must be a number, got {_short(raw)}")
        if not low <= raw <= high:
            raise self.fail(name, f"= {raw} is outside [{low}, {high}]")
        return float(raw)

    def integer(self, name: str, default: int | None = None, *, low: int = -(2 ** 31),
                high: int = 2 ** 31) -> int:
        """A whole number in [low, high]."""
        raw = self._get(name, default)
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise self.fail(name, f"must be a whole number, got {_short(raw)}")
        if not low <= raw <= high:
            raise self.fail(name, f"= {raw} is outside [{low}, {high}]")
        return raw

    def flag(self, name: str, default: bool | None = None) -> bool:
        """true or false."""
        raw = self._get(name, default)
        if not isinstance(raw, bool):
            raise self.fail(name, f"must be true or false, got {_short(raw)}")
        return raw

    def text(self, name: str, default: str | None = None,
             choices: tuple[str, ...] | None = None) -> str:
        """A string (one of `choices` when given)."""
        raw = self._get(name, default)
        if not isinstance(raw, str):
            raise self.fail(name, f"must be a string, got {_short(raw)}")
        if choices is not None and raw not in choices:
            raise self.fail(name, f"must be one of {', '.join(choices)}, got {raw!r}")
        return raw

    def points(self, name: str, default: list[list[float]] | None = None, *,
               count: int | None = None, at_least: int = 0, low: float = -math.inf,
               high: float = math.inf) -> list[tuple[float, float]]:
        """A list of [x, y] pairs (exactly `count`, or at least `at_least`), each coordinate
        finite and in [low, high]."""
        raw = self._get(name, default)
        if not isinstance(raw, list):
            raise self.fail(name, f"must be a list of [x, y] points, got {_short(raw)}")
        if count is not None and len(raw) != count:
            raise self.fail(name, f"must have {count} points, got {len(raw)}")
        if len(raw) < at_least:
            raise self.fail(name, f"must have at least {at_least} points, got {len(raw)}")
        out: list[tuple[float, float]] = []
        for i, point in enumerate(raw):
            if (not isinstance(point, list) or len(point) != 2
                    or not all(_finite(v) for v in point)):
                raise self.fail(name, f"point {i + 1} must be [x, y] numbers, got "
                                f"{_short(point)}")
            x, y = float(point[0]), float(point[1])
            if not (low <= x <= high and low <= y <= high):
                raise self.fail(name, f"point {i + 1} {[x, y]} is outside [{low}, {high}]")
            out.append((x, y))
        return out

    def _get(self, name: str, default: T | None) -> Any:
        if name in self.table:
            return self.table[name]
        if default is None:
            raise self.fail(name, "missing")
        return default


def _finite(value: object) -> bool:
    return (isinstance(value, int | float) and not isinstance(value, bool)
            and math.isfinite(value))


def _short(raw: object) -> str:
    text = repr(raw)
    return text if len(text) <= 60 else text[:57] + "..."
