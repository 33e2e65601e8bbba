"""The default keymap: key names from the window become show Commands or local actions.

Owns which key does what. Show commands go into the same bounded CommandQueue the OSC
server feeds, so the keyboard is just another controller. Toggles (pause, chaos mode) read
the show's own last state, so they stay right whatever else (OSC, a cue) changed it.
Local actions (stats, fullscreen, quit) concern the window and never reach the show.
"""

from __future__ import annotations

from collections.abc import Iterable

from performance.core.mailbox import CommandSink
from performance.show.commands import (
    Blackout,
    Command,
    Go,
    Panic,
    Pause,
    Resume,
    SetChaosMode,
    SetPlayhead,
)
from performance.show.state import ShowFrame, ShowStatus

STATS = "stats"
FULLSCREEN = "fullscreen"
QUIT = "quit"
LOCAL_ACTIONS = (STATS, FULLSCREEN, QUIT)

KEYMAP: dict[str, str] = {
    "space": "go",
    "escape": "panic",
    "b": "blackout",
    "p": "pause",
    "left": "previous",
    "right": "next",
    "c": "chaos",
    "i": STATS,
    "f": FULLSCREEN,
    "ctrl+q": QUIT,
    "quit": QUIT,  # the window's close button
}


def command_for(action: str, show: ShowFrame | None) -> Command | None:
    """The Command for a show action, given the show's last state (for the toggles)."""
    if action == "go":
        return Go()
    if action == "panic":
        return Panic()
    if action == "blackout":
        return Blackout()
    if action == "pause":
        return Resume() if show is not None and show.status == ShowStatus.PAUSED else Pause()
    if action == "previous":
        return SetPlayhead("previous")
    if action == "next":
        return SetPlayhead("next")
    if action == "chaos":
        return SetChaosMode(on=not (show is not None and show.chaos_mode))
    return None


def handle_keys(
    keys: Iterable[str],
    commands: CommandSink[Command],
    show: ShowFrame | None,
    keymap: dict[str, str] = KEYMAP,
) -> list[str]:
    """Queue the commands for `keys`; returns the local actions (stats, fullscreen, quit)
    in order. Unmapped keys are ignored."""
    local: list[str] = []
    for key in keys:
        action = keymap.get(key)
        if action is None:
            continue
        if action in LOCAL_ACTIONS:
            local.append(action)
            continue
        command = command_for(action, show)
        if command is not None:
            commands.put(command)
    return local
