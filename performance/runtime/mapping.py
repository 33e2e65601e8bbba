"""The projector mapping tool's loop (`essence calibrate projector`): a test grid on the
output, shown through the calibration being edited, keys and the mouse (and OSC from a
tablet) editing it through venue/editor.py, S saving it atomically.

The grid names the output and its resolution and numbers the corners 1-4; a status line
says what is selected. OSC (docs/venue.md): a small non-blocking UDP listener on the rig's
OSC port takes `/essence/calibrate/...` messages (parsed with control/wire.py); nothing
blocks the frame loop.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from performance.control.wire import WireError, parse_packet
from performance.core.errors import OutputError
from performance.operator.preview import text_panel
from performance.venue import editor as ed
from performance.venue.projector import ProjectorCalibration, save_projector

if TYPE_CHECKING:
    from performance.adapters.window import Window
    from performance.render.context import Compositor

log = logging.getLogger(__name__)

OSC_PREFIX = "/essence/calibrate/"
FRAME_SECONDS = 1 / 60  # the tool's frame pacing (it draws only the grid)
GRID_CELLS = 16  # grid squares across the output's width
WHITE = (255, 255, 255, 255)
YELLOW = (255, 220, 0, 255)
GREEN = (60, 255, 90, 255)


@dataclass(frozen=True)
class MappingOptions:
    """What the tool edits and where it saves."""

    calibration: ProjectorCalibration
    out: Path
    display: int = 0
    fullscreen: bool = True
    mesh_size: tuple[int, int] = (5, 5)
    osc_host: str = "127.0.0.1"
    osc_port: int = 0  # 0: no OSC


@dataclass(frozen=True)
class MappingResult:
    calibration: ProjectorCalibration
    saves: int
    unsaved: bool


def _paste(image: np.ndarray, panel: np.ndarray, x: int, y: int) -> None:
    """Alpha-blend an RGBA `panel` onto RGB `image` at (x, y), clipped to the image."""
    h, w = image.shape[:2]
    x0, y0 = max(0, x), max(0, y)
    x1, y1 = min(w, x + panel.shape[1]), min(h, y + panel.shape[0])
    if x1 <= x0 or y1 <= y0:
        return
    part = panel[y0 - y:y1 - y, x0 - x:x1 - x].astype(np.float32)
    alpha = part[..., 3:4] / 255.0
    under = image[y0:y1, x0:x1].astype(np.float32)
    image[y0:y1, x0:x1] = (part[..., :3] * alpha + under * (1 - alpha)).astype(np.uint8)


def _big(panel: np.ndarray, factor: int) -> np.ndarray:
    return np.repeat(np.repeat(panel, factor, axis=0), factor, axis=1)


def grid_image(cal: ProjectorCalibration, status: str = "", selected: int | None = None
               ) -> np.ndarray:
    """The test grid at the output's resolution, (H, W, 3) uint8, row 0 at the top: a grid,
    the border, centre cross and circle, the output's name and resolution in the middle, the
    corner numbers 1-4 in their corners (the `selected` one, 0-3, in green) and `status`
    along the bottom."""
    w, h = cal.size
    image = np.full((h, w, 3), 24, np.uint8)
    cell = max(4, w // GRID_CELLS)
    image[::cell, :] = 140
    image[:, ::cell] = 140
    image[h // 2 - 1:h // 2 + 1, :] = 255
    image[:, w // 2 - 1:w // 2 + 1] = 255
    image[:3, :] = image[-3:, :] = 255
    image[:, :3] = image[:, -3:] = 255
    ys, xs = np.ogrid[:h, :w]
    ring = np.abs(np.hypot(xs - w / 2, ys - h / 2) - min(w, h) / 4) < 1.5
    image[ring] = 255
    factor = max(1, min(w, h) // 240)
    title = text_panel([(cal.output, WHITE), (f"{w}x{h}", WHITE)], 150)
    title = _big(title, factor)
    _paste(image, title, w // 2 - title.shape[1] // 2, h // 2 - title.shape[0] - 8)
    margin = 8 * factor
    for number, (cx, cy) in enumerate(((0, 0), (1, 0), (1, 1), (0, 1)), start=1):
        colour = GREEN if selected == number - 1 else YELLOW
        label = _big(text_panel([(str(number), colour)], 24), 2 * factor)
        x = margin if cx == 0 else w - margin - label.shape[1]
        y = margin if cy == 0 else h - margin - label.shape[0]
        _paste(image, label, x, y)
    if status:
        line = text_panel([(status, WHITE)], min(w - 2 * margin, 8 * len(status) + 16))
        _paste(image, line, margin + 60 * factor, h - margin - line.shape[0])
    return image


class OscListener:
    """A non-blocking UDP socket for the tablet's `/essence/calibrate/...` messages."""

    def __init__(self, host: str, port: int) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.sock.setblocking(False)

    def poll(self) -> list[tuple[str, tuple[object, ...]]]:
        out: list[tuple[str, tuple[object, ...]]] = []
        while True:
            try:
                data = self.sock.recv(8192)
            except (BlockingIOError, InterruptedError):
                return out
            except OSError as exc:
                log.warning("OSC: %s", exc)
                return out
            try:
                messages = parse_packet(data)
            except WireError as exc:
                log.info("OSC packet ignored (%s)", exc)
                continue
            out += [(m.address, tuple(m.args)) for m in messages
                    if m.address.startswith(OSC_PREFIX)]

    def close(self) -> None:
        self.sock.close()


