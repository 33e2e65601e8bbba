"""The one check of a recording's header (its first line): `validate_header`, used by
`read_recording` and so by everything that reads a recording (`render --replay`,
`rehearse --replay`, `essence report`, Python code).

A bad header is one `InputError` naming the file, line 1 and the key
(`take.jsonl: line 1: settings.reader must be one of fused, blendshapes, network, got
'magic'`). A file that is no recording at all (empty, not JSON, not text, no `format` key)
raises `NotARecording`, an InputError the report tells apart from a bad recording.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from performance.config import DEFAULTS, STAGE_SIDE_LIMITS, apply_settings
from performance.core.errors import ConfigError, InputError
from performance.recording.records import FORMAT, VERSION, Header

KEYS = ("started", "source", "cues", "settings", "stage", "fps")
"""The header's keys besides `format` and `version` (docs/recording.md)."""


class NotARecording(InputError):
    """The file is no essence recording at all (empty, not text, not JSON, another format);
    a recording with a bad header raises a plain InputError instead."""


def _fail(path: Path, key: str, why: str) -> InputError:
    return InputError(path, f"line 1: {key} {why}")


def _text(obj: dict[str, Any], key: str, path: Path) -> str:
    value = obj[key]
    if not isinstance(value, str):
        raise _fail(path, key, f"must be a string, got {value!r}")
    return value


def _stage(value: Any, path: Path) -> tuple[int, int]:
    low, high = STAGE_SIDE_LIMITS
    if (not isinstance(value, list) or len(value) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)):
        raise _fail(path, "stage", f"must be [width, height] in pixels, got {value!r}")
    width, height = value
    if not (low <= width <= high and low <= height <= high):
        raise _fail(path, "stage", f"{width}x{height} is outside {low}..{high} pixels per side")
    return width, height


def _fps(value: Any, path: Path) -> float:
    if (isinstance(value, bool) or not isinstance(value, int | float)
            or not math.isfinite(value) or value <= 0):
        raise _fail(path, "fps", f"must be a frame rate above 0, got {value!r}")
    return float(value)


def _settings(value: Any, cues: str, path: Path) -> dict[str, Any]:
    """The recorded settings, each known one checked by the settings file's own rules;
    unknown keys (a newer rig's) are kept and ignored by a replay."""
    if not isinstance(value, dict):
        raise _fail(path, "settings", f"must be an object of settings, got {value!r}")
    known = {k: v for k, v in value.items() if hasattr(DEFAULTS, k)}
    try:
        apply_settings(DEFAULTS, known, f"{path}: line 1",
                       names={k: f"settings.{k}" for k in known})
    except ConfigError as exc:
        raise InputError(path, str(exc).removeprefix(f"{path}: ")) from None
    visual = value.get("visual")
    if visual is not None and not isinstance(visual, str):
        raise _fail(path, "settings.visual", f"must be a visual's name or null, got {visual!r}")
    if visual and cues:
        raise _fail(path, "settings.visual", f"{visual!r} and cues {cues!r} exclude each other "
                                             "(a show file picks the visuals)")
    return dict(value)


def validate_header(obj: Any, path: Path) -> Header:
    """The Header of a recording's parsed first line `obj`; InputError naming `path`, line 1
    and the key when a value is wrong, NotARecording when it is no recording at all."""
    if not isinstance(obj, dict) or obj.get("format") != FORMAT:
        raise NotARecording(path, f"line 1: not an essence recording (no \"format\": "
                                  f"\"{FORMAT}\")")
    version = obj.get("version")
    if version != VERSION or isinstance(version, bool):
        raise InputError(path, f"line 1: recording version {version!r}; this rig reads "
                               f"version {VERSION}")
    missing = [k for k in KEYS if k not in obj]
    if missing:
        raise InputError(path, f"line 1: bad header (missing key {missing[0]!r})")
    cues = _text(obj, "cues", path)
    return Header(started=_text(obj, "started", path), source=_text(obj, "source", path),
                  cues=cues, settings=_settings(obj["settings"], cues, path),
                  stage=_stage(obj["stage"], path), fps=_fps(obj["fps"], path))
