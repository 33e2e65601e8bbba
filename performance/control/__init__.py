"""OSC control: QLab-compatible address table, UDP/TCP servers, access control, feedback.

The runtime (`runtime/services.py`) makes one `ControlHub` (commands, replies, feedback;
no sockets; on the show's clock, with the sequencer's `GoGate` when a cue list runs), serves
it with an `OscServer` (a UDP and a TCP thread), drains commands with `hub.drain()` between
frames, publishes a `RigStatus` each frame with `hub.publish()`, and sends cue messages out
with an `OscSender`. docs/osc.md documents the addresses and options.
"""

from performance.control.feedback import RigStatus, rig_status_from
from performance.control.hub import ControlHub, HubOptions
from performance.control.sender import OscSender, OutMessage
from performance.control.server import OscServer

__all__ = ["ControlHub", "HubOptions", "OscSender", "OscServer", "OutMessage", "RigStatus",
           "rig_status_from"]
