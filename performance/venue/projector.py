"""The projector calibration: how the stage is fitted to a wall (corner-pin, mesh, soft
edges, mask, brightness/gamma), read from and written to `calibration/<venue>-<display>.toml`.

All positions are normalised output coordinates: (0, 0) the output's top-left, (1, 1) its
bottom-right. Corners are numbered 1-4: top-left, top-right, bottom-right, bottom-left (the
identity calibration puts them on the output's corners). The optional warp mesh is a grid of
`columns` x `rows` offsets (row-major, top row first) added, in output coordinates, to where
the corner-pin puts the stage's grid points: it bends the picture onto a curved or uneven
surface. The file format is documented in docs/venue.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from performance.venue.calfile import (
    CalibrationError,
    Fields,
    Migration,
    load_calibration,
    save_calibration,
)
from performance.venue.homography import UNIT_SQUARE, Point, is_convex
from performance.venue.polygon import polygon_problem

KIND = "projector"
SCHEMA = 1
MIGRATIONS: dict[int, Migration] = {}  # schema 1 is the first: nothing older to migrate
CALIBRATION_FOLDER = Path("calibration")
CORNER_RANGE = (-1.0, 2.0)  # a corner may be pinned off the output (a keystone overshoot)
OFFSET_RANGE = (-0.5, 0.5)  # a mesh offset, in output widths/heights
MESH_SIDES = (2, 33)  # columns and rows of a warp mesh
EDGE_RANGE = (0.0, 0.5)  # a soft edge's width, of the output
GAMMA_RANGE = (0.2, 5.0)
BRIGHTNESS_RANGE = (0.0, 2.0)
MASK_POINTS = (3, 64)  # a mask polygon's fewest and most points
SIDE_LIMIT = 16384

Corners = tuple[Point, Point, Point, Point]


@dataclass(frozen=True)
class Mesh:
    """A warp mesh: `columns` x `rows` offsets (row-major, top row first)."""

    columns: int
    rows: int
    offsets: tuple[Point, ...]

    @staticmethod
    def flat(columns: int, rows: int) -> Mesh:
        """A mesh that moves nothing."""
        return Mesh(columns, rows, ((0.0, 0.0),) * (columns * rows))

    def offset(self, column: int, row: int) -> Point:
        return self.offsets[row * self.columns + column]

    def moved(self, column: int, row: int, offset: Point) -> Mesh:
        """This mesh with node (column, row) at `offset`."""
        items = list(self.offsets)
        items[row * self.columns + column] = offset
        return replace(self, offsets=tuple(items))

    @property
    def is_flat(self) -> bool:
        return all(dx == 0.0 and dy == 0.0 for dx, dy in self.offsets)

    def places(self) -> list[Point]:
        """Each node's place in the picture (row-major, (0, 0) top-left to (1, 1)): where
        the corner-pin takes it from, before its offset."""
        return [(col / (self.columns - 1), row / (self.rows - 1))
                for row in range(self.rows) for col in range(self.columns)]


@dataclass(frozen=True)
class SoftEdges:
    """Feathered borders for blending projectors: width per side (of the output), and the
    ramp's gamma (1: linear)."""

    left: float = 0.0
    right: float = 0.0
    top: float = 0.0
    bottom: float = 0.0
    gamma: float = 1.0

    @property
    def none(self) -> bool:
        return self.left == self.right == self.top == self.bottom == 0.0


@dataclass(frozen=True)
class ProjectorCalibration:
    """One output's mapping. `brightness` scales the output, `gamma` bends it
    (out = brightness * in ** (1 / gamma)); `mask`: a polygon outside which is black."""

    output: str = "output"
    size: tuple[int, int] = (1920, 1080)
    venue: str = ""
    corners: Corners = UNIT_SQUARE
    mesh: Mesh | None = None
    edges: SoftEdges = field(default_factory=SoftEdges)
    mask: tuple[Point, ...] | None = None
    brightness: float = 1.0
    gamma: float = 1.0

    @property
    def is_identity(self) -> bool:
        """Whether applying it would change no pixel (the warp pass is then skipped)."""
        return (self.corners == UNIT_SQUARE and (self.mesh is None or self.mesh.is_flat)
                and self.edges.none and self.mask is None and self.brightness == 1.0
                and self.gamma == 1.0)


def identity(output: str = "output", size: tuple[int, int] = (1920, 1080), *,
             venue: str = "") -> ProjectorCalibration:
    """The calibration that changes nothing."""
    return ProjectorCalibration(output=output, size=size, venue=venue)


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.strip().lower()).strip("-")
    return slug or "venue"


def calibration_path(venue: str, display: int | str,
                     folder: Path = CALIBRATION_FOLDER) -> Path:
    """Where a venue's display calibration lives: `calibration/<venue>-display<N>.toml` (or
    `-<output name>` for a named output), names lower-cased and made file-safe."""
    tail = f"display{display}" if isinstance(display, int) else _slug(display)
    return folder / f"{_slug(venue)}-{tail}.toml"


def load_projector(path: Path) -> ProjectorCalibration:
    """The calibration in `path`; CalibrationError (one line naming file and key) when it is
    unreadable, of another kind, of an unreadable schema or has a bad value."""
    return from_document(path, load_calibration(path, KIND, SCHEMA, MIGRATIONS))


