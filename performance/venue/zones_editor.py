"""The camera calibration tool's logic, apart from any window (`essence calibrate camera`):
what a key or a click does to the calibration, the polygon being drawn, whether there is
anything unsaved. Pure: every function returns a new `ZoneEditor`.

Clicks arrive in normalised coordinates of the *turned* picture (mirror, flip and rotation
applied, not the crop): the tool shows the whole turned picture with the crop drawn on it.
Zone points are stored in the final picture's space (inside the crop), as the file keeps
them (venue/camera.py).

Keys (names as performance/adapters/window.py gives them): M mirror, F flip, R rotate a
quarter turn clockwise (set these before drawing zones: zones stay where they are in the
picture); click adds a point to the zone being drawn; Enter closes it (3 points or more);
Backspace removes the last point, or with none drawn the last zone (of the kind being
drawn); P switches between drawing ignore zones and the performer zone (one; a new one
replaces it); C starts a crop (the next two clicks are its corners; C again clears it);
S saves; Escape quits (with unsaved changes the first Escape only warns).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from performance.venue.camera import (
    MAX_ZONES,
    MIN_CROP,
    ZONE_POINTS,
    CameraCalibration,
    Crop,
)
from performance.venue.polygon import Point, polygon_problem


class Drawing(StrEnum):
    """What clicks draw."""

    IGNORE = "ignore zone"
    PERFORMER = "performer zone"
    CROP = "crop"


class Action(StrEnum):
    """What the tool must do after a key."""

    NONE = "none"
    SAVE = "save"
    WARN = "warn"  # Escape with unsaved changes: say so, quit on the next one
    QUIT = "quit"


@dataclass(frozen=True)
class ZoneEditor:
    """The calibration being edited, the points of the polygon being drawn (final-picture
    space; for a crop, turned-picture space), what clicks draw, and a note for the operator."""

    calibration: CameraCalibration
    points: tuple[Point, ...] = ()
    drawing: Drawing = Drawing.IGNORE
    changed: bool = False
    warned: bool = False
    note: str = ""

    def status(self) -> str:
        """One line for the operator."""
        cal = self.calibration
        turn = (f"mirror {'on' if cal.mirror else 'off'}, flip {'on' if cal.flip else 'off'}, "
                f"rotation {int(cal.rotation)}")
        zones = f"{len(cal.ignore_zones)} ignore zone(s), performer zone " + (
            "set" if cal.performer_zone is not None else "none")
        drawing = f"drawing {self.drawing.value}" + (
            f" ({len(self.points)} point(s))" if self.points else "")
        unsaved = " | unsaved" if self.changed else ""
        return f"{turn} | {zones} | {drawing}{unsaved}" + (f" | {self.note}" if self.note
                                                            else "")


def start(calibration: CameraCalibration) -> ZoneEditor:
    """An editor on `calibration` (nothing unsaved)."""
    return ZoneEditor(calibration)


def to_final(crop: Crop, point: Point) -> Point:
    """A turned-picture point in the final (cropped) picture's space, clamped to it."""
    x = (point[0] - crop.x0) / (crop.x1 - crop.x0)
    y = (point[1] - crop.y0) / (crop.y1 - crop.y0)
    return (min(max(x, 0.0), 1.0), min(max(y, 0.0), 1.0))


def to_turned(crop: Crop, point: Point) -> Point:
    """A final-picture point in the turned picture's space (where the tool shows it)."""
    return (crop.x0 + point[0] * (crop.x1 - crop.x0), crop.y0 + point[1] * (crop.y1 - crop.y0))


