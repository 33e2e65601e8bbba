"""The calibration tools' window and frame loop, shared by `essence calibrate projector`
(runtime/mapping.py) and `essence calibrate camera` (runtime/camera_setup.py).

Owns what both tools do the same way: a window with a compositor drawing the stage texture
to it (`tool_window`), and each frame (`run_tool`) the window's events handed to the tool
(the window's close as the key "quit", a resize resizing the compositor), S saving through
the tool (a failed save keeps the old file and the editing), Escape's warning said on the
terminal, the tool's picture drawn and the frame paced. Each tool keeps its own editing
(venue/editor.py, venue/zones_editor.py) and its own picture behind the `Tool` protocol.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from performance.adapters.window import InputEvent, Window
    from performance.render.context import Compositor


class Step(StrEnum):
    """What the loop does after an input (the editors' Action values)."""

    NONE = "none"
    SAVE = "save"
    WARN = "warn"  # Escape with unsaved changes: say so, quit on the next Escape
    QUIT = "quit"


class Tool(Protocol):
    """One calibration tool's part of the loop: its editing and its picture."""

    def key(self, key: str) -> Step:
        """A key (as `key_name` gives it; "quit" for the window's close)."""
        ...

    def pointer(self, event: InputEvent, window: tuple[int, int]) -> None:
        """A left-button event ("down", "move", "up") in a window of size `window`."""
        ...

    def poll(self) -> list[Step]:
        """Input from elsewhere (the projector tool's OSC), once a frame."""
        ...

    def save(self) -> tuple[bool, str]:
        """Write the calibration atomically: whether it was written, and what to say."""
        ...

    def warn(self) -> str:
        """What to say when Escape warns of unsaved changes."""
        ...

    def update(self, comp: Compositor) -> None:
        """This frame's picture into the compositor's stage texture."""
        ...


@contextlib.contextmanager
def tool_window(size: tuple[int, int], *, title: str, fullscreen: bool = False,
                display: int = 0) -> Iterator[tuple[Window, Compositor]]:
    """A window (cursor shown) of `size` and a compositor scaling a stage of `size` to it;
    both closed on exit."""
    from performance.adapters.window import Window
    from performance.render.context import Compositor, context_from_current_window

    with contextlib.ExitStack() as stack:
        window = Window(size, fullscreen=fullscreen, display=display, hide_cursor=False,
                        title=title)
        stack.callback(window.close)
        ctx = context_from_current_window()
        comp = Compositor(ctx, size, output=ctx.screen, composite=True)
        stack.callback(comp.release)
        comp.resize(window.size)
        yield window, comp


def run_tool(tool: Tool, window: Window, comp: Compositor, *, frame_seconds: float,
             say: Callable[[str], None] = print,
             clock: Callable[[], float] = time.monotonic,
             sleep: Callable[[float], None] = time.sleep) -> int:
    """The tool's frame loop until it quits (Escape, the window's close); the saves made.
    `clock` and `sleep` only pace the frames."""
    from performance.adapters.window import QUIT, RESIZED

    saves = 0
    while True:
        started = clock()
        steps: list[Step] = []
        for event in window.input_events():
            if event.kind == RESIZED:
                comp.resize(window.size)
            elif event.kind in (QUIT, "key"):
                steps.append(tool.key("quit" if event.kind == QUIT else event.key))
            else:
                tool.pointer(event, window.size)
        steps += tool.poll()
        if Step.SAVE in steps:
            written, note = tool.save()
            saves += written
            say(f"essence: {note}")
        if Step.WARN in steps:
            say(f"essence: {tool.warn()}")
        if Step.QUIT in steps:
            return saves
        tool.update(comp)
        with comp.drawing():
            pass  # the stage target already holds the picture
        comp.begin()
        window.flip()
        sleep(max(0.0, frame_seconds - (clock() - started)))
