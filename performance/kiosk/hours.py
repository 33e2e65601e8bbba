"""Opening hours: when the gallery is open, the show plays; outside them the kiosk holds a
blackout with the sound off.

The setting reads like a door sign: `"10:00-18:00"` (every day), `"mon-fri 10:00-18:00;
sat,sun 11:00-16:00"`, several spans a day (`"tue 10:00-13:00, 14:00-18:00"`), and spans
past midnight (`"fri 20:00-02:00"`: open until 2 on Saturday morning). Empty: always open.
Wall-clock time is handed in (a datetime), never read here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from performance.core.errors import ConfigError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SPAN = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")


@dataclass(frozen=True)
class Span:
    """Open on `day` (0 = Monday) from `start` to `end` minutes after midnight (`end` may
    pass midnight: up to 48 h)."""

    day: int
    start: int
    end: int


@dataclass(frozen=True)
class OpeningHours:
    """The parsed setting; `always` when it was empty."""

    spans: tuple[Span, ...] = ()
    always: bool = True

    def is_open(self, when: datetime) -> bool:
        """Whether the show plays at wall-clock time `when`."""
        if self.always:
            return True
        minute = when.hour * 60 + when.minute
        today, yesterday = when.weekday(), (when.weekday() - 1) % 7
        for span in self.spans:
            if span.day == today and span.start <= minute < span.end:
                return True
            if span.day == yesterday and span.end > 1440 and minute < span.end - 1440:
                return True
        return False

    def next_change(self, when: datetime, *, horizon_days: int = 8) -> datetime | None:
        """The next minute at which `is_open` changes (for the health report); None if it
        never does within the horizon."""
        state = self.is_open(when)
        probe = when.replace(second=0, microsecond=0)
        for _ in range(horizon_days * 1440):
            probe += timedelta(minutes=1)
            if self.is_open(probe) != state:
                return probe
        return None


def parse_hours(text: str, *, where: str = "opening_hours") -> OpeningHours:
    """Parse the setting (see the module docstring); ConfigError naming `where` otherwise."""
    text = text.strip()
    if not text:
        return OpeningHours()
    spans: list[Span] = []
    for group in text.split(";"):
        group = group.strip()
        if not group:
            continue
        days, _, times = group.partition(" ") if group[0].isalpha() else ("", "", group)
        day_set = _days(days, where) if days else tuple(range(7))
        for part in times.split(","):
            start, end = _times(part.strip(), where)
            spans.extend(Span(day, start, end) for day in day_set)
    if not spans:
        raise ConfigError(f"{where}: no opening hours in {text!r}")
    return OpeningHours(tuple(spans), always=False)


def _days(text: str, where: str) -> tuple[int, ...]:
    out: list[int] = []
    for item in text.lower().split(","):
        first, _, last = item.strip().partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise ConfigError(f"{where}: unknown day in {text!r} (use {', '.join(DAYS)})")
        a, b = DAYS.index(first), DAYS.index(last or first)
        out.extend(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
    return tuple(dict.fromkeys(out))


def _times(text: str, where: str) -> tuple[int, int]:
    match = _SPAN.match(text)
    if match is None:
        raise ConfigError(f"{where}: {text!r} is not a time span like 10:00-18:00")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
        raise ConfigError(f"{where}: {text!r} is not a time of day")
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if end == start:
        raise ConfigError(f"{where}: {text!r} is empty")
    return start, end if end > start else end + 1440
