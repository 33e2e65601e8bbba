"""The replies the hub sends back: QLab's `/reply` packets and what each message is answered.

Owns the reply format (`reply_packet`: `/reply<address>` with one JSON string argument,
`{"workspace_id", "address", "status", "data"}`), reading a reply's status back
(`reply_status`, for the hub's event log), the reply once the show applied or refused a
command (`outcome_reply`), the rate-limited reply to a refused message (`error_reply`), and
what a session operation does to its sender's session and answers (`session_reply`: updates,
reply port, disconnect, state, health, thump, workspaces and the QLab queries of qlab.py).
Show mode is the hub's own flag: the hub answers `/essence/showmode` itself. Nothing here
holds state or a lock; the hub calls these with its lock held.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from performance.control.access import Session
from performance.control.actions import SessionOp, SessionOpKind
from performance.control.feedback import RigStatus, health_json, status_json
from performance.control.qlab import WORKSPACE_ID
from performance.control.qlab import answer as qlab_answer
from performance.control.wire import WireError, build_message, parse_packet
from performance.show.seqoptions import Outcome

DENIED = "denied"
"""The reply status for a sender that lacks the right (`connect first`, `badpass`, not
allowed to leave show mode), as QLab means it: Companion's QLab module takes any `denied` for
a wrong passcode and shows the connection failed. Whatever the show refuses (show mode, too
soon, stale, no cue 99) is `error` with the reason."""


def reply_packet(address: str, status: str, data: object = None) -> bytes:
    """A QLab-style reply: `/reply<address>` with one JSON string argument (`data`, when
    given, must be JSON-ready)."""
    body: dict[str, object] = {"workspace_id": WORKSPACE_ID, "address": address, "status": status}
    if data is not None:
        body["data"] = data
    return build_message("/reply" + address, [json.dumps(body, separators=(",", ":"))])


def reply_status(reply: bytes | None) -> str:
    """The status of a reply packet (`reply_packet`'s), `none` without one."""
    if reply is None:
        return "none"
    try:
        return str(json.loads(str(parse_packet(reply)[0].args[0]))["status"])
    except (WireError, IndexError, KeyError, TypeError, ValueError):
        return "reply"


def outcome_reply(address: str, outcome: Outcome) -> bytes:
    """The reply once the show applied (`ok`) or refused a command (`error` with the reason:
    `show mode`, `too soon`, `stale`, `no cue 99`, ...)."""
    if outcome.accepted:
        return reply_packet(address, "ok")
    return reply_packet(address, "error", outcome.reason)


def error_reply(session: Session, address: str, status: str, data: str,
                now: float) -> bytes | None:
    """Replies to refused messages, rate limited per sender (no reflection floods)."""
    if not session.error_replies.take(now):
        return None
    return reply_packet(address, status, data)


def session_reply(action: SessionOp, session: Session, address: str,
                  status: Callable[[], RigStatus | None], *, passcode: str, show_mode: bool,
                  reply_port: int, min_go: float) -> bytes:
    """Do a session operation other than show mode to `session` and answer it; `status`
    gives the newest status (with the hub's show mode), `passcode` is the hub's (empty:
    none), `reply_port` what `/udpReplyPort` answers when the session set none, `min_go`
    the GO gate's interval (0: none)."""
    if action.op == SessionOpKind.UPDATES:
        session.subscribed = bool(action.value)
        session.feedback = None  # a new subscription gets the full status first
    elif action.op == SessionOpKind.REPLY_PORT:
        session.reply_port = int(action.value or 0) or None
        return reply_packet(address, "ok", session.reply_port)  # the table's "data = port"
    elif action.op == SessionOpKind.DISCONNECT:
        session.authed = not passcode
        session.subscribed = False
    elif action.op == SessionOpKind.STATE:
        return reply_packet(address, "ok", status_json(status()))
    elif action.op == SessionOpKind.HEALTH:
        return reply_packet(address, "ok", health_json(status()))
    elif action.op == SessionOpKind.THUMP:
        return reply_packet(address, "ok", "thump")
    elif action.op == SessionOpKind.WORKSPACES:
        return reply_packet(address, "ok", [{
            "uniqueID": WORKSPACE_ID, "displayName": "Essence rig",
            "hasPasscode": bool(passcode)}])
    elif action.op in (SessionOpKind.QUERY, SessionOpKind.UNSUPPORTED):  # qlab.py
        return reply_packet(address, *qlab_answer(
            action, status(), subscribed=session.subscribed, show_mode=show_mode,
            reply_port=session.reply_port or reply_port, min_go=min_go))
    return reply_packet(address, "ok")
