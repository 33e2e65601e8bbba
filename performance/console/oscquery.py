"""OSCQuery: the rig's OSC namespace as JSON for controllers that build their own surface.

Pure (no sockets, no aiohttp): `namespace(status)` is the whole tree and `respond(path,
query, status, info)` answers one HTTP request, as Vidvox's OSCQuery proposal describes
(FULL_PATH, CONTENTS, TYPE, ACCESS, VALUE, RANGE, DESCRIPTION, EXTENDED_TYPE; `?ATTRIBUTE`
queries; `?HOST_INFO`). `server.py` serves it over HTTP and `announce.py` announces it.

The tree holds what a control surface can use: QLab's workspace transport (`/go`, `/stop`,
`/panic`, `/hardStop`, `/pause`, `/resume`, `/playhead/next|previous`, `/cue/{id}/start`
for each cue of the show), the rig's own commands and switches (`/essence/go`, `back`,
`goto`, `blackout`, `chaos`, `hold`, `showmode`, `record`), each declared input of the
showing visual (`/essence/param/{name}`, ranges and labels from the shader header, the
live value) and the status (`/essence/status/...`, read-only). Descriptions are the address
table's (`control/addresses.py`); each TYPE is one that `resolve` accepts for the address:
`N` for a button (no value; a message without arguments works too), `T` for a switch (OSC
true/false), `f`/`ff`/`ffff` for float, point2D and colour inputs (one float a component),
`i` for int, long and bool inputs (0|1).
"""

from __future__ import annotations

import math
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum

from performance.control.address_table import ADDRESS_TABLE
from performance.control.addresses import PLAYHEAD_IDS
from performance.control.feedback import PARAM_PREFIX, PREFIX, STATUS_FIELDS, RigStatus
from performance.control.outline import InputRow
from performance.core.inputs import InputType, InputValue, components
from performance.show.status import SequencerPhase

JsonObject = dict[str, object]


class Access(IntEnum):
    """OSCQuery's ACCESS mask."""

    NONE = 0  # a container: no value
    READ = 1
    WRITE = 2
    READ_WRITE = 3


@dataclass(frozen=True)
class HostInfo:
    """What `?HOST_INFO` tells a controller: the rig's name and where its OSC input is."""

    name: str
    osc_host: str
    osc_udp_port: int | None
    osc_tcp_port: int | None


ATTRIBUTES = frozenset({"FULL_PATH", "CONTENTS", "TYPE", "ACCESS", "VALUE", "RANGE",
                        "DESCRIPTION", "EXTENDED_TYPE"})
EXTENSIONS: dict[str, bool] = {
    "ACCESS": True, "VALUE": True, "RANGE": True, "DESCRIPTION": True, "EXTENDED_TYPE": True,
    "TAGS": False, "UNIT": False, "CRITICAL": False, "CLIPMODE": False, "OVERLOADS": False,
    "HTML": False, "LISTEN": False, "PATH_CHANGED": False,
}
_DOES = {info.route: info.does for info in ADDRESS_TABLE}
BUTTONS = ("/go", "/stop", "/panic", "/hardStop", "/pause", "/resume", "/playhead/next",
           "/playhead/previous", "/essence/go", "/essence/back")
# switch address -> the status field that holds its state
SWITCHES: dict[str, str] = {"/essence/blackout": "blackout", "/essence/chaos": "chaos_mode",
                            "/essence/hold": "condition_held",
                            "/essence/showmode": "show_mode", "/essence/record": "recording"}
STATUS_WORDS: dict[str, str] = {
    "act": "act number", "act_name": "act name", "cue_id": "current cue id",
    "cue_name": "current cue name", "next_cue_id": "cue id on the playhead (standby)",
    "countdown": "seconds left of a wait or an armed condition",
    "state": "the sequencer's phase", "faces": "faces in view", "chaos": "crowd chaos 0..1",
    "fps": "render frames per second", "health": "ok, or what is wrong",
    "latency_ms": "capture -> emotion p95, ms (-1: not known)",
    "presented_ms": "capture -> presented frame p95, ms (-1: not known)",
    "perception_fps": "frames perception finished per second",
    "show_mode": "1 while show mode locks editing", "chaos_mode": "1 while crowd-chaos mode is on",
    "blackout": "1 while a blackout holds", "recording": "1 while the rehearsal is recorded",
}
CONTAINERS: dict[str, str] = {
    "/playhead": "move the playhead (no fire)", "/cue": "the show's cues: fire one",
    "/essence": "the rig's own addresses", "/essence/param": "the showing visual's declared "
    "inputs (ranges and labels from its shader header)",
    "/essence/status": "the show's position, the room and the machine (read-only)",
}
_HINTS = typing.get_type_hints(RigStatus)
_EXTENDED = {InputType.POINT2D: ["position.cartesian.x", "position.cartesian.y"],
             InputType.COLOR: ["color.rgb.r", "color.rgb.g", "color.rgb.b", "color.rgb.a"]}


