"""The settings that have their own parsers, read once before any command runs.

config.py checks each setting's type, choices and range; the texts with a grammar of their
own (`tiles`, `osc_allow`, `opening_hours`, `perception_cpu`) are parsed by the modules that
use them, which sit above config in the layers. This module runs those parsers on the loaded
settings at start, so a bad value is one error naming where it was set (the config file, the
environment or the command-line option) instead of a failure later, in a child process or
half-way through a show.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from performance.config import DEFAULTS, Settings
from performance.core.errors import ConfigError


def _tiles(text: str) -> object:
    from performance.perception.tiling import TilingSettings

    return TilingSettings.parse(text)


def _allow(text: str) -> object:
    from performance.control.access import parse_allow

    return parse_allow(text)


def _hours(text: str) -> object:
    from performance.kiosk.hours import parse_hours

    return parse_hours(text)


def _cpu(text: str) -> object:
    from performance.perception.process import cpu_set

    return cpu_set(text)


PARSERS: dict[str, Callable[[str], object]] = {
    "tiles": _tiles,
    "osc_allow": _allow,
    "opening_hours": _hours,
    "perception_cpu": _cpu,
}
"""Setting -> the parser its user runs (each raises ConfigError naming the setting)."""


def check_settings(settings: Settings, sources: Mapping[str, str]) -> None:
    """Parse each setting of `PARSERS` that was set (a default is known to parse); raise
    ConfigError prefixed with where the bad value came from (`sources`, load_settings')."""
    for key, parse in PARSERS.items():
        value = getattr(settings, key)
        if key not in sources or value == getattr(DEFAULTS, key):
            continue
        try:
            parse(value)
        except ConfigError as exc:
            raise ConfigError(f"{sources[key]}: {exc}") from None
