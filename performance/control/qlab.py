"""QLab 5 workspace queries: the replies `/cueLists`, `/cue_id/{id}/valuesForKeys`, ... get.

Owns what the rig answers, in QLab's JSON reply format (`replies.reply_packet`:
`/reply<address>` with `{"workspace_id", "address", "status", "data"}`), to the queries
`addresses.resolve` turns into `SessionOp(QUERY, what)`, and the error naming why for
`SessionOp(UNSUPPORTED, why)`; and the `/update/workspace/essence/cue_id/{id}` pushes QLab
sends when a cue starts or stops (`cue_updates`, sent with the feedback). Everything comes
from the newest `RigStatus` (its `cues`: the show's cue list, id and name, in order).

The rig as a QLab workspace: one cue list, uniqueID `main` (the list the playback-position
updates name); each cue's number and uniqueID are its id in the show file; a cue runs from
its GO until the next cue's (the picture stays), nothing runs before the first GO or after
a panic or blackout; the selection is the cue on the playhead.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from performance.control.actions import SessionOp, SessionOpKind
from performance.control.addresses import QLAB_DIALECT
from performance.show.status import SequencerPhase

if TYPE_CHECKING:
    from performance.control.feedback import RigStatus

WORKSPACE_ID = "essence"
CUE_LIST_ID = "main"
CUE_LIST_NAME = "Main Cue List"
QLAB_PUSHES = "/update/"  # what QLab pushes; a QLab client reads only these and replies
UPDATE_PREFIX = f"/update/workspace/{WORKSPACE_ID}"
PLAYBACK_POSITION = f"{UPDATE_PREFIX}/cueList/{CUE_LIST_ID}/playbackPosition"
CUE_TYPE = "Video"  # what a rig cue does, in QLab's terms: picture (and its sound)
NOT_RUNNING = frozenset({SequencerPhase.STANDBY.value, SequencerPhase.PANIC.value,
                         SequencerPhase.BLACKOUT.value})

# ops only a QLab client sends: its sender is fed QLab's pushes alone (`Session.qlab`)
QLAB_OPS = frozenset({SessionOpKind.QUERY, SessionOpKind.WORKSPACES})
Reply = tuple[str, object]  # (status, data) for `reply_packet`


def answer(op: SessionOp, status: RigStatus | None, *, subscribed: bool, show_mode: bool,
           min_go: float, reply_port: int) -> Reply:
    """(status, data) for a QUERY or UNSUPPORTED op."""
    what = str(op.value or "")
    if op.op is SessionOpKind.UNSUPPORTED:
        return "error", what
    fixed: dict[str, object] = {
        "version": QLAB_DIALECT, "showMode": show_mode, "alwaysReply": 1,
        "udpReplyPort": reply_port, "minGoTime": min_go, "updates": int(subscribed)}
    if what in fixed:
        return "ok", fixed[what]
    cues = status.cues if status is not None else ()
    if what == "cueLists":
        return "ok", [cue_list(status)]
    if what == "playheadID":
        return "ok", (status.next_cue_id if status and status.next_cue_id else "none")
    if what in ("selectedCues", "runningCues", "runningOrPausedCues"):
        key = "next" if what == "selectedCues" else "running"
        found = _pick(status, key)
        return "ok", [cue_json(status, *found)] if found else []
    what, _, asked = what.partition("?")  # valuesForKeys: the keys asked for, JSON
    parts = what.split("/")  # cue/{id}/{property}
    if len(parts) != 3 or parts[0] != "cue":
        return "error", f"unknown query {what}"
    cue_id, prop = parts[1], parts[2]
    keys = _keys(asked) if asked else None
    if isinstance(keys, str):
        return "error", keys
    if cue_id == CUE_LIST_ID:
        return _list_property(status, prop, keys)
    if cue_id in ("selected", "playhead", "active"):
        found = _pick(status, "running" if cue_id == "active" else "next")
        if found is None:
            return "error", "no cue running" if cue_id == "active" else "no cue on the playhead"
    else:
        found = next(((i, n) for i, n in cues if i == cue_id), None)
        if found is None:
            return "error", f"no cue {cue_id}"
    data = cue_json(status, *found)
    if prop == "valuesForKeys":
        return "ok", data if keys is None else {k: data[k] for k in keys if k in data}
    if prop == "children":
        return "ok", []
    return "ok", data["listName" if prop == "name" else prop]


def _keys(asked: str) -> list[str] | str:
    """The keys of a `valuesForKeys` request (a JSON list of strings), or why not."""
    try:
        keys = json.loads(asked)
    except ValueError:
        keys = None
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        return 'valuesForKeys takes a JSON list of keys, e.g. ["number","name"]'
    return keys


def cue_list(status: RigStatus | None) -> dict[str, object]:
    """The one cue list as `/cueLists` lists it: a cue of type "Cue List" with its cues."""
    cues = status.cues if status is not None else ()
    return {**_common(CUE_LIST_ID, "", CUE_LIST_NAME, "Cue List"),
            "cues": [cue_json(status, i, n) for i, n in cues]}


def cue_json(status: RigStatus | None, cue_id: str, name: str) -> dict[str, object]:
    """One cue with the keys QLab's `valuesForKeys` answers (the ones clients ask for)."""
    current = status is not None and status.cue_id == cue_id
    state = status.state if status is not None else SequencerPhase.STANDBY.value
    paused = current and state == SequencerPhase.PAUSED.value
    running = current and not paused and state not in NOT_RUNNING
    return {**_common(cue_id, cue_id, name, CUE_TYPE), "parent": CUE_LIST_ID,
            "isRunning": running, "isPaused": paused, "isLoaded": running or paused}


