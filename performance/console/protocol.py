"""What the console's WebSocket carries: the state a page is shown and the commands it sends.

Owns `state_message` (a `RigStatus` -> the JSON-ready dict a page draws: the cue list by
act with the playhead and running cue, the waits and their countdowns, the armed condition
with how close the room is, the room, the health, the inputs with their live values),
`cues_message` (the cue list, sent only when it changed), `parse_command` /
`command_message` (a page's command -> the OSC address and arguments the hub takes, strict:
anything else, however malformed, is a `ValueError` naming it), `reply_message` (a hub
reply packet -> what the page shows), and the request checks (`same_origin`, `host_ok`,
`without_status`). Pure: no sockets, no aiohttp; docs/console.md lists the formats.
"""

from __future__ import annotations

import ipaddress
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import fields
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from pythonosc.osc_message import OscMessage, ParseError

from performance.control.addresses import CUE_ID, MAX_ABS_PARAM, PARAM_NAME
from performance.control.feedback import RigStatus
from performance.control.outline import CueRow, InputRow
from performance.control.wire import ArgValue
from performance.core.inputs import InputValue
from performance.core.types import EMOTIONS, CrowdReading

PROTOCOL_VERSION = 1
MAX_CODE = 64  # characters of a passcode a page may send


class MessageType(StrEnum):
    """The `type` of a message the server sends a page."""

    HELLO = "hello"  # once, first: what this console offers the page
    CUES = "cues"  # the cue list by act (on connect, then only when it changed)
    STATE = "state"  # the show now without the cue list (whole, only when it changed)
    HISTORY = "history"  # the room's last minutes (whole on connect, then appended)
    PICTURE = "picture"  # a JPEG of one PictureKind (base64)
    REPLY = "reply"  # what became of the page's last command


class Op(StrEnum):
    """The commands a page may send (`{"op": ...}`)."""

    GO = "go"
    BACK = "back"
    STOP = "stop"
    PAUSE = "pause"
    RESUME = "resume"
    PANIC = "panic"
    BLACKOUT = "blackout"
    HOLD = "hold"
    SHOWMODE = "showmode"
    GOTO = "goto"
    PARAM = "param"
    CONNECT = "connect"


# the ops without arguments and the address each sends (the same as OSC's, docs/osc.md)
_TRIGGERS: dict[Op, str] = {
    Op.GO: "/essence/go", Op.BACK: "/essence/back", Op.STOP: "/stop", Op.PAUSE: "/pause",
    Op.RESUME: "/resume", Op.PANIC: "/panic",
}
_SWITCHES: dict[Op, str] = {Op.HOLD: "/essence/hold", Op.SHOWMODE: "/essence/showmode"}
_RANGES: dict[str, tuple[float, float]] = {
    f.name: f.metadata["range"] for f in fields(CrowdReading) if "range" in f.metadata}


def finite(value: float | None, digits: int = 3) -> float | None:
    """`value` rounded to `digits`, or None when it is None, NaN or infinite (JSON has no
    NaN: a page's JSON.parse would fail on the whole message)."""
    return round(value, digits) if value is not None and math.isfinite(value) else None


_finite = finite


def _value(value: InputValue | None) -> float | list[float | None] | None:
    if value is None:
        return None
    if isinstance(value, tuple):
        return [finite(float(v), 6) for v in value]
    return finite(float(value), 6)


def _cue(row: CueRow, status: RigStatus) -> dict[str, object]:
    return {"id": row.id, "name": row.name, "visual": row.visual, "pre_wait": row.pre_wait,
            "transition": row.transition, "post_wait": row.post_wait, "next": row.next,
            "condition": row.condition, "playhead": row.id == status.next_cue_id,
            "running": row.id == status.cue_id}


def cue_acts(status: RigStatus) -> list[dict[str, object]]:
    """The cue list grouped by act, in the show's order (an act may come back later)."""
    out: list[dict[str, Any]] = []
    for row in status.outline:
        if not out or out[-1]["number"] != row.act:
            out.append({"number": row.act, "name": row.act_name, "cues": []})
        out[-1]["cues"].append(_cue(row, status))
    return out


def closeness(metric: str, above: bool, value: float | None,
              threshold: float | None) -> float | None:
    """How close the room is to meeting a condition on `metric` (rise `above` the
    threshold, else fall below it), 0..1 (1: met); the scale is the distance from the
    metric's lowest value to the threshold. None when either is not known."""
    if value is None or threshold is None or not metric:
        return None
    low = _RANGES.get(metric, (0.0, 1.0))[0]
    span = threshold - low if threshold - low > 1e-9 else 1.0
    share = (value - low) / span if above else 1.0 - (value - threshold) / span
    return max(0.0, min(1.0, share))


