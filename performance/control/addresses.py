"""The OSC address table: address + arguments -> what the rig should do (pure, no sockets).

QLab 5's workspace-level subset (`/go`, `/stop`, `/panic`, `/cue/{id}/start`, `/cueLists`,
`/cue_id/{id}/valuesForKeys`, `/thump`, ...), also under a `/workspace/{id}` prefix, so QLab
templates for TouchOSC and Bitfocus Companion's QLab module work unchanged; plus the rig's
own `/essence/...` addresses. docs/osc.md lists them all; the table itself is `address_table.py`.

`resolve()` returns an `Action`: a transport `Command` for the bounded queue, a `ParamSet`
that is coalesced newest-wins, a `SessionOp` the server answers itself (thump, connect,
updates, state, showmode, and the QLab queries and refusals `control/qlab.py` answers from
the status), or `Ignored` (a button's release). Anything else raises `AddressError` whose
`kind` is one of "unknown_address", "bad_type", "bad_value".

The rig has one cue list (`main`), one cue running at a time and no selection apart from
the playhead: a cue's QLab number and uniqueID are both its id, `selected` and `playhead`
name the cue on the playhead, `active` the running one.

Address patterns are never expanded: `*`, `?`, `[...]`, `{...}` are taken literally and match
nothing, so one message can never fire many cues. Nothing from OSC is evaluated or used as a
file path; names and cue ids must match strict patterns.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

from performance.control.actions import (
    Action,
    AddressError,
    Ignored,
    ParamRange,
    ParamRanges,
    ParamSet,
    Resolved,
    SessionOp,
    SessionOpKind,
    Transport,
)
from performance.control.address_table import ROUTES
from performance.control.wire import Args
from performance.show.commands import (
    Back,
    Blackout,
    Go,
    GotoCue,
    HardStop,
    HoldCondition,
    Panic,
    Pause,
    Resume,
    SetChaosMode,
    SetInput,
    SetPlayhead,
    SetRecording,
    Stop,
)
from performance.show.seqoptions import EDITING_COMMANDS

CUE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}")
PARAM_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
WORKSPACE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
MAX_ABS_PARAM = 1e6  # without declared ranges, a parameter value must stay within this
NUMERIC = frozenset("ifdh")
SWITCH_TYPES = ("i", "h", "f", "d", "T", "F")  # what one trigger or 0|1 argument may be



QLAB_DIALECT = "5.0.0"  # `/version`: the QLab OSC dictionary the rig follows
# QLab addresses with no meaning for the rig: answered status "error", data why (once a
# message: Companion's QLab module logs each address's first error and then stays quiet)
UNSUPPORTED: dict[str, str] = {
    "/reset": "not supported: a running show is not reset (use /playhead/{id}, then GO)",
    "/auditionGo": "not supported: the rig has no audition output",
    "/alwaysAudition": "not supported: the rig has no audition output",
    "/auditionMonitors": "not supported: the rig has no audition output",
    "/auditionWindow": "not supported: the rig has no audition output",
    "/overrideWindow": "not supported: the rig has no output overrides",
    "/liveFadePreview": "not supported: the rig has no live fade preview",
    "/doubleGoWindowRemaining": "not supported: ask /settings/general/minGoTime",
}
OVERRIDES_WHY = "not supported: the rig has no output overrides"
CUE_PROPERTIES = frozenset({"name", "number", "uniqueID", "children", "valuesForKeys"})
READ_ONLY_WHY = "not supported: cues are read-only over OSC (edit the show file)"
PLAYHEAD_IDS = ("selected", "playhead", "active")  # /cue/{these}/...: no cue id

# Addresses without a variable part: route -> what a trigger (no argument or non-zero) does.
_TRIGGERS: dict[str, Callable[[], Action]] = {
    "/go": lambda: Transport(Go()),
    "/essence/go": lambda: Transport(Go()),
    "/essence/back": lambda: Transport(Back()),
    "/stop": lambda: Transport(Stop()),
    "/panic": lambda: Transport(Panic()),
    "/hardStop": lambda: Transport(HardStop()),
    "/pause": lambda: Transport(Pause()),
    "/resume": lambda: Transport(Resume()),
    "/playhead/next": lambda: Transport(SetPlayhead("next")),
    "/playhead/previous": lambda: Transport(SetPlayhead("previous")),
    "/thump": lambda: SessionOp(SessionOpKind.THUMP),
    "/workspaces": lambda: SessionOp(SessionOpKind.WORKSPACES),
    "/essence/state": lambda: SessionOp(SessionOpKind.STATE),
    "/essence/health": lambda: SessionOp(SessionOpKind.HEALTH),
    "/disconnect": lambda: SessionOp(SessionOpKind.DISCONNECT),
}
_SWITCHES: dict[str, Callable[[bool], Action]] = {
    "/updates": lambda on: SessionOp(SessionOpKind.UPDATES, on),
    "/essence/chaos": lambda on: Transport(SetChaosMode(on)),
    "/essence/hold": lambda on: Transport(HoldCondition(on)),
    "/essence/showmode": lambda on: SessionOp(SessionOpKind.SHOWMODE, on),
    "/essence/record": lambda on: Transport(SetRecording(on)),
}


def strip_workspace(address: str) -> str:
    """`/workspace/{id}/go` -> `/go` (any well-formed id); other addresses unchanged."""
    if address.startswith("/workspace/"):
        parts = address.split("/", 3)
        if len(parts) == 4 and WORKSPACE_ID.fullmatch(parts[2]):
            return "/" + parts[3]
        raise AddressError("unknown_address", f"{address}: bad workspace prefix")
    return address


def resolve(
    address: str,
    args: Args,
    types: str,
    params: ParamRanges | None = None,
) -> Resolved:
    """Map one message to an action. `params`, when given, is every declared input's range."""
    path = strip_workspace(address)
    qlab = _qlab(address, path, args, types)
    if qlab is not None:
        return qlab
    if path in _TRIGGERS:
        return _done(path, _trigger(path, args, types, _TRIGGERS[path]))
    if path in _SWITCHES:
        return _done(path, _SWITCHES[path](_switch(path, args, types)))
    if path == "/connect":
        if not args:
            return _done(path, SessionOp(SessionOpKind.CONNECT, ""))
        if len(args) == 1 and types in ("s", "i", "h"):
            return _done(path, SessionOp(SessionOpKind.CONNECT, str(args[0])))
        raise AddressError("bad_type", f"{address}: expects one passcode")
    if path == "/essence/blackout":
        on = None if not args else _switch(path, args, types)
        return _done(path, Transport(Blackout(on)))
    if path == "/essence/goto":
        if len(args) != 1:
            raise AddressError("bad_type", f"{address}: expects one cue id")
        return _done(path, Transport(GotoCue(_cue_id(address, args[0], types))))
    parts = path.split("/")
    if len(parts) == 4 and parts[1] == "cue" and parts[3] == "start":
        cue = _cue_id(address, parts[2], "s")
        return _done("/cue/{id}/start",  # as QLab: the cue's next action follows
                     _trigger(path, args, types, lambda: Transport(GotoCue(cue, True))))
    if len(parts) == 3 and parts[1] == "playhead":
        cue = _cue_id(address, parts[2], "s")
        return _done("/playhead/{id}",
                     _trigger(path, args, types, lambda: Transport(SetPlayhead(cue))))
    if len(parts) == 4 and parts[1] == "essence" and parts[2] == "param":
        return _done("/essence/param/{name}", _param(address, parts[3], args, types, params))
    raise AddressError("unknown_address", address)