def _common(unique_id: str, number: str, name: str, kind: str) -> dict[str, object]:
    return {
        "uniqueID": unique_id, "number": number, "name": name, "listName": name,
        "type": kind, "mode": 0, "colorName": "none", "flagged": False, "armed": True,
        "notes": "", "isRunning": False, "isPaused": False, "isLoaded": False,
        "isBroken": False, "isAuditioning": False, "autoLoad": False, "continueMode": 0,
        "preWait": 0.0, "postWait": 0.0, "duration": 0.0, "actionElapsed": 0.0,
        "percentActionElapsed": 0.0, "infiniteLoop": False, "holdLastFrame": True,
        "cartPosition": [0, 0], "parent": "",
    }


def _list_property(status: RigStatus | None, prop: str, keys: list[str] | None) -> Reply:
    listed = cue_list(status)
    if prop == "children":
        return "ok", listed["cues"]
    if prop == "valuesForKeys":
        return "ok", {k: v for k, v in listed.items()
                      if k != "cues" and (keys is None or k in keys)}
    return "ok", listed["listName" if prop == "name" else prop]


def _pick(status: RigStatus | None, which: str) -> tuple[str, str] | None:
    """(id, name) of the cue on the playhead ("next") or the running one ("running")."""
    if status is None:
        return None
    if which == "next":
        wanted = status.next_cue_id
    else:
        wanted = status.cue_id if status.state not in NOT_RUNNING else None
    if wanted is None:
        return None
    return next(((i, n) for i, n in status.cues if i == wanted), (wanted, ""))


def cue_updates(old: RigStatus | None, new: RigStatus) -> list[tuple[str, tuple[()]]]:
    """`/update/workspace/essence/cue_id/{id}` for each cue that started, stopped, paused
    or resumed between two statuses (QLab's push; clients then ask its valuesForKeys)."""
    if old is not None and (old.cue_id, old.state) == (new.cue_id, new.state):
        return []
    ids = {new.cue_id} | ({old.cue_id} if old is not None else set())
    return [(f"{UPDATE_PREFIX}/cue_id/{i}", ()) for i in sorted(i for i in ids if i)]
