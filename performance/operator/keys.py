"""The default keymap: key names from the window become show Commands or local actions.

Owns which key does what. Show commands go into the same bounded CommandQueue the OSC
server feeds, so the keyboard is just another controller. Toggles (pause, chaos mode) read
the show's own last state, so they stay right whatever else (OSC, a cue) changed it; the
show-mode key toggles the flag OSC control owns (the keyboard may always leave show mode).
Local actions (stats, fullscreen, quit) concern the window and never reach the show.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum

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
    SetRecording,
    SetShowMode,
)
from performance.show.frame import ShowFrame, ShowStatus


class KeyAction(StrEnum):
    """What a key does: a show action (becomes a Command) or a local one (the window's)."""

    GO = "go"
    PANIC = "panic"
    BLACKOUT = "blackout"
    PAUSE = "pause"
    PREVIOUS = "previous"
    NEXT = "next"
    CHAOS = "chaos"
    SHOW_MODE = "show_mode"  # lock / unlock editing (OSC control takes it; see SetShowMode)
    RECORD = "record"  # start / stop recording the rehearsal (the recording tap takes it)
    NEUTRAL = "neutral"  # local: read the performer's resting face as the baseline
    STATS = "stats"  # local: the frame statistics on the overlay and the log
    FULLSCREEN = "fullscreen"  # local
    QUIT = "quit"  # local

    @property
    def local(self) -> bool:
        """True for the actions that concern the window and never reach the show."""
        return self in LOCAL_ACTIONS


LOCAL_ACTIONS = frozenset({KeyAction.NEUTRAL, KeyAction.STATS, KeyAction.FULLSCREEN,
                           KeyAction.QUIT})

KEYMAP: dict[str, KeyAction] = {
    "space": KeyAction.GO,
    "escape": KeyAction.PANIC,
    "b": KeyAction.BLACKOUT,
    "p": KeyAction.PAUSE,
    "left": KeyAction.PREVIOUS,
    "right": KeyAction.NEXT,
    "c": KeyAction.CHAOS,
    "ctrl+l": KeyAction.SHOW_MODE,
    "f9": KeyAction.RECORD,
    "n": KeyAction.NEUTRAL,
    "i": KeyAction.STATS,
    "f": KeyAction.FULLSCREEN,
    "ctrl+q": KeyAction.QUIT,
    "quit": KeyAction.QUIT,  # the window's close button
}


def command_for(action: KeyAction, show: ShowFrame | None) -> Command | None:
    """The Command for a show action, given the show's last frame (for the toggles); None
    for a local action."""
    paused = show is not None and show.status == ShowStatus.PAUSED
    commands: dict[KeyAction, Command] = {
        KeyAction.GO: Go(),
        KeyAction.PANIC: Panic(),
        KeyAction.BLACKOUT: Blackout(),
        KeyAction.PAUSE: Resume() if paused else Pause(),
        KeyAction.PREVIOUS: SetPlayhead("previous"),
        KeyAction.NEXT: SetPlayhead("next"),
        KeyAction.CHAOS: SetChaosMode(on=not (show is not None and show.chaos_mode)),
        KeyAction.SHOW_MODE: SetShowMode(),
        KeyAction.RECORD: SetRecording(),
    }
    return commands.get(action)


def handle_keys(
    keys: Iterable[str],
    commands: CommandSink[Command],
    show: ShowFrame | None,
    keymap: Mapping[str, KeyAction] = KEYMAP,
) -> list[KeyAction]:
    """Queue the commands for `keys`; returns the local actions (stats, fullscreen, quit)
    in order. Unmapped keys are ignored."""
    local: list[KeyAction] = []
    for key in keys:
        action = keymap.get(key)
        if action is None:
            continue
        if action.local:
            local.append(action)
            continue
        command = command_for(action, show)
        if command is not None:
            commands.put(command)
    return local