def _condition(status: RigStatus) -> dict[str, object] | None:
    if not status.condition:
        return None
    value, threshold = _finite(status.condition_value), _finite(status.condition_threshold)
    return {"text": status.condition, "value": value, "threshold": threshold,
            "left": _finite(status.condition_left), "held": status.condition_held,
            "met": status.condition_left is not None,
            "closeness": closeness(status.condition_metric, status.condition_above, value,
                                   threshold)}


def _room(room: CrowdReading, faces: int) -> dict[str, object]:
    shares = list(room.emotions) + [0.0] * max(0, len(EMOTIONS) - len(room.emotions))
    return {"faces": faces, "valence": _finite(room.valence),
            "arousal": _finite(room.arousal), "chaos": _finite(room.chaos),
            "presence": _finite(room.presence),
            "emotions": [{"name": name, "share": _finite(float(share))}
                         for name, share in zip(EMOTIONS, shares, strict=False)]}


def _input(row: InputRow, values: Mapping[str, InputValue]) -> dict[str, object]:
    return {"name": row.name, "type": row.type, "label": row.label,
            "default": _value(row.default), "min": _value(row.minimum),
            "max": _value(row.maximum), "value": _value(values.get(row.name, row.default))}


def cues_key(status: RigStatus | None) -> tuple[object, ...]:
    """What the cue list message depends on: it is sent again only when this changes."""
    base = status if status is not None else RigStatus()
    return (base.outline, base.cue_id, base.next_cue_id)


def cues_message(status: RigStatus | None) -> dict[str, object]:
    """The cue list message: `acts` as `cue_acts` gives them (None: an empty show)."""
    return {"type": MessageType.CUES.value,
            "acts": cue_acts(status if status is not None else RigStatus())}


def state_message(status: RigStatus | None, *,
                  show_mode: bool | None = None) -> dict[str, object]:
    """What a page is shown of `status` (None: no status yet, an empty show), without the
    cue list (`cues_message`); `show_mode`, when given, is the hub's own flag (it changes
    before the show publishes it)."""
    status = status if status is not None else RigStatus()
    room = status.room
    return {
        "type": MessageType.STATE.value,
        "title": status.title,
        "phase": status.state,
        "act": status.act, "act_name": status.act_name,
        "running": {"id": status.cue_id, "name": status.cue_name},
        "standby": {"id": status.next_cue_id, "name": status.next_cue_name},
        "waits": {"pre_wait": _finite(status.pre_wait_left),
                  "transition": _finite(status.transition_left),
                  "post_wait": _finite(status.post_wait_left),
                  "follow": _finite(status.follow_left),
                  "countdown": _finite(status.countdown)},
        "condition": _condition(status),
        "room": _room(room, status.faces),
        "health": {"health": status.health, "fps": _finite(status.fps, 1),
                   "perception_fps": _finite(status.perception_fps, 1),
                   "latency_ms": _finite(status.latency_ms, 1) if status.latency_ms >= 0
                   else None,
                   "presented_ms": _finite(status.presented_ms, 1) if status.presented_ms >= 0
                   else None,
                   "sound": status.sound, "input": status.input_health},
        "show_mode": status.show_mode if show_mode is None else show_mode,
        "blackout": status.blackout, "paused": status.paused,
        "recording": status.recording, "chaos_mode": status.chaos_mode,
        "last_refusal": status.last_refusal,
        "inputs": [_input(row, dict(status.inputs)) for row in status.input_rows],
    }


def _switch(op: Op, data: Mapping[str, object]) -> int:
    on = data.get("on")
    if isinstance(on, bool):
        return int(on)
    if isinstance(on, int) and on in (0, 1):
        return on
    raise ValueError(f"{op}: 'on' must be 0 or 1, got {on!r}")


