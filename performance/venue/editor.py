"""The projector mapping editor's logic, apart from any window: which corner or mesh node
is selected, what a key, a mouse drag or an OSC message does to the calibration, clamping,
and whether there is anything unsaved. Pure: every function returns a new `Editor`.

Keys (names as performance/adapters/window.py gives them; "shift+" is added for Shift):
1-4 select a corner (1 top-left, 2 top-right, 3 bottom-right, 4 bottom-left), a left-button
drag moves the nearest corner (in mesh editing: the nearest mesh node), Tab the next
(Shift+Tab the previous) corner or mesh node; arrows move it by one output pixel (Shift:
ten); M toggles mesh editing; E picks the next soft edge, - and = narrow and widen it;
[ and ] dim and brighten, ; and ' lower and raise gamma; R resets the selection; S saves;
Escape quits (with unsaved changes the first Escape only warns).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from performance.venue.homography import UNIT_SQUARE, Point, apply, is_convex, square_to_quad
from performance.venue.projector import (
    BRIGHTNESS_RANGE,
    CORNER_RANGE,
    EDGE_RANGE,
    GAMMA_RANGE,
    OFFSET_RANGE,
    Corners,
    Mesh,
    ProjectorCalibration,
)

FINE_PIXELS = 1  # an arrow press moves this many output pixels
COARSE_PIXELS = 10  # with Shift
EDGE_STEP = 0.01  # of the output, per - or =
BRIGHTNESS_STEP = 0.05
GAMMA_STEP = 0.05
GRAB_RADIUS = 0.08  # a mouse press this close (of the output) to a corner or node grabs it
SIDES = ("left", "right", "top", "bottom")
ARROWS = {"left": (-1, 0), "right": (1, 0), "up": (0, -1), "down": (0, 1)}


class Mode(StrEnum):
    """What the arrows move."""

    CORNERS = "corners"
    MESH = "mesh"


class Action(StrEnum):
    """What the tool does after an input besides showing the new calibration."""

    NONE = "none"
    SAVE = "save"
    QUIT = "quit"
    WARN = "warn"  # Escape with unsaved changes: say so, quit on the next Escape


@dataclass(frozen=True)
class Editor:
    """The calibration being edited and what is selected. `saved`: the one on disk."""

    calibration: ProjectorCalibration
    saved: ProjectorCalibration
    mesh_size: tuple[int, int] = (5, 5)  # the mesh made when mesh editing first starts
    mode: Mode = Mode.CORNERS
    corner: int = 0  # 0..3
    node: int = 0  # row-major index into the mesh
    edge: int = 0  # index into SIDES
    dragging: bool = False
    warned: bool = False

    @property
    def changed(self) -> bool:
        return self.calibration != self.saved

    def status(self) -> str:
        """One line for the test grid: what is selected and the values."""
        cal = self.calibration
        if self.mode is Mode.MESH and cal.mesh is not None:
            col, row = divmod(self.node, cal.mesh.columns)[::-1]
            where = f"mesh node {col + 1},{row + 1} of {cal.mesh.columns}x{cal.mesh.rows}"
        else:
            x, y = cal.corners[self.corner]
            where = f"corner {self.corner + 1} at {x:.4f}, {y:.4f}"
        side = SIDES[self.edge]
        return (f"{where} | edge {side} {getattr(cal.edges, side):.2f} | brightness "
                f"{cal.brightness:.2f} gamma {cal.gamma:.2f}" + (" | unsaved" if self.changed
                                                                 else ""))


def start(calibration: ProjectorCalibration, mesh_size: tuple[int, int] = (5, 5)) -> Editor:
    """An editor on `calibration` (taken as saved)."""
    return Editor(calibration=calibration, saved=calibration, mesh_size=mesh_size)


def saved(editor: Editor) -> Editor:
    """The editor after its calibration was written."""
    return replace(editor, saved=editor.calibration, warned=False)


def _clamp(value: float, low: float, high: float) -> float:
    return min(high, max(low, value))


def set_corner(editor: Editor, index: int, point: Point) -> Editor:
    """Corner `index` (0..3) at `point`, clamped; a move that would fold the quad is
    refused (the corner stays)."""
    low, high = CORNER_RANGE
    x, y = _clamp(point[0], low, high), _clamp(point[1], low, high)
    corners = list(editor.calibration.corners)
    corners[index] = (x, y)
    if not is_convex(corners):
        return editor
    new: Corners = (corners[0], corners[1], corners[2], corners[3])
    return _with(editor, replace(editor.calibration, corners=new))


def set_node(editor: Editor, column: int, row: int, offset: Point) -> Editor:
    """Mesh node (column, row) at `offset` (clamped); makes the mesh when there is none."""
    cal = editor.calibration
    mesh = cal.mesh or Mesh.flat(*editor.mesh_size)
    if not (0 <= column < mesh.columns and 0 <= row < mesh.rows):
        return editor
    low, high = OFFSET_RANGE
    moved = mesh.moved(column, row, (_clamp(offset[0], low, high), _clamp(offset[1], low, high)))
    return _with(editor, replace(cal, mesh=moved))


def _with(editor: Editor, cal: ProjectorCalibration) -> Editor:
    return replace(editor, calibration=cal, warned=False)


def _step(editor: Editor, key: str) -> Editor:
    coarse = key.startswith("shift+")
    dx, dy = ARROWS[key.removeprefix("shift+")]
    pixels = COARSE_PIXELS if coarse else FINE_PIXELS
    w, h = editor.calibration.size
    move = (dx * pixels / w, dy * pixels / h)
    if editor.mode is Mode.MESH:
        mesh = editor.calibration.mesh or Mesh.flat(*editor.mesh_size)
        row, col = divmod(editor.node, mesh.columns)
        ox, oy = mesh.offset(col, row)
        return set_node(editor, col, row, (ox + move[0], oy + move[1]))
    x, y = editor.calibration.corners[editor.corner]
    return set_corner(editor, editor.corner, (x + move[0], y + move[1]))


def press(editor: Editor, key: str) -> tuple[Editor, Action]:
    """What key `key` does."""
    cal = editor.calibration
    base = key.removeprefix("shift+")
    if base in ARROWS:
        return _step(editor, key), Action.NONE
    if key in ("1", "2", "3", "4"):
        return replace(editor, mode=Mode.CORNERS, corner=int(key) - 1), Action.NONE
    if base == "tab":
        back = -1 if key.startswith("shift+") else 1
        if editor.mode is Mode.MESH:
            count = cal.mesh.columns * cal.mesh.rows if cal.mesh else 1
            return replace(editor, node=(editor.node + back) % count), Action.NONE
        return replace(editor, corner=(editor.corner + back) % 4), Action.NONE
    if key == "m":
        if editor.mode is Mode.MESH:
            return replace(editor, mode=Mode.CORNERS), Action.NONE
        mesh = cal.mesh or Mesh.flat(*editor.mesh_size)
        centre = (mesh.rows // 2) * mesh.columns + mesh.columns // 2
        node = editor.node if cal.mesh is not None else centre
        return replace(_with(editor, replace(cal, mesh=mesh)) if cal.mesh is None else editor,
                       mode=Mode.MESH, node=node), Action.NONE
    if key == "e":
        return replace(editor, edge=(editor.edge + 1) % 4), Action.NONE
    if key in ("minus", "-", "equals", "="):
        side = SIDES[editor.edge]
        sign = 1 if key in ("equals", "=") else -1
        width = _clamp(round(getattr(cal.edges, side) + sign * EDGE_STEP, 4), *EDGE_RANGE)
        return _with(editor, replace(cal, edges=replace(cal.edges, **{side: width}))), Action.NONE
    if key in ("[", "]", "leftbracket", "rightbracket"):
        sign = 1 if key in ("]", "rightbracket") else -1
        value = _clamp(round(cal.brightness + sign * BRIGHTNESS_STEP, 4), *BRIGHTNESS_RANGE)
        return _with(editor, replace(cal, brightness=value)), Action.NONE
    if key in (";", "'", "semicolon", "quote"):
        sign = 1 if key in ("'", "quote") else -1
        value = _clamp(round(cal.gamma + sign * GAMMA_STEP, 4), *GAMMA_RANGE)
        return _with(editor, replace(cal, gamma=value)), Action.NONE
    if key == "r":
        if editor.mode is Mode.MESH and cal.mesh is not None:
            row, col = divmod(editor.node, cal.mesh.columns)
            return set_node(editor, col, row, (0.0, 0.0)), Action.NONE
        return set_corner(editor, editor.corner, UNIT_SQUARE[editor.corner]), Action.NONE
    if key == "s":
        return editor, Action.SAVE
    if key in ("escape", "quit"):
        if editor.changed and not editor.warned:
            return replace(editor, warned=True), Action.WARN
        return editor, Action.QUIT
    return editor, Action.NONE


def node_positions(cal: ProjectorCalibration) -> list[Point]:
    """Where each mesh node (row-major) shows on the output: the corner-pin's image of the
    node's place in the picture plus its offset. Empty without a mesh."""
    mesh = cal.mesh
    if mesh is None:
        return []
    pinned = apply(square_to_quad(cal.corners), mesh.places())
    return [(float(x) + dx, float(y) + dy) for (x, y), (dx, dy) in zip(pinned, mesh.offsets,
                                                                         strict=True)]


