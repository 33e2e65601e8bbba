"""Validators for the fields of a show file; each raises `Problem(reason, *key_path)`.

The key path lets the loader find the offending line (see `lines.LineIndex.key`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Mapping
from typing import Any

from performance.core.inputs import InputType, InputValue, ShaderInput, components
from performance.show.cuefile.model import (
    METRIC_RANGES,
    METRICS,
    NEXT_ACTIONS,
    Catalog,
    Condition,
    InputMapping,
    NextAction,
    OscMessage,
    Transition,
    parse_target,
)
from performance.show.easing import get_easing
from performance.show.frame import SoundSetting

_ID = re.compile(r"^\d+(\.\d+)*$")
_PALETTE = re.compile(r"^[A-Za-z][A-Za-z0-9_\-]*$")
_OSC_ADDRESS = re.compile(r"^/[!-~]*$")


class Problem(Exception):
    """One invalid field: the reason and the key path to it (e.g. "inputs", "speed")."""

    def __init__(self, reason: str, *key: str | int) -> None:
        super().__init__(reason)
        self.reason, self.key = reason, key


def items_of(table: Mapping[str, Any] | None) -> list[tuple[str, Any]]:
    """The items of an optional table."""
    return list(table.items()) if table else []


def as_table(raw: object, key: str) -> dict[str, Any]:
    """A TOML table."""
    if not isinstance(raw, dict):
        raise Problem(f"{key} must be a table, got {raw!r}", key)
    return raw


def known_keys(table: Mapping[str, Any], known: tuple[str, ...], what: str) -> None:
    """Refuse keys outside `known` (catches typos)."""
    for key in table:
        if key not in known:
            raise Problem(f"unknown key {key!r} in {what} (known: {', '.join(known)})", key)


def as_string(raw: object, key: str) -> str:
    """A string value."""
    if not isinstance(raw, str):
        raise Problem(f"{key} must be a string, got {raw!r}", key)
    return raw


def _number(raw: object, key: str, *path: str | int) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
        raise Problem(f"{key} must be a number, got {raw!r}", *(path or (key,)))
    return float(raw)


MAX_SECONDS = 86400.0
"""The longest wait, transition or hold a show file may give: one day (longer is a typo)."""


def as_seconds(raw: object, key: str, *path: str | int) -> float:
    """A number of seconds from 0 to `MAX_SECONDS`."""
    value = _number(raw, key, *path)
    if value < 0:
        raise Problem(f"{key} must not be negative, got {raw!r}", *(path or (key,)))
    if value > MAX_SECONDS:
        raise Problem(f"{key} must be at most {MAX_SECONDS:g} s (one day), got {raw!r}",
                      *(path or (key,)))
    return value


def parse_cue_id(raw: object) -> str:
    """A cue id: number-like text such as "3" or "3.5"."""
    if isinstance(raw, int) and not isinstance(raw, bool) and raw >= 0:
        return str(raw)
    if raw is None:
        raise Problem("cue has no id (add id = \"1\")")
    if isinstance(raw, str) and _ID.match(raw):
        return raw
    hint = " (write decimal ids as strings, e.g. id = \"3.5\")" if isinstance(raw, float) else ""
    raise Problem(f"bad cue id {raw!r}: use numbers like \"3\" or \"3.5\"{hint}", "id")


def check_act(raw: object, acts: set[int]) -> int:
    """The act number a cue names (must be a declared act)."""
    if raw is None:
        raise Problem("cue names no act (add act = 1)")
    if not isinstance(raw, int) or isinstance(raw, bool) or raw not in acts:
        known = ", ".join(str(a) for a in sorted(acts)) or "none: add [[act]] tables"
        raise Problem(f"unknown act {raw!r} (known: {known})", "act")
    return raw


def check_visual(raw: object, catalog: Catalog) -> str:
    """A visual name known to the catalog."""
    if raw is None:
        raise Problem("cue names no visual (add visual = \"...\")")
    if not isinstance(raw, str) or raw not in catalog:
        raise Problem(f"unknown visual {raw!r} (known: {', '.join(sorted(catalog))})", "visual")
    return raw


def check_input(visual: str, specs: Mapping[str, ShaderInput], key: str,
                raw: object) -> InputValue:
    """A value for a declared input, checked against its type and MIN..MAX."""
    spec = specs.get(key)
    if spec is None:
        declared = ", ".join(specs) or "none"
        raise Problem(f"unknown input {key!r} for visual {visual!r} (declared: {declared})",
                       "inputs", key)
    width = spec.width
    if spec.type is InputType.BOOL:
        if not isinstance(raw, bool):
            raise Problem(f"input {key!r} is a bool: write true or false, got {raw!r}",
                           "inputs", key)
        return 1.0 if raw else 0.0
    values = raw if isinstance(raw, list) else [raw]
    numbers = [float(v) for v in values if not isinstance(v, bool)
               and isinstance(v, int | float) and math.isfinite(v)]
    if len(values) != width or len(numbers) != len(values):
        raise Problem(f"input {key!r} ({spec.type}) takes {width} number(s), got {raw!r}",
                       "inputs", key)
    if spec.type.whole and not numbers[0].is_integer():
        raise Problem(f"input {key!r} is an int, got {raw!r}", "inputs", key)
    lo, hi = components(spec.minimum, width), components(spec.maximum, width)
    for n, v in enumerate(numbers):
        if (lo is not None and v < lo[n]) or (hi is not None and v > hi[n]):
            raise Problem(f"input {key!r} = {raw!r} is outside its range "
                           f"{_fmt(spec.minimum)}..{_fmt(spec.maximum)}", "inputs", key)
    return spec.coerce(numbers if width > 1 else numbers[0])


def _fmt(v: InputValue | None) -> str:
    """A bound as the operator reads it: `0.5`, `(0, 1)`, or `-` when there is none."""
    if v is None:
        return "-"
    return f"{v:g}" if isinstance(v, float | int) else "(" + ", ".join(f"{x:g}" for x in v) + ")"


def parse_transition(raw: object) -> Transition:
    """A transition: duration and easing."""
    table = as_table(raw, "transition")
    known_keys(table, ("duration", "easing"), "transition")
    duration = as_seconds(table.get("duration", Transition.duration), "transition duration",
                        "transition", "duration")
    easing = table.get("easing", Transition.easing)
    try:
        get_easing(easing)
    except ValueError as exc:
        raise Problem(str(exc), "transition", "easing") from None
    return Transition(duration, easing)


def parse_next(raw: object) -> NextAction:
    """The next action: none, auto_continue or auto_follow."""
    if raw not in NEXT_ACTIONS:
        raise Problem(f"unknown next action {raw!r} (known: {', '.join(NEXT_ACTIONS)})", "next")
    return NextAction(raw)


def parse_osc(raw: object, default_target: str | None) -> tuple[OscMessage, ...]:
    """OSC messages a cue sends: address, args, target."""
    items = raw if isinstance(raw, list) else [raw]
    out = []
    for n, item in enumerate(items):
        if not isinstance(item, dict):
            raise Problem(f"osc[{n}] must be a table with address, args, target", "osc", n)
        known_keys(item, ("address", "args", "target"), "an osc message")
        address = item.get("address")
        if not isinstance(address, str) or not _OSC_ADDRESS.match(address):
            raise Problem(f"OSC address must start with '/' and have no spaces, got "
                           f"{address!r}", "osc", n, "address")
        args = item.get("args", [])
        args = args if isinstance(args, list) else [args]
        for a in args:
            if isinstance(a, bool) or not isinstance(a, int | float | str):
                raise Problem(f"OSC args must be numbers or strings, got {a!r}",
                               "osc", n, "args")
        target = item.get("target")
        if target is None and default_target is None:
            raise Problem(f"OSC message {address} has no target and [show] has no osc_target",
                           "osc", n, "address")
        if target is not None:
            try:
                parse_target(target)
            except ValueError as exc:
                raise Problem(str(exc), "osc", n, "target") from None
        out.append(OscMessage(address, tuple(args), target))
    return tuple(out)


def parse_sound(raw: object, palettes: Collection[str] | None = None) -> SoundSetting:
    """A sound setting: enabled, level 0..1, palette name (one of `palettes` when given)."""
    table = as_table(raw, "sound")
    known_keys(table, ("enabled", "level", "palette"), "sound")
    enabled = table.get("enabled", True)
    if not isinstance(enabled, bool):
        raise Problem(f"sound enabled must be true or false, got {enabled!r}",
                       "sound", "enabled")
    level = _number(table.get("level", SoundSetting.level), "sound level", "sound", "level")
    if not 0.0 <= level <= 1.0:
        raise Problem(f"sound level {level:g} is outside 0..1", "sound", "level")
    palette = table.get("palette", SoundSetting.palette)
    if not isinstance(palette, str) or not _PALETTE.match(palette):
        raise Problem(f"sound palette must be a name, got {palette!r}", "sound", "palette")
    if palettes is not None and palette not in palettes:
        raise Problem(f"unknown sound palette {palette!r} (known: {', '.join(palettes)})",
                      "sound", "palette")
    return SoundSetting(enabled, level, palette)


def _metric(raw: object, *path: str | int) -> str:
    if raw not in METRICS:
        raise Problem(f"unknown metric {raw!r} (known: {', '.join(METRICS)})", *path)
    return str(raw)


def parse_mapping(key: str, raw: object) -> InputMapping:
    """One act mapping: `input = "metric"` or a {source, scale, offset} table."""
    if isinstance(raw, str):
        return InputMapping(key, _metric(raw, "map", key))
    table = as_table(raw, f"map.{key}")
    known_keys(table, ("source", "scale", "offset"), f"mapping {key!r}")
    source = _metric(table.get("source"), "map", key)
    scale = _number(table.get("scale", 1.0), "scale", "map", key)
    offset = _number(table.get("offset", 0.0), "offset", "map", key)
    return InputMapping(key, source, scale, offset)


def parse_condition(raw: object) -> Condition:
    """A `when` audience condition."""
    table = as_table(raw, "when")
    known_keys(table, ("metric", "above", "below", "for_s", "min_faces"), "a condition")
    metric = table.get("metric")
    if metric not in METRICS:
        raise Problem(f"unknown condition metric {metric!r} (known: {', '.join(METRICS)})",
                       "when", "metric")
    above = _number(table["above"], "above", "when", "above") if "above" in table else None
    below = _number(table["below"], "below", "when", "below") if "below" in table else None
    if above is None and below is None:
        raise Problem("a condition needs above = ... or below = ...", "when")
    _reachable(str(metric), above, below)
    for_s = as_seconds(table.get("for_s", 0.0), "for_s", "when", "for_s")
    faces = _number(table.get("min_faces", 0), "min_faces", "when", "min_faces")
    if not 0 <= faces <= _MOST_FACES:  # the smoothed count: 1.5 means "two, held a while"
        raise Problem(f"min_faces must be from 0 to {_MOST_FACES:g} faces, got {faces:g}",
                      "when", "min_faces")
    return Condition(str(metric), above, below, for_s, faces)


_MOST_FACES = METRIC_RANGES["face_count"][1]


def _reachable(metric: str, above: float | None, below: float | None) -> None:
    """Refuse a condition the room can never meet: a threshold outside the metric's range
    (chaos runs 0..1: `above = 5` never holds), or `above` not under `below`."""
    low, high = METRIC_RANGES[metric]
    if above is not None and above >= high:
        raise Problem(f"{metric} above {above:g} can never be met ({metric} runs from "
                      f"{low:g} to {high:g})", "when", "above")
    if below is not None and below <= low:
        raise Problem(f"{metric} below {below:g} can never be met ({metric} runs from "
                      f"{low:g} to {high:g})", "when", "below")
    if above is not None and below is not None and above >= below:
        raise Problem(f"{metric} above {above:g} and below {below:g} can never both be met",
                      "when", "below")