def _number(op: Op, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{op}: {value!r} is not a number")
    try:
        number = float(value)
    except OverflowError:  # an integer of hundreds of digits
        raise ValueError(f"{op}: {str(value)[:40]}... is out of range") from None
    if not math.isfinite(number) or abs(number) > MAX_ABS_PARAM:
        raise ValueError(f"{op}: {value!r} is out of range")
    return number


def command_message(data: object) -> tuple[str, list[ArgValue]]:
    """A page's command (`{"op": ..., ...}`) -> (OSC address, arguments); ValueError naming
    what is wrong (an unknown op, a missing or bad argument)."""
    if not isinstance(data, Mapping):
        raise ValueError("a command must be a JSON object with an 'op'")
    raw = data.get("op")
    try:
        op = Op(str(raw))
    except ValueError:
        raise ValueError(f"unknown op {str(raw)[:40]!r}") from None
    if op in _TRIGGERS:
        return _TRIGGERS[op], []
    if op in _SWITCHES:
        return _SWITCHES[op], [_switch(op, data)]
    if op is Op.BLACKOUT:
        return "/essence/blackout", [] if data.get("on") is None else [_switch(op, data)]
    if op is Op.GOTO:
        cue = data.get("cue")
        try:
            text = format(cue, "g") if isinstance(cue, int | float) and not isinstance(
                cue, bool) else cue
        except OverflowError:  # an integer of hundreds of digits
            text = None
        if not isinstance(text, str) or not CUE_ID.fullmatch(text):
            raise ValueError(f"goto: {str(cue)[:40]!r} is not a cue id")
        return "/essence/goto", [text]
    if op is Op.PARAM:
        name = data.get("name")
        if not isinstance(name, str) or not PARAM_NAME.fullmatch(name):
            raise ValueError(f"param: {str(name)[:40]!r} is not an input name")
        value = data.get("value")
        values = value if isinstance(value, list) else [value]
        if not 1 <= len(values) <= 4:
            raise ValueError(f"param {name}: expects 1 to 4 numbers")
        return f"/essence/param/{name}", [_number(op, v) for v in values]
    code = data.get("code", "")
    if not isinstance(code, str) or len(code) > MAX_CODE:
        raise ValueError(f"connect: the passcode must be text of at most {MAX_CODE} characters")
    return "/connect", [code] if code else []


def parse_command(text: str) -> tuple[str, list[ArgValue]]:
    """A page's message text -> (OSC address, arguments); any failure, from bad JSON to
    nesting too deep for the parser, is a one-line `ValueError` (never another error)."""
    try:
        return command_message(json.loads(text))
    except ValueError as exc:  # json's errors are ValueErrors too
        raise ValueError(str(exc)[:200]) from None
    except RecursionError:
        raise ValueError("a command nested too deep") from None
    except Exception as exc:  # anything else a hostile message finds
        raise ValueError(f"unreadable command ({type(exc).__name__})") from None


def reply_message(packet: bytes) -> dict[str, object]:
    """A hub reply (`/reply<address>` with its JSON text) as the page's reply message."""
    try:
        message = OscMessage(packet)
        body = json.loads(str(message.params[0]))
    except (ParseError, IndexError, ValueError, TypeError):
        return {"type": MessageType.REPLY.value, "address": "", "status": "error",
                "data": "unreadable reply"}
    if not isinstance(body, dict):
        body = {}
    address = str(body.get("address") or message.address.removeprefix("/reply"))
    return {"type": MessageType.REPLY.value, "address": address,
            "status": str(body.get("status", "")), "data": body.get("data")}


def local_reply(address: str, status: str, data: object) -> dict[str, object]:
    """A reply the console makes itself (a command refused before it became OSC)."""
    return {"type": MessageType.REPLY.value, "address": address, "status": status,
            "data": data}


def same_origin(origin: str, host: str) -> bool:
    """Whether a WebSocket's Origin header names the host:port the request was sent to."""
    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and parts.netloc.lower() == host.lower()


def _ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def host_ok(host: str, *, local: bool, names: Iterable[str]) -> bool:
    """Whether a request's Host (its name, no port) may reach the console (DNS rebinding):
    on a loopback console (`local`) a loopback name; bound wider, an IP literal,
    `localhost` or one of this machine's `names` (case-insensitive)."""
    host = host.strip("[]").rstrip(".").lower()
    if local:
        return host == "localhost" or (_ip(host) and ipaddress.ip_address(host).is_loopback)
    return _ip(host) or host == "localhost" or host in {n.lower().rstrip(".") for n in names}


STATUS_PATH = "/essence/status"


def status_path(path: str) -> bool:
    """Whether an OSCQuery path is the read-only status or under it."""
    path = path.rstrip("/").lower()
    return path == STATUS_PATH or path.startswith(STATUS_PATH + "/")


def without_status(node: object) -> object:
    """An OSCQuery node (a subtree) with every node under `/essence/status` taken out."""
    if not isinstance(node, dict):
        return node
    out = dict(node)
    contents = out.get("CONTENTS")
    if isinstance(contents, dict):
        out["CONTENTS"] = {
            name: without_status(child) for name, child in contents.items()
            if not (isinstance(child, dict) and status_path(str(child.get("FULL_PATH", ""))))}
    return out