def run_mapping(options: MappingOptions, *, say: Callable[[str], None] = print
                ) -> MappingResult:
    """Open the output and edit the calibration until Escape (or the window's close)."""
    from performance.adapters.window import Window
    from performance.render.context import Compositor, context_from_current_window

    cal = options.calibration
    stack = contextlib.ExitStack()
    window = Window(cal.size, fullscreen=options.fullscreen, display=options.display,
                    hide_cursor=False, title=f"Essence projector mapping: {cal.output}")
    stack.callback(window.close)
    listener = None
    with stack:
        if options.osc_port:
            try:
                listener = OscListener(options.osc_host, options.osc_port)
            except OSError as exc:  # the port is taken (a show running?): map without OSC
                say(f"essence: OSC off, cannot listen on {options.osc_host}:"
                    f"{options.osc_port} ({exc.strerror or exc})")
            else:
                stack.callback(listener.close)
                say(f"essence: OSC on udp {options.osc_host}:{options.osc_port} "
                    f"({OSC_PREFIX}...)")
        ctx = context_from_current_window()
        comp = Compositor(ctx, cal.size, output=ctx.screen, composite=True)
        stack.callback(comp.release)
        comp.resize(window.size)
        return _edit(options, window, comp, listener, say)


def _edit(options: MappingOptions, window: Window, comp: Compositor,
          listener: OscListener | None, say: Callable[[str], None]) -> MappingResult:
    """The tool's frame loop, until Escape or the window's close."""
    from performance.adapters.window import QUIT, RESIZED

    cal = options.calibration
    state = ed.start(cal, options.mesh_size)
    saves, shown, note = 0, "", ""
    while True:
        started = time.monotonic()
        actions: list[ed.Action] = []
        for event in window.input_events():
            size = window.size
            point = (event.position[0] / size[0], event.position[1] / size[1])
            if event.kind == QUIT:
                state, action = ed.press(state, "quit")
                actions.append(action)
            elif event.kind == RESIZED:
                comp.resize(window.size)
            elif event.kind == "key":
                state, action = ed.press(state, event.key)
                actions.append(action)
            elif event.kind == "down":
                state = ed.mouse_down(state, point)
            elif event.kind == "move":
                state = ed.mouse_move(state, point)
            elif event.kind == "up":
                state = ed.mouse_up(state)
        for address, args in listener.poll() if listener is not None else []:
            state, action = ed.osc(state, address, args)
            actions.append(action)
        if ed.Action.SAVE in actions:
            try:
                save_projector(options.out, state.calibration)  # atomic
            except OutputError as exc:  # the old file is as it was; keep editing
                note = f"NOT saved: {exc}"
            else:
                state = ed.saved(state)
                saves += 1
                note = f"saved {options.out}"
            say(f"essence: {note}")
        if ed.Action.WARN in actions:
            note = "unsaved changes: S saves, Esc again quits without saving"
            say(f"essence: {note}")
        if ed.Action.QUIT in actions:
            break
        status = state.status() + (f" | {note}" if note else "")
        if status != shown:  # the grid is rebuilt only when its text changes
            grid = grid_image(state.calibration, status,
                              state.corner if state.mode is ed.Mode.CORNERS else None)
            rgba = np.dstack([grid, np.full(grid.shape[:2], 255, np.uint8)])
            comp.stage.texture.write(np.ascontiguousarray(rgba[::-1]).tobytes())
            shown = status
        comp.set_calibration(state.calibration)
        with comp.drawing():
            pass  # the stage target already holds the grid
        comp.begin()
        window.flip()
        time.sleep(max(0.0, FRAME_SECONDS - (time.monotonic() - started)))
    return MappingResult(state.calibration, saves, state.changed)