def _qlab(address: str, path: str, args: Args, types: str) -> Resolved | None:
    """The QLab 5 addresses (None: not one of them)."""
    if path in UNSUPPORTED or path.startswith("/overrides/"):
        why = UNSUPPORTED.get(path, OVERRIDES_WHY)
        return Resolved(SessionOp(SessionOpKind.UNSUPPORTED, why), path, False, False)
    if path in _QUERIES and not args:
        return _done(path, SessionOp(SessionOpKind.QUERY, _QUERIES[path]))
    if path == "/updates" and not args:
        return Resolved(SessionOp(SessionOpKind.QUERY, "updates"), path, False, True)
    if path in ("/panicInTime", "/showMode", "/alwaysReply", "/udpReplyPort"):
        return _done(path, _qlab_setting(address, path, args, types))
    parts = path.split("/")
    if len(parts) == 3 and parts[1] in ("select", "select_id", "playheadID"):
        cue = _cue_id(address, parts[2], "s")
        return _done(f"/{parts[1]}/{{id}}",
                     _trigger(path, args, types, lambda: Transport(SetPlayhead(cue))))
    if len(parts) != 4 or parts[1] not in ("cue", "cue_id"):
        return None
    base, what = parts[1], parts[3]
    if base == "cue" and parts[2] in PLAYHEAD_IDS:
        route, cue = f"/cue/{parts[2]}/{{command}}", parts[2]
        if what in ("start", "go") and parts[2] != "active":
            return Resolved(_trigger(path, args, types, lambda: Transport(Go())), route,
                            False, True)
    else:
        cue = _cue_id(address, parts[2], "s")
        route = f"/{base}/{{id}}/{what}"
        if what in ("start", "go") and (base, what) != ("cue", "start"):
            return _done(route,
                         _trigger(path, args, types, lambda: Transport(GotoCue(cue, True))))
    aimed = None if cue in PLAYHEAD_IDS else cue  # a stop or panic for one cue checks it
    if what == "stop":
        action = _trigger(path, args, types, lambda: Transport(Stop(aimed)))
    elif what == "panicInTime":
        _panic_time(path, args, types)
        action = Transport(Panic(aimed))
    elif what == "panic":
        action = _trigger(path, args, types, lambda: Transport(Panic(aimed)))
    elif what in CUE_PROPERTIES:
        if args and (what != "valuesForKeys" or types != "s" or len(args) > 1):
            action = SessionOp(SessionOpKind.UNSUPPORTED, READ_ONLY_WHY)
        else:  # valuesForKeys' one argument: the keys asked for, a JSON list (as QLab's)
            keys = f"?{args[0]}" if args else ""
            action = SessionOp(SessionOpKind.QUERY, f"cue/{cue}/{what}{keys}")
        if route.endswith("/" + what):  # /cue/{id}/name: the property row
            route = route.rsplit("/", 1)[0] + "/{property}"
    elif cue in PLAYHEAD_IDS:
        action = SessionOp(SessionOpKind.UNSUPPORTED, f"not supported: {path}")
    else:
        return None
    if route not in ROUTES:
        return None
    return Resolved(action, route, is_editing(action), ROUTES[route].needs_auth)