def click(state: ZoneEditor, point: Point) -> ZoneEditor:
    """A click at `point` (normalised, turned picture): one more point of what is drawn."""
    p = (min(max(point[0], 0.0), 1.0), min(max(point[1], 0.0), 1.0))
    if state.drawing is Drawing.CROP:
        if not state.points:
            return replace(state, points=(p,), note="crop: click the opposite corner")
        (ax, ay) = state.points[0]
        x0, x1, y0, y1 = min(ax, p[0]), max(ax, p[0]), min(ay, p[1]), max(ay, p[1])
        if x1 - x0 < MIN_CROP or y1 - y0 < MIN_CROP:
            return replace(state, points=(), note="crop too small: click two corners again")
        cal = replace(state.calibration, crop=Crop(x0, y0, x1, y1))
        return replace(state, calibration=cal, points=(), drawing=Drawing.IGNORE,
                       changed=True, warned=False, note="crop set")
    if len(state.points) >= ZONE_POINTS[1]:
        return replace(state, note=f"a zone has at most {ZONE_POINTS[1]} points: Enter closes")
    return replace(state, points=(*state.points, to_final(state.calibration.crop, p)),
                   note="")


def press(state: ZoneEditor, key: str) -> tuple[ZoneEditor, Action]:
    """What `key` does (see the module docstring)."""
    cal = state.calibration
    if key in ("escape", "quit"):
        if state.changed and not state.warned and key == "escape":
            return replace(state, warned=True, note="unsaved: S saves, Esc again quits"
                           ), Action.WARN
        return state, Action.QUIT
    if key == "s":
        return state, Action.SAVE
    if key == "m":
        return _changed(state, replace(cal, mirror=not cal.mirror)), Action.NONE
    if key == "f":
        return _changed(state, replace(cal, flip=not cal.flip)), Action.NONE
    if key == "r":
        return _changed(state, replace(cal, rotation=cal.rotation.next())), Action.NONE
    if key == "p":
        drawing = Drawing.IGNORE if state.drawing is Drawing.PERFORMER else Drawing.PERFORMER
        return replace(state, drawing=drawing, points=(), note=""), Action.NONE
    if key == "c":
        if state.drawing is Drawing.CROP or not cal.crop.is_full:
            return replace(_changed(state, replace(cal, crop=Crop())), drawing=Drawing.IGNORE,
                           points=(), note="crop cleared"), Action.NONE
        return replace(state, drawing=Drawing.CROP, points=(),
                       note="crop: click one corner"), Action.NONE
    if key in ("return", "enter", "keypad enter"):
        return close_zone(state), Action.NONE
    if key == "backspace":
        return backspace(state), Action.NONE
    return state, Action.NONE


def close_zone(state: ZoneEditor) -> ZoneEditor:
    """The polygon being drawn becomes a zone (an ignore zone, or the performer zone)."""
    points = state.points
    if state.drawing is Drawing.CROP:
        return state
    if len(points) < ZONE_POINTS[0]:
        return replace(state, note=f"a zone needs {ZONE_POINTS[0]} points or more")
    problem = polygon_problem(points)
    if problem is not None:
        return replace(state, points=(), note=f"that zone {problem}: draw again")
    cal = state.calibration
    if state.drawing is Drawing.PERFORMER:
        cal = replace(cal, performer_zone=points)
    elif len(cal.ignore_zones) >= MAX_ZONES:
        return replace(state, note=f"at most {MAX_ZONES} ignore zones")
    else:
        cal = replace(cal, ignore_zones=(*cal.ignore_zones, points))
    return replace(_changed(state, cal), points=(), note=f"{state.drawing.value} added")


def backspace(state: ZoneEditor) -> ZoneEditor:
    """Remove the last point drawn, or with none the last zone of the kind being drawn."""
    if state.points:
        return replace(state, points=state.points[:-1], note="")
    cal = state.calibration
    if state.drawing is Drawing.PERFORMER and cal.performer_zone is not None:
        return replace(_changed(state, replace(cal, performer_zone=None)),
                       note="performer zone removed")
    if state.drawing is Drawing.IGNORE and cal.ignore_zones:
        return replace(_changed(state, replace(cal, ignore_zones=cal.ignore_zones[:-1])),
                       note="ignore zone removed")
    return state


def saved(state: ZoneEditor) -> ZoneEditor:
    """After a successful save: nothing unsaved."""
    return replace(state, changed=False, warned=False)


def _changed(state: ZoneEditor, calibration: CameraCalibration) -> ZoneEditor:
    return replace(state, calibration=calibration, changed=True, warned=False, note="")