def namespace(status: RigStatus | None) -> JsonObject:
    """The whole OSCQuery tree (JSON-ready; no NaN or infinity) for the status now; before
    the first status: the commands and status nodes without values, no inputs, no cues."""
    shown = status if status is not None else RigStatus()
    root: JsonObject = _container("/", shown.title or "Essence rig")
    for route in BUTTONS:
        _put(root, _method(route, _DOES[route], Access.WRITE, "N"))
    for route, field in SWITCHES.items():
        value = [bool(getattr(shown, field))] if status is not None else None
        _put(root, _method(route, _DOES[route], Access.READ_WRITE, "T", value))
    ids = [cue_id for cue_id, _ in shown.cues]
    _put(root, _method("/essence/goto", _DOES["/essence/goto"], Access.WRITE, "s",
                       ranges=[{"VALS": ids}] if ids else None))
    for cue_id, name in shown.cues:
        if cue_id in PLAYHEAD_IDS:  # /cue/selected/start is GO, not this cue
            continue
        does = _DOES["/cue/{id}/start"].replace("{id}", cue_id)
        _put(root, _method(f"/cue/{cue_id}/start", f"{name}: {does}" if name else does,
                           Access.WRITE, "N"))
    values = dict(shown.inputs)
    for row in shown.input_rows:
        _put(root, _input_node(row, values.get(row.name, row.default)))
    for field, (suffix, _) in STATUS_FIELDS.items():
        _put(root, _status_node(PREFIX + suffix, field,
                                getattr(status, field) if status is not None else None))
    return root


def host_info(info: HostInfo) -> JsonObject:
    """The `?HOST_INFO` object: name, the OSC input (UDP when it listens, else TCP) and
    which optional attributes this server gives (`EXTENSIONS`). With both, the TCP port is
    also given as `OSC_TCP_PORT` (an extra key, as the proposal allows)."""
    out: JsonObject = {"NAME": info.name, "EXTENSIONS": dict(EXTENSIONS)}
    if info.osc_host not in ("", "0.0.0.0", "::"):  # a wildcard: the OSCQuery server's host
        out["OSC_IP"] = info.osc_host
    if info.osc_udp_port is not None:
        out["OSC_PORT"], out["OSC_TRANSPORT"] = info.osc_udp_port, "UDP"
        if info.osc_tcp_port is not None:
            out["OSC_TCP_PORT"] = info.osc_tcp_port
    elif info.osc_tcp_port is not None:
        out["OSC_PORT"], out["OSC_TRANSPORT"] = info.osc_tcp_port, "TCP"
    return out


def respond(path: str, query: str, status: RigStatus | None,
            info: HostInfo) -> tuple[int, object | None]:
    """(HTTP status, JSON body) for a GET of `path?query`: 200 with the node (its subtree)
    or `{ATTRIBUTE: value}` (`{}` when the node has none, e.g. a container's TYPE); 200
    with HOST_INFO for any path; 404 for a path not in the tree, 400 for an attribute the
    server does not know or a query that is not one attribute, 204 for the VALUE of a node
    that cannot be read (as the proposal says). The body is None unless 200."""
    attribute = query.strip()
    if attribute.endswith("="):  # `?VALUE=` from a form-style client
        attribute = attribute[:-1]
    attribute = attribute.upper()
    if attribute == "HOST_INFO":
        return 200, host_info(info)
    if attribute and attribute not in ATTRIBUTES:
        return 400, None
    node = find(namespace(status), path)
    if node is None:
        return 404, None
    if not attribute:
        return 200, node
    if attribute == "VALUE" and not int(_number(node.get("ACCESS"))) & Access.READ:
        return 204, None
    return 200, {attribute: node[attribute]} if attribute in node else {}


