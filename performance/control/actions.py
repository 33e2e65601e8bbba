"""What an OSC message means to the rig once its address is resolved: the action types.

Owns the values `addresses.resolve()` returns and the hub acts on: a `Transport` command for
the bounded queue, a `ParamSet` coalesced newest-wins, a `SessionOp` the hub answers itself,
`Ignored`, wrapped in a `Resolved` with the rules that apply; and `AddressError`, whose `kind`
names why a message is refused (the drop counters).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from performance.core.inputs import InputValue
from performance.show.commands import Command


class ParamRange(NamedTuple):
    """What `/essence/param/{name}` may set: `width` numbers (the input's components), each
    from `low` to `high` (a plain `(low, high)` pair reads as one number)."""

    low: float
    high: float
    width: int = 1


ParamRanges = Mapping[str, ParamRange | tuple[float, float]]
"""Declared inputs of the visual showing, by name (None where a mapping is expected: any
finite value by any name, which the show then checks)."""


class AddressError(ValueError):
    """A message the rig refuses; `kind` names the problem for the drop counters."""

    def __init__(self, kind: str, detail: str) -> None:
        self.kind = kind
        super().__init__(f"{kind}: {detail}")


@dataclass(frozen=True)
class Transport:
    """A command for the bounded queue (never coalesced, never reordered)."""

    command: Command


@dataclass(frozen=True)
class ParamSet:
    """A parameter value; only the newest per name reaches the show."""

    name: str
    value: InputValue


class SessionOpKind(StrEnum):
    """What a `SessionOp` asks the hub."""

    THUMP = "thump"  # heartbeat: reply ok
    WORKSPACES = "workspaces"  # list the one workspace (QLab discovery)
    CONNECT = "connect"  # authenticate the sender with the passcode in `value`
    DISCONNECT = "disconnect"  # forget the sender's session
    UPDATES = "updates"  # subscribe (`value` True) or unsubscribe the sender to feedback
    STATE = "state"  # reply with the status as JSON
    HEALTH = "health"  # reply with the health report as JSON (a kiosk's; see kiosk/health.py)
    SHOWMODE = "showmode"  # lock (`value` True) or unlock the editing addresses
    QUERY = "query"  # a QLab query answered from the status (`value`: what, see qlab.py)
    UNSUPPORTED = "unsupported"  # a QLab address with no meaning here (`value`: why)
    REPLY_PORT = "reply_port"  # QLab's `/udpReplyPort <port>`: this sender's UDP replies
    # and feedback go to `value` on its host from now on


@dataclass(frozen=True)
class SessionOp:
    """Answered by the hub itself (see `SessionOpKind`)."""

    op: SessionOpKind
    value: bool | int | str | None = None


@dataclass(frozen=True)
class Ignored:
    """Valid but deliberately does nothing (e.g. a TouchOSC button's release, value 0)."""

    reason: str


Action = Transport | ParamSet | SessionOp | Ignored


@dataclass(frozen=True)
class Resolved:
    """What a message means, with the rules that apply to it."""

    action: Action
    route: str  # the table entry, e.g. "/cue/{id}/start"
    editing: bool  # refused in show mode (see `is_editing`)
    needs_auth: bool  # refused before `/connect <passcode>` when a passcode is set
