"""The OSC address table as data: each route, its arguments, what it does, whether it edits
the show and whether it needs a session's passcode.

`addresses.py` resolves messages and takes each route's `needs_auth` from it; the console's
OSCQuery tree describes each route with its `does`. docs/osc.md and the README's OSC table
list every row, and the resolver's own editing rule agrees with `editing` (both kept so by
tests/unit/test_osc_addresses.py and test_readme.py).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AddressInfo:
    """One row of the address table (also the source of docs/osc.md's table)."""

    route: str
    args: str
    does: str
    editing: bool = False  # for the docs only: `is_editing` decides (a test keeps them equal)
    needs_auth: bool = True


ADDRESS_TABLE: tuple[AddressInfo, ...] = (
    AddressInfo("/go", "[1]", "GO: fire the next (or armed) cue"),
    AddressInfo("/stop", "[1]", "stop waits and follows; the picture stays"),
    AddressInfo("/panic", "[1]", "fade picture and sound out (a second panic soon after cuts)"),
    AddressInfo("/hardStop", "[1]", "cut picture and sound at once"),
    AddressInfo("/pause", "[1]", "freeze transitions and waits"),
    AddressInfo("/resume", "[1]", "continue after pause"),
    AddressInfo("/playhead/next", "[1]", "move the playhead to the next cue (no fire)",
                editing=True),
    AddressInfo("/playhead/previous", "[1]", "move the playhead to the previous cue",
                editing=True),
    AddressInfo("/playhead/{id}", "[1]", "move the playhead to cue {id} (no fire)", editing=True),
    AddressInfo("/cue/{id}/start", "[1]", "fire cue {id} (e.g. 3 or 3.5); its auto-follow or "
                "auto-continue runs, as in QLab", editing=True),
    AddressInfo("/thump", "", "heartbeat: replies ok", needs_auth=False),
    AddressInfo("/workspaces", "", "list the one workspace (QLab discovery)", needs_auth=False),
    AddressInfo("/connect", "[passcode]", "authenticate this sender", needs_auth=False),
    AddressInfo("/disconnect", "", "forget this sender's session", needs_auth=False),
    AddressInfo("/updates", "0|1", "subscribe this sender to feedback"),
    AddressInfo("/essence/go", "[1]", "GO"),
    AddressInfo("/essence/back", "[1]", "step back to the previous cue and fire it",
                editing=True),
    AddressInfo("/essence/goto", "id", "jump to cue id (a rehearsal jump: its next action "
                "does not run)", editing=True),
    AddressInfo("/essence/param/{name}", "float (or 2-4 floats)",
                "set a declared input of the current visual", editing=True),
    AddressInfo("/essence/chaos", "0|1", "crowd-chaos mode off/on", editing=True),
    AddressInfo("/essence/blackout", "[0|1]", "blackout toggle (no argument) or off/on"),
    AddressInfo("/essence/hold", "0|1", "release/hold the armed cue's audience condition"),
    AddressInfo("/essence/state", "", "reply with the current status as JSON"),
    AddressInfo("/essence/health", "", "reply with the health report as JSON (uptime, fps, "
                "frame-time p99, faces, camera, sound, restarts, last error, memory)"),
    AddressInfo("/essence/showmode", "0|1", "unlock/lock editing addresses"),
    AddressInfo("/essence/record", "0|1", "stop/start recording the rehearsal's tracking "
                "stream (numbers, never images; docs/recording.md)"),
    # QLab 5 (workspace level): what Companion's QLab module and QLab templates send
    AddressInfo("/cue/{id}/go", "[1]", "fire cue {id} (as /cue/{id}/start)", editing=True),
    AddressInfo("/cue_id/{id}/start", "[1]", "fire cue {id} (uniqueID = cue id)",
                editing=True),
    AddressInfo("/cue_id/{id}/go", "[1]", "fire cue {id}", editing=True),
    AddressInfo("/cue/{id}/stop", "[1]", "stop waits and follows when cue {id} is the one "
                "on stage (else error `cue {id} is not running`)"),
    AddressInfo("/cue_id/{id}/stop", "[1]", "as /cue/{id}/stop"),
    AddressInfo("/cue/{id}/panic", "[1]", "panic when cue {id} is the one on stage (else "
                "error `cue {id} is not running`)"),
    AddressInfo("/cue_id/{id}/panic", "[1]", "as /cue/{id}/panic"),
    AddressInfo("/cue/{id}/panicInTime", "[seconds]",
                "panic over the rig's panic time when cue {id} is on stage"),
    AddressInfo("/cue_id/{id}/panicInTime", "[seconds]", "as /cue/{id}/panicInTime"),
    AddressInfo("/cue/{id}/{property}", "[keys]",
                "name, number, uniqueID, children, valuesForKeys of cue {id} (read-only)"),
    AddressInfo("/cue_id/{id}/{property}", "[keys]", "as /cue/{id}/{property}"),
    AddressInfo("/cue/selected/{command}", "[1]",
                "the cue on the playhead: start/go (GO), stop, panic, or a property"),
    AddressInfo("/cue/playhead/{command}", "[1]", "as /cue/selected/{command}"),
    AddressInfo("/cue/active/{command}", "[1]",
                "the running cue: stop, panic, or a property (error when none runs)"),
    AddressInfo("/select/{id}", "[1]", "move the playhead to cue {id} (the selection)",
                editing=True),
    AddressInfo("/select_id/{id}", "[1]", "as /select/{id}", editing=True),
    AddressInfo("/playheadID/{id}", "[1]", "move the playhead to cue {id}", editing=True),
    AddressInfo("/playheadID", "", "the uniqueID of the cue on the playhead (or none)"),
    AddressInfo("/cueLists", "", "the one cue list, `main`, with its cues"),
    AddressInfo("/selectedCues", "", "the cue on the playhead, as a list"),
    AddressInfo("/runningCues", "", "the running cue, as a list"),
    AddressInfo("/runningOrPausedCues", "", "the running or paused cue, as a list"),
    AddressInfo("/panicInTime", "[seconds]", "panic over the rig's panic time"),
    AddressInfo("/showMode", "[0|1]", "show mode: no argument asks, 0|1 as /essence/showmode"),
    AddressInfo("/version", "", "the QLab OSC dialect the rig speaks", needs_auth=False),
    AddressInfo("/alwaysReply", "[1]", "the rig always replies: 1 or nothing answers 1"),
    AddressInfo("/udpReplyPort", "[port]",
                "the port this sender's UDP replies go to; with a port: set it (QLab's)"),
    AddressInfo("/settings/general/minGoTime", "", "the minimum time between GOs, s"),
)
ROUTES = {info.route: info for info in ADDRESS_TABLE}
"""Each row of the table by its route."""