def _nearest(points: list[Point], point: Point) -> int | None:
    """The index of the point in `points` nearest `point` within GRAB_RADIUS, else None."""
    distances = [((x - point[0]) ** 2 + (y - point[1]) ** 2) ** 0.5 for x, y in points]
    if not distances:
        return None
    nearest = min(range(len(points)), key=distances.__getitem__)
    return nearest if distances[nearest] <= GRAB_RADIUS else None


def mouse_down(editor: Editor, point: Point) -> Editor:
    """A press at `point` (normalised output coordinates) grabs the nearest corner (in mesh
    editing: mesh node) within GRAB_RADIUS and selects it; elsewhere nothing is grabbed."""
    cal = editor.calibration
    if editor.mode is Mode.MESH and cal.mesh is not None:
        node = _nearest(node_positions(cal), point)
        if node is None:
            return replace(editor, dragging=False)
        return replace(editor, node=node, dragging=True)
    corner = _nearest(list(cal.corners), point)
    if corner is None:
        return replace(editor, dragging=False)
    return replace(editor, mode=Mode.CORNERS, corner=corner, dragging=True)


def mouse_move(editor: Editor, point: Point) -> Editor:
    """While dragging, the grabbed corner or mesh node follows the pointer (clamped; a
    corner never folds the quad)."""
    if not editor.dragging:
        return editor
    cal = editor.calibration
    if editor.mode is Mode.MESH and cal.mesh is not None:
        row, col = divmod(editor.node, cal.mesh.columns)
        ox, oy = cal.mesh.offset(col, row)
        x, y = node_positions(cal)[editor.node]
        return set_node(editor, col, row, (ox + point[0] - x, oy + point[1] - y))
    return set_corner(editor, editor.corner, point)


