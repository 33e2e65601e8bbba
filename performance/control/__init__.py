"""OSC control: QLab-compatible address table, UDP/TCP servers, access control, feedback.

The runtime (`runtime/services.py`) makes a `ControlPort`: by default an `OscProcess`
(`process.py`: a `ControlHub` served by an `OscServer` in a spawned child, `child.py`, on
its own clock with a GO gate of the show's interval; the child's life, `life.py`), or with
`control = "thread"` a `ControlHub` (`hub.py`: commands, replies, feedback; no sockets; on
the show's clock, with the sequencer's `GoGate` when a cue list runs; its `HubOptions`,
`options.py`; its replies, `replies.py`; its tickets awaiting the show, `tickets.py`; its
unknown-cue check, `cuecheck.py`) served by an `OscServer` (a UDP and a TCP thread) in the
render's process. Either way it drains commands with `drain()` between frames, publishes a
`RigStatus` each frame with `publish()`, and sends cue messages out with an `OscSender`.
docs/osc.md documents the addresses and options.
"""

from performance.control.feedback import RigStatus, rig_status_from
from performance.control.hub import ControlHub
from performance.control.options import HubOptions
from performance.control.port import ControlPort
from performance.control.process import OscProcess
from performance.control.sender import OscSender, OutMessage
from performance.control.server import OscServer

__all__ = ["ControlHub", "ControlPort", "HubOptions", "OscProcess", "OscSender", "OscServer",
           "OutMessage", "RigStatus", "rig_status_from"]