_QUERIES = {"/playheadID": "playheadID", "/cueLists": "cueLists",
            "/selectedCues": "selectedCues", "/runningCues": "runningCues",
            "/runningOrPausedCues": "runningOrPausedCues", "/version": "version",
            "/settings/general/minGoTime": "minGoTime"}


def _qlab_setting(address: str, path: str, args: Args, types: str) -> Action:
    """`/panicInTime`, `/showMode`, `/alwaysReply`, `/udpReplyPort` with their arguments."""
    if path == "/panicInTime":
        _panic_time(address, args, types)
        return Transport(Panic())
    if not args:
        return SessionOp(SessionOpKind.QUERY, path[1:])
    if path == "/showMode":
        return SessionOp(SessionOpKind.SHOWMODE, _switch(path, args, types))
    if path == "/alwaysReply":
        if _switch(path, args, types):
            return SessionOp(SessionOpKind.QUERY, "alwaysReply")
        return SessionOp(SessionOpKind.UNSUPPORTED, "not supported: the rig always replies")
    port = args[0] if len(args) == 1 and types in ("i", "h") else None
    if not isinstance(port, int) or not 1 <= port <= 65535:
        raise AddressError("bad_value", f"{address}: expects one port number 1-65535")
    return SessionOp(SessionOpKind.REPLY_PORT, port)