def mouse_up(editor: Editor) -> Editor:
    return replace(editor, dragging=False)


def osc(editor: Editor, address: str, args: tuple[object, ...]) -> tuple[Editor, Action]:
    """An OSC message from a tablet (docs/venue.md): `/essence/calibrate/corner n x y`,
    `/select n`, `/mesh column row dx dy` (1-based), `/edge side width`, `/brightness v`,
    `/gamma v`, `/save`, `/quit`. Anything malformed changes nothing."""
    name = address.removeprefix("/essence/calibrate/")
    nums = [float(a) for a in args if isinstance(a, int | float) and not isinstance(a, bool)]
    cal = editor.calibration
    if name == "corner" and len(nums) == 3 and 1 <= nums[0] <= 4:
        index = int(nums[0]) - 1
        return replace(set_corner(editor, index, (nums[1], nums[2])), corner=index), Action.NONE
    if name == "select" and len(nums) == 1 and 1 <= nums[0] <= 4:
        return replace(editor, mode=Mode.CORNERS, corner=int(nums[0]) - 1), Action.NONE
    if name == "mesh" and len(nums) == 4:
        return set_node(editor, int(nums[0]) - 1, int(nums[1]) - 1,
                        (nums[2], nums[3])), Action.NONE
    if name == "edge" and len(args) == 2 and args[0] in SIDES and len(nums) == 1:
        width = _clamp(nums[0], *EDGE_RANGE)
        edges = replace(cal.edges, **{str(args[0]): width})
        return _with(editor, replace(cal, edges=edges)), Action.NONE
    if name == "brightness" and len(nums) == 1:
        return _with(editor, replace(cal, brightness=_clamp(nums[0], *BRIGHTNESS_RANGE))
                     ), Action.NONE
    if name == "gamma" and len(nums) == 1:
        return _with(editor, replace(cal, gamma=_clamp(nums[0], *GAMMA_RANGE))), Action.NONE
    if name == "save":
        return editor, Action.SAVE
    if name == "quit":
        return editor, Action.QUIT
    return editor, Action.NONE