def find(tree: JsonObject, path: str) -> JsonObject | None:
    """The node at an OSC path (`/`, `/essence/param`, a trailing `/` ignored); None when
    the tree has none."""
    if not path.startswith("/"):
        return None
    node: object = tree
    trimmed = path.rstrip("/")
    for part in trimmed.split("/")[1:] if trimmed else ():
        contents = node.get("CONTENTS") if isinstance(node, dict) else None
        if not isinstance(contents, dict) or part not in contents:
            return None
        node = contents[part]
    return node if isinstance(node, dict) else None


def _container(path: str, description: str) -> JsonObject:
    return {"FULL_PATH": path, "ACCESS": int(Access.NONE), "DESCRIPTION": description,
            "CONTENTS": {}}


def _method(path: str, description: str, access: Access, type_tags: str,
            value: Sequence[object] | None = None, ranges: Sequence[object] | None = None,
            extended: Sequence[str] | None = None) -> JsonObject:
    node: JsonObject = {"FULL_PATH": path, "ACCESS": int(access), "TYPE": type_tags,
                        "DESCRIPTION": description}
    if value is not None:
        node["VALUE"] = list(value)
    if ranges is not None:
        node["RANGE"] = list(ranges)
    if extended is not None:
        node["EXTENDED_TYPE"] = list(extended)
    return node


def _put(root: JsonObject, node: JsonObject) -> None:
    """Place `node` at its FULL_PATH, making the containers on the way."""
    parts = str(node["FULL_PATH"]).split("/")[1:]
    here = root
    for depth, part in enumerate(parts[:-1], start=1):
        contents = typing.cast(JsonObject, here["CONTENTS"])
        if part not in contents:
            path = "/" + "/".join(parts[:depth])
            contents[part] = _container(path, CONTAINERS.get(path, ""))
        here = typing.cast(JsonObject, contents[part])
    typing.cast(JsonObject, here["CONTENTS"])[parts[-1]] = node


def _input_node(row: InputRow, value: InputValue) -> JsonObject:
    """`/essence/param/{name}`: one float a component (ints for int, long and bool)."""
    kind = InputType(row.type)
    width = kind.width
    whole = kind.whole or kind is InputType.BOOL
    nothing: list[float | None] = [None] * width
    lows: list[float | None] = list(components(row.minimum, width) or nothing)
    highs: list[float | None] = list(components(row.maximum, width) or nothing)
    if kind is InputType.BOOL:
        lows, highs = [0.0], [1.0]
    ranges: list[object] = []
    for low, high in zip(lows, highs, strict=True):
        bound = {key: _json_number(v, whole) for key, v in (("MIN", low), ("MAX", high))
                 if v is not None and math.isfinite(v)}
        ranges.append(bound or None)
    live = components(value, width) or []
    return _method(PARAM_PREFIX + row.name, row.label or row.name, Access.READ_WRITE,
                   ("i" if whole else "f") * width, [_json_number(v, whole) for v in live],
                   ranges if any(r is not None for r in ranges) else None,
                   _EXTENDED.get(kind))


def _status_node(path: str, field: str, value: object) -> JsonObject:
    """One read-only status value, typed as OSC feedback sends it (bools as 0|1)."""
    hint = _HINTS[field]
    kinds = set(typing.get_args(hint)) or {hint}
    shown: object
    if bool in kinds or int in kinds:
        tags, shown = "i", None if value is None else int(_number(value))
    elif float in kinds:
        tags, shown = "f", _json_number(value, False) if value is not None else None
    else:
        tags, shown = "s", None if value is None else str(value)
    ranges: list[object] | None = None
    if bool in kinds:
        ranges = [{"MIN": 0, "MAX": 1}]
    elif field == "state":
        ranges = [{"VALS": [phase.value for phase in SequencerPhase]}]
    return _method(path, STATUS_WORDS.get(field, field.replace("_", " ")), Access.READ, tags,
                   None if shown is None else [shown], ranges)


def _number(value: object) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


def _json_number(value: object, whole: bool) -> float | int | None:
    """A JSON number (an int when `whole`); None (JSON null) for NaN or infinity."""
    number = _number(value)
    if not math.isfinite(number):
        return None
    return round(number) if whole else number
