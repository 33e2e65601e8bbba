"""The cue lines of the operator's overlay: the cue on stage, the standby cue with the GO
key (what GO fires next), and the running waits' countdowns, each with its kind.

Owns the text only (the overlay colours and draws it, operator/preview.py), made from one
`SequencerStatus` snapshot; `go_key` finds the key the keymap binds to GO.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum

from performance.operator.keys import KeyAction
from performance.show.status import SequencerPhase, SequencerStatus


class LineKind(Enum):
    """What a cue line says (the overlay colours countdowns differently)."""

    CUE = "cue"  # the cue on stage, the standby cue and the GO key
    COUNTDOWN = "countdown"  # the running waits, or what the show waits for


CueLine = tuple[str, LineKind]

IDLE: dict[SequencerPhase, str] = {
    SequencerPhase.STANDBY: "waiting for GO",
    SequencerPhase.READY: "waiting for GO",
    SequencerPhase.ENDED: "the last cue has fired",
    SequencerPhase.PANIC: "panic: faded out",
    SequencerPhase.BLACKOUT: "blackout",
    SequencerPhase.PAUSED: "paused",
}
"""What the countdown line says when no wait runs, by phase."""


def go_key(keymap: Mapping[str, KeyAction]) -> str | None:
    """The first key `keymap` binds to GO (None: GO has no key, e.g. a kiosk's)."""
    return next((key for key, action in keymap.items() if action is KeyAction.GO), None)


def _cue(cue_id: str | None, name: str) -> str:
    return f"{cue_id} {name}".rstrip() if cue_id is not None else ""


def countdowns(status: SequencerStatus) -> list[str]:
    """Each running wait as "<kind> <seconds left>s", in the order they end the show's
    waiting: pre-wait, transition, post-wait, follow, then the armed condition."""
    out = [f"{kind} {left:.1f}s" for kind, left in (
        ("pre-wait", status.pre_wait_left), ("transition", status.transition_left),
        ("post-wait", status.post_wait_left), ("follow", status.follow_left))
        if left is not None]
    if status.condition:
        condition = f'condition "{status.condition}"'
        if status.condition_held:
            out.append(f"{condition} held")
        elif status.condition_left is not None:
            out.append(f"{condition} {status.condition_left:.1f}s left")
        elif status.condition_value is not None and status.condition_threshold is not None:
            out.append(f"{condition} waiting (room {status.condition_value:.2f}, needs "
                       f"{status.condition_threshold:.2f})")
        else:
            out.append(f"{condition} waiting")
    return out


def cue_lines(status: SequencerStatus, go: str | None) -> list[CueLine]:
    """The overlay's cue lines for `status`, with `go` the GO key's name (None: no key)."""
    current = _cue(status.cue_id, status.cue_name)
    standby = _cue(status.next_cue_id, status.next_cue_name) or "end of the cue list"
    key = f"GO [{go}]" if go is not None else "GO: no key"
    waits = countdowns(status)
    if waits and status.paused:
        waits.append("paused")
    wait_line = " | ".join(waits) if waits else IDLE.get(status.phase, status.phase.value)
    return [
        (f"cue {current or '-'}", LineKind.CUE),
        (f"standby {standby} | {key}", LineKind.CUE),
        (wait_line, LineKind.COUNTDOWN),
    ]