def _panic_time(address: str, args: Args, types: str) -> None:
    """Check `panicInTime`'s optional seconds (the time is the rig's own, from its settings,
    but a bad one is refused like any bad value, never a panic)."""
    if len(args) > 1 or (args and types not in NUMERIC):
        raise AddressError("bad_type", f"{address}: expects no argument or seconds")
    if args:
        seconds = args[0]
        if not isinstance(seconds, int | float) or not math.isfinite(seconds) or seconds < 0:
            raise AddressError("bad_value", f"{address}: {seconds!r} is not a time in seconds")


def is_editing(action: Action) -> bool:
    """Whether show mode refuses `action`: a parameter value, or a command the locked
    sequencer refuses (`EDITING_COMMANDS`, the one list of them)."""
    if isinstance(action, ParamSet):
        return True
    return isinstance(action, Transport) and isinstance(action.command, EDITING_COMMANDS)


def _done(route: str, action: Action) -> Resolved:
    return Resolved(action, route, is_editing(action), ROUTES[route].needs_auth)


def _trigger(address: str, args: Args, types: str, make: Callable[[], Action]) -> Action:
    """No argument, or one number/bool: non-zero fires, zero is a button release."""
    if not args or types == "N":  # OSC nil: OSCQuery's momentary button (TYPE "N")
        return make()
    if len(args) == 1 and types in SWITCH_TYPES:
        value = args[0]
        if isinstance(value, float) and not math.isfinite(value):
            raise AddressError("bad_value", f"{address}: {value}")
        return make() if value else Ignored("release")
    raise AddressError("bad_type", f"{address}: expects no argument or one number")


def _switch(address: str, args: Args, types: str) -> bool:
    """One 0/1 value: int, float (0.0/1.0 from toggles) or OSC true/false."""
    if len(args) != 1 or types not in SWITCH_TYPES:
        raise AddressError("bad_type", f"{address}: expects one 0|1 argument")
    value = args[0]
    if value in (0, 1):
        return bool(value)
    raise AddressError("bad_value", f"{address}: {value!r} is not 0 or 1")


def _cue_id(address: str, value: object, types: str) -> str:
    if types in ("i", "h") and isinstance(value, int) and not isinstance(value, bool):
        text = str(value)
    elif types in ("f", "d") and isinstance(value, float):
        if not math.isfinite(value):
            raise AddressError("bad_value", f"{address}: cue id {value}")
        text = format(value, ".6g")
    elif types == "s" and isinstance(value, str):
        text = value
    else:
        raise AddressError("bad_type", f"{address}: cue id must be a number or a string")
    if not CUE_ID.fullmatch(text):
        raise AddressError("bad_value", f"{address}: {text[:40]!r} is not a cue id")
    return text


def _param(
    address: str,
    name: str,
    args: Args,
    types: str,
    params: ParamRanges | None,
) -> ParamSet:
    if not PARAM_NAME.fullmatch(name):
        raise AddressError("unknown_address", f"{address}: bad parameter name")
    if params is not None and name not in params:
        raise AddressError("unknown_address", f"{address}: no such input")
    if not 1 <= len(args) <= 4 or any(t not in NUMERIC for t in types):
        raise AddressError("bad_type", f"{address}: expects 1 to 4 numbers")
    values = tuple(float(v) for v in args if isinstance(v, int | float))
    if params is None:
        low, high = -MAX_ABS_PARAM, MAX_ABS_PARAM
    else:
        low, high, width = ParamRange(*params[name])
        if len(values) != width:  # the show would refuse it, and faders get no reply
            raise AddressError("bad_type", f"{address}: {name} takes {width} number(s), got "
                                           f"{len(values)}")
    for v in values:
        if not math.isfinite(v) or not low <= v <= high:
            raise AddressError("bad_value", f"{address}: {v} outside [{low}, {high}]")
    return ParamSet(name, values[0] if len(values) == 1 else values)


def param_command(param: ParamSet) -> SetInput:
    """The show command for a coalesced parameter value."""
    return SetInput(param.name, param.value)
