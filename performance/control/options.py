"""`HubOptions`: how the OSC hub behaves (passcodes, allow-list, rate limits, timeouts).

Owns the hub's options and where they come from (`from_settings`: the rig's settings, whose
defaults are these). The in-process `ControlHub` and the OSC process (which hands them to
its child's hub) take the same options.
"""

from __future__ import annotations

from dataclasses import dataclass

from performance.config import DEFAULTS, Settings


@dataclass(frozen=True)
class HubOptions:
    """Behaviour of the hub (normally `from_settings`; the defaults are the settings')."""

    passcode: str = DEFAULTS.osc_passcode
    unlock_code: str = DEFAULTS.osc_unlock_code
    stale_after: float = DEFAULTS.osc_stale_after
    allow: str = DEFAULTS.osc_allow
    rate_limit: float = DEFAULTS.osc_rate_limit
    max_packet: int = DEFAULTS.osc_max_packet
    reply_port: int = DEFAULTS.osc_reply_port  # what `/udpReplyPort` answers
    show_mode: bool = DEFAULTS.show_mode
    updates_expire: float = DEFAULTS.osc_updates_expire
    feedback_rate: float = 10.0  # most feedback bursts per second per subscriber
    queue_size: int = 256

    @classmethod
    def from_settings(cls, settings: Settings) -> HubOptions:
        """The hub's options from the rig's settings."""
        return cls(
            passcode=settings.osc_passcode,
            unlock_code=settings.osc_unlock_code,
            stale_after=settings.osc_stale_after,
            allow=settings.osc_allow,
            rate_limit=settings.osc_rate_limit,
            max_packet=settings.osc_max_packet,
            reply_port=settings.osc_reply_port,
            show_mode=settings.show_mode,
            updates_expire=settings.osc_updates_expire,
        )