def save_projector(path: Path, cal: ProjectorCalibration) -> None:
    """Write `cal` to `path` atomically (a failed save leaves the previous file)."""
    header = ("Essence rig projector mapping (essence calibrate projector; docs/venue.md)\n"
              f"venue {cal.venue or '-'}, output {cal.output} {cal.size[0]}x{cal.size[1]}")
    save_calibration(path, KIND, SCHEMA, to_document(cal), header=header)


def to_document(cal: ProjectorCalibration) -> dict[str, Any]:
    """The TOML tables of `cal` (without kind/schema)."""
    doc: dict[str, Any] = {
        "output": {"name": cal.output, "size": list(cal.size), "venue": cal.venue},
        "corners": {"points": [list(p) for p in cal.corners]},
        "edges": {"left": cal.edges.left, "right": cal.edges.right, "top": cal.edges.top,
                  "bottom": cal.edges.bottom, "gamma": cal.edges.gamma},
        "picture": {"brightness": cal.brightness, "gamma": cal.gamma},
    }
    if cal.mesh is not None:
        doc["mesh"] = {"columns": cal.mesh.columns, "rows": cal.mesh.rows,
                       "offsets": [list(p) for p in cal.mesh.offsets]}
    if cal.mask is not None:
        doc["mask"] = {"points": [list(p) for p in cal.mask]}
    return doc


def from_document(path: str | Path, doc: dict[str, Any]) -> ProjectorCalibration:
    """A checked calibration from the tables of a projector file (errors name file and key)."""
    top = Fields(path, doc)
    top.unknown({"output", "corners", "mesh", "edges", "mask", "picture"})
    out = top.sub("output")
    out.unknown({"name", "size", "venue"})
    name = out.text("name")
    size = _size(out)
    venue = out.text("venue", "")
    pins = top.sub("corners")
    pins.unknown({"points"})
    corner_list = pins.points("points", count=4, low=CORNER_RANGE[0], high=CORNER_RANGE[1])
    corners: Corners = (corner_list[0], corner_list[1], corner_list[2], corner_list[3])
    if not is_convex(corners):
        raise pins.fail("points", "the four corners (1 top-left, 2 top-right, 3 bottom-right, "
                        "4 bottom-left) must make a convex, unfolded quad")
    mesh = _mesh(top.sub("mesh")) if "mesh" in doc else None
    soft = top.sub("edges", {})
    soft.unknown({"left", "right", "top", "bottom", "gamma"})
    low, high = EDGE_RANGE
    edges = SoftEdges(
        left=soft.number("left", 0.0, low=low, high=high),
        right=soft.number("right", 0.0, low=low, high=high),
        top=soft.number("top", 0.0, low=low, high=high),
        bottom=soft.number("bottom", 0.0, low=low, high=high),
        gamma=soft.number("gamma", 1.0, low=GAMMA_RANGE[0], high=GAMMA_RANGE[1]))
    mask = None
    if "mask" in doc:
        shape = top.sub("mask")
        shape.unknown({"points"})
        points = shape.points("points", at_least=MASK_POINTS[0], low=0.0, high=1.0)
        if len(points) > MASK_POINTS[1]:
            raise shape.fail("points", f"must have at most {MASK_POINTS[1]} points, got "
                             f"{len(points)}")
        problem = polygon_problem(points)
        if problem is not None:  # a line-shaped mask would black out the whole picture
            raise shape.fail("points", problem)
        mask = tuple(points)
    pic = top.sub("picture", {})
    pic.unknown({"brightness", "gamma"})
    return ProjectorCalibration(
        output=name, size=size, venue=venue, corners=corners, mesh=mesh, edges=edges,
        mask=mask,
        brightness=pic.number("brightness", 1.0, low=BRIGHTNESS_RANGE[0],
                              high=BRIGHTNESS_RANGE[1]),
        gamma=pic.number("gamma", 1.0, low=GAMMA_RANGE[0], high=GAMMA_RANGE[1]))


def _size(out: Fields) -> tuple[int, int]:
    raw = out.table.get("size")
    if raw is None:
        raise out.fail("size", "missing")
    if (not isinstance(raw, list) or len(raw) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in raw)):
        raise out.fail("size", f"must be [width, height] whole numbers, got {raw!r}"[:120])
    if not all(1 <= v <= SIDE_LIMIT for v in raw):
        raise out.fail("size", f"{raw} is outside 1..{SIDE_LIMIT} pixels")
    return (raw[0], raw[1])


def _mesh(table: Fields) -> Mesh:
    table.unknown({"columns", "rows", "offsets"})
    low, high = MESH_SIDES
    columns = table.integer("columns", low=low, high=high)
    rows = table.integer("rows", low=low, high=high)
    offsets = table.points("offsets", count=columns * rows, low=OFFSET_RANGE[0],
                           high=OFFSET_RANGE[1])
    return Mesh(columns, rows, tuple(offsets))


def parse_mesh_size(text: str) -> tuple[int, int]:
    """`NxM` (columns x rows, each 2..33) -> (N, M); ValueError for anything else."""
    a, sep, b = text.strip().lower().partition("x")
    low, high = MESH_SIDES
    if sep and a.isdigit() and b.isdigit() and low <= int(a) <= high and low <= int(b) <= high:
        return (int(a), int(b))
    raise ValueError(f"expected COLUMNSxROWS, each {low}..{high}, such as 5x5, got {text!r}")


__all__ = [
    "CalibrationError",
    "Mesh",
    "ProjectorCalibration",
    "SoftEdges",
    "calibration_path",
    "identity",
    "load_projector",
    "parse_mesh_size",
    "save_projector",
]
