"""The camera calibration: which camera, how its picture is turned and cut, and which parts
of it count (ignore zones, a performer zone), read from and written to a
`calibration/<venue>-camera.toml` file (kind "camera", schema 1; docs/venue.md).

The picture perception reads is the camera's image mirrored (left-right) when `mirror`,
flipped (top-bottom) when `flip`, then turned clockwise by `rotation` degrees, then cut to
`crop`. The crop is normalised to the turned picture; the zones are normalised to the
*final* picture (after the crop): (0, 0) its top-left, (1, 1) its bottom-right, the space
of the faces' boxes and of the operator preview.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path
from typing import Any

from performance.venue.calfile import (
    Fields,
    Migration,
    load_calibration,
    save_calibration,
)
from performance.venue.polygon import Polygon, polygon_problem

KIND = "camera"
SCHEMA = 1
MIGRATIONS: dict[int, Migration] = {}  # schema 1 is the first
ZONE_POINTS = (3, 64)  # a zone polygon's fewest and most points
MAX_ZONES = 32
MIN_CROP = 0.05  # the smallest crop side, of the picture
SIDE_LIMIT = 8192
FPS_LIMIT = 240.0


class Rotation(IntEnum):
    """A clockwise quarter turn of the camera picture, in degrees."""

    NONE = 0
    CW90 = 90
    HALF = 180
    CW270 = 270

    def next(self) -> Rotation:
        """The next quarter turn clockwise."""
        return Rotation((self.value + 90) % 360)


@dataclass(frozen=True)
class Crop:
    """A normalised rectangle of the turned picture (x0 < x1, y0 < y1, inside [0, 1])."""

    x0: float = 0.0
    y0: float = 0.0
    x1: float = 1.0
    y1: float = 1.0

    @property
    def is_full(self) -> bool:
        return (self.x0, self.y0, self.x1, self.y1) == (0.0, 0.0, 1.0, 1.0)

    def pixels(self, width: int, height: int) -> tuple[int, int, int, int]:
        """(left, top, right, bottom) in pixels of a `width` x `height` picture (never empty)."""
        left, top = round(self.x0 * width), round(self.y0 * height)
        right = max(round(self.x1 * width), left + 1)
        bottom = max(round(self.y1 * height), top + 1)
        return left, top, min(right, width), min(bottom, height)


@dataclass(frozen=True)
class CameraCalibration:
    """How one venue's camera is opened and read (see the module docstring).

    `device`: the camera's index or a fragment of its name ("" = the command's input);
    `width`, `height`, `fps`: what to ask the camera for (0 = its default).
    """

    device: str = ""
    width: int = 0
    height: int = 0
    fps: float = 0.0
    mirror: bool = False
    flip: bool = False
    rotation: Rotation = Rotation.NONE
    crop: Crop = field(default_factory=Crop)
    ignore_zones: tuple[Polygon, ...] = ()
    performer_zone: Polygon | None = None

    @property
    def changes_picture(self) -> bool:
        """Whether the frames are transformed at all (identity: they are not touched)."""
        return self.mirror or self.flip or self.rotation is not Rotation.NONE or \
            not self.crop.is_full

    @property
    def has_zones(self) -> bool:
        return bool(self.ignore_zones) or self.performer_zone is not None


def load_camera(path: Path) -> CameraCalibration:
    """The camera calibration in `path`; CalibrationError (one line naming file and key)
    for anything wrong in it."""
    data = load_calibration(path, KIND, SCHEMA, MIGRATIONS)
    top = Fields(path, data)
    top.unknown({"camera", "picture", "crop", "zones"})
    cam = top.sub("camera", {})
    cam.unknown({"device", "width", "height", "fps"})
    pic = top.sub("picture", {})
    pic.unknown({"mirror", "flip", "rotation"})
    rotation = pic.integer("rotation", 0, low=0, high=270)
    if rotation not in tuple(Rotation):
        raise pic.fail("rotation", f"must be 0, 90, 180 or 270, got {rotation}")
    crop = _crop(top.sub("crop", {}))
    zones = top.sub("zones", {})
    zones.unknown({"ignore", "performer"})
    return CameraCalibration(
        device=_device(cam),
        width=cam.integer("width", 0, low=0, high=SIDE_LIMIT),
        height=cam.integer("height", 0, low=0, high=SIDE_LIMIT),
        fps=cam.number("fps", 0.0, low=0.0, high=FPS_LIMIT),
        mirror=pic.flag("mirror", False), flip=pic.flag("flip", False),
        rotation=Rotation(rotation), crop=crop,
        ignore_zones=_ignore_zones(zones),
        performer_zone=(_polygon(zones, "performer") if "performer" in zones.table
                        else None),
    )


def save_camera(path: Path, calibration: CameraCalibration) -> None:
    """Write `calibration` to `path` atomically (the good file stays on a failed save)."""
    save_calibration(path, KIND, SCHEMA, camera_body(calibration),
                     header="Essence rig camera calibration (essence calibrate camera)\n"
                            "zones: [x, y] of the final picture (after mirror, flip, "
                            "rotation, crop), 0-1")


def camera_body(cal: CameraCalibration) -> dict[str, Any]:
    """The tables of a camera calibration file (without kind and schema)."""
    zones: dict[str, Any] = {"ignore": [[list(p) for p in zone] for zone in cal.ignore_zones]}
    if cal.performer_zone is not None:
        zones["performer"] = [list(p) for p in cal.performer_zone]
    c = cal.crop
    return {
        "camera": {"device": cal.device, "width": cal.width, "height": cal.height,
                   "fps": cal.fps},
        "picture": {"mirror": cal.mirror, "flip": cal.flip, "rotation": int(cal.rotation)},
        "crop": {"x0": c.x0, "y0": c.y0, "x1": c.x1, "y1": c.y1},
        "zones": zones,
    }


def _device(cam: Fields) -> str:
    raw = cam.table.get("device", "")
    if isinstance(raw, int) and not isinstance(raw, bool) and raw >= 0:
        return str(raw)
    return cam.text("device", "").strip()


def _crop(table: Fields) -> Crop:
    table.unknown({"x0", "y0", "x1", "y1"})
    x0, y0 = table.number("x0", 0.0, low=0, high=1), table.number("y0", 0.0, low=0, high=1)
    x1, y1 = table.number("x1", 1.0, low=0, high=1), table.number("y1", 1.0, low=0, high=1)
    if x1 - x0 < MIN_CROP:
        raise table.fail("x1", f"= {x1} must be at least {MIN_CROP} right of x0 = {x0}")
    if y1 - y0 < MIN_CROP:
        raise table.fail("y1", f"= {y1} must be at least {MIN_CROP} below y0 = {y0}")
    return Crop(x0, y0, x1, y1)


def _ignore_zones(zones: Fields) -> tuple[Polygon, ...]:
    raw = zones.table.get("ignore", [])
    if not isinstance(raw, list):
        raise zones.fail("ignore", "must be a list of polygons (lists of [x, y] points)")
    if len(raw) > MAX_ZONES:
        raise zones.fail("ignore", f"has {len(raw)} zones, at most {MAX_ZONES}")
    out = []
    for i, zone in enumerate(raw):
        name = f"ignore[{i + 1}]"  # errors name the zone: zones.ignore[2]
        out.append(_polygon(Fields(zones.path, {name: zone}, zones.where), name))
    return tuple(out)


def _polygon(table: Fields, name: str) -> Polygon:
    low, high = ZONE_POINTS
    points = table.points(name, at_least=low, low=0.0, high=1.0)
    if len(points) > high:
        raise table.fail(name, f"has {len(points)} points, at most {high}")
    problem = polygon_problem(points)
    if problem is not None:
        raise table.fail(name, problem)
    return tuple(points)
