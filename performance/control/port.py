"""`ControlPort`: what the render process sees of OSC control, in a thread or a process.

Owns the one interface both kinds of control give the runtime (`runtime/services.py`): the
`CommandSink` (`put`, `drain`), `settle` (the show's outcomes, which the senders are
answered with), the live show-mode flag, `publish` of the rig's status for
replies and feedback, the current visual's input ranges, and the counters. `ControlHub`
(socket threads in the render process) and `OscProcess` (its own process) both fit it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from performance.control.actions import ParamRanges
from performance.control.feedback import RigStatus
from performance.show.commands import Command
from performance.show.seqoptions import Outcome


class ControlPort(Protocol):
    """OSC control as the main loop and the show services use it."""

    @property
    def show_mode(self) -> bool:
        """Whether editing addresses are locked now (OSC can change it)."""
        ...

    def put(self, item: Command) -> bool:
        """Queue a command from a local control (keyboard) behind the OSC ones."""
        ...

    def drain(self) -> list[Command]:
        """Everything waiting, in the order the show should apply it; never waits."""
        ...

    def take_events(self) -> list[tuple[str, str, str]]:
        """(address, sender host, reply status) of each message received since the last
        call (`hub.OscEvent`; a recording keeps them); never waits."""
        ...

    def settle(self, receipts: Iterable[tuple[Command, Outcome]], default: Outcome = ...,
               ) -> None:
        """What the show did with the commands `drain` handed out (the sequencer's receipts);
        each sender is answered with it, `default` for a command without a receipt."""
        ...

    def publish(self, status: RigStatus) -> None:
        """The newest status, for replies and subscribers (newest wins)."""
        ...

    def set_param_ranges(self, params: ParamRanges | None) -> None:
        """The current visual's declared inputs (name -> (min, max)); None: any finite."""
        ...

    def counts(self) -> dict[str, int]:
        """Packets, messages, coalesced values and drops by kind."""
        ...
