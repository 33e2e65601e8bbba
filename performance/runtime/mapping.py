"""The projector mapping tool (`essence calibrate projector`; its frame loop is
runtime/tool_window.py): a test grid on the output, shown through the calibration being
edited, keys and the mouse (and OSC from a tablet) editing it through venue/editor.py, S
saving it atomically.

The grid names the output and its resolution and numbers the corners 1-4; a status line
says what is selected. OSC (docs/venue.md): a small non-blocking UDP listener on the rig's
OSC port takes `/essence/calibrate/...` messages (parsed with control/wire.py); nothing
blocks the frame loop.
"""

from __future__ import annotations

import contextlib
import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from performance.control.wire import WireError, parse_packet
from performance.core.errors import OutputError
from performance.operator.preview import text_panel
from performance.runtime.tool_window import Step, run_tool, tool_window
from performance.venue import editor as ed
from performance.venue.homography import Point
from performance.venue.projector import ProjectorCalibration, save_projector

if TYPE_CHECKING:
    from performance.adapters.window import InputEvent
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


def grid_image(cal: ProjectorCalibration, status: str = "", selected: int | None = None,
               node: int | None = None) -> np.ndarray:
    """The test grid at the output's resolution, (H, W, 3) uint8, row 0 at the top: a grid,
    the border, centre cross and circle, the output's name and resolution in the middle, the
    corner numbers 1-4 in their corners (the `selected` one, 0-3, in green) and `status`
    along the bottom. With `node` (mesh editing), a dot on each of the calibration's mesh
    nodes (the selected one, row-major, in green): drawn on the picture, so the warp puts
    each where the node shows on the output."""
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
    if node is not None and cal.mesh is not None:
        _mark_nodes(image, cal.mesh.places(), node, factor)
    if status:
        line = text_panel([(status, WHITE)], min(w - 2 * margin, 8 * len(status) + 16))
        _paste(image, line, margin + 60 * factor, h - margin - line.shape[0])
    return image


def _mark_nodes(image: np.ndarray, places: list[Point], selected: int, factor: int) -> None:
    """Square dots (4 x `factor` + 1 pixels across) on the mesh nodes' `places` in the
    picture (Mesh.places), the `selected` one green."""
    h, w = image.shape[:2]
    half = 2 * factor
    for index, (u, v) in enumerate(places):
        x, y = round(u * (w - 1)), round(v * (h - 1))
        colour = GREEN if index == selected else YELLOW
        image[max(0, y - half):y + half + 1, max(0, x - half):x + half + 1] = colour[:3]


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
    cal = options.calibration
    with contextlib.ExitStack() as stack:
        window, comp = stack.enter_context(tool_window(
            cal.size, title=f"Essence projector mapping: {cal.output}",
            fullscreen=options.fullscreen, display=options.display))
        listener = None
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
        tool = MappingTool(options, listener)
        saves = run_tool(tool, window, comp, frame_seconds=FRAME_SECONDS, say=say)
    return MappingResult(tool.state.calibration, saves, tool.state.changed)


class MappingTool:
    """The projector tool's editing (venue/editor.py, keys, mouse and OSC) and its test grid,
    for `run_tool`."""

    def __init__(self, options: MappingOptions, listener: OscListener | None) -> None:
        self.options, self.listener = options, listener
        self.state = ed.start(options.calibration, options.mesh_size)
        self.note = ""  # the last save's or warning's line, after the status
        self.shown = ""  # the status the grid on the stage shows

    def key(self, key: str) -> Step:
        self.state, action = ed.press(self.state, key)
        return Step(action)

    def pointer(self, event: InputEvent, window: tuple[int, int]) -> None:
        point = (event.position[0] / window[0], event.position[1] / window[1])
        if event.kind == "down":
            self.state = ed.mouse_down(self.state, point)
        elif event.kind == "move":
            self.state = ed.mouse_move(self.state, point)
        elif event.kind == "up":
            self.state = ed.mouse_up(self.state)

    def poll(self) -> list[Step]:
        steps: list[Step] = []
        for address, args in self.listener.poll() if self.listener is not None else []:
            self.state, action = ed.osc(self.state, address, args)
            steps.append(Step(action))
        return steps

    def save(self) -> tuple[bool, str]:
        try:
            save_projector(self.options.out, self.state.calibration)  # atomic
        except OutputError as exc:  # the old file is as it was; keep editing
            self.note = f"NOT saved: {exc}"
            return False, self.note
        self.state = ed.saved(self.state)
        self.note = f"saved {self.options.out}"
        return True, self.note

    def warn(self) -> str:
        self.note = "unsaved changes: S saves, Esc again quits without saving"
        return self.note

    def update(self, comp: Compositor) -> None:
        state = self.state
        status = state.status() + (f" | {self.note}" if self.note else "")
        if status != self.shown:  # the grid is rebuilt only when its text changes
            mesh = state.mode is ed.Mode.MESH
            grid = grid_image(state.calibration, status, None if mesh else state.corner,
                              state.node if mesh else None)
            rgba = np.dstack([grid, np.full(grid.shape[:2], 255, np.uint8)])
            comp.stage.texture.write(np.ascontiguousarray(rgba[::-1]).tobytes())
            self.shown = status
        comp.set_calibration(state.calibration)
