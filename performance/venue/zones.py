"""Where a face is, by the camera calibration's zones: ignored, the performer, or audience.

Point-in-polygon by the even-odd rule in plain Python over edges made once per zone (a
handful of faces against a few zones: numpy's per-call cost made that ×9 of the bare OpenCV
test, bench/bench_camera.py); zones are in normalised picture coordinates, the space of the
faces' boxes, so nothing is scaled per frame. A face counts as inside a zone when the centre
of its box is.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum

import numpy as np

from performance.venue.camera import CameraCalibration
from performance.venue.polygon import Polygon


class Placement(Enum):
    """What a zone check says about one face."""

    AUDIENCE = "audience"
    PERFORMER = "performer"
    IGNORED = "ignored"


Edges = tuple[tuple[float, float, float, float], ...]
"""A polygon's edges (x0, y0, x1, y1), the last one closing it."""


def edges_of(polygon: Polygon) -> Edges:
    """The edges of `polygon`, made once (a zone is placed against every frame's faces)."""
    points = [(float(x), float(y)) for x, y in polygon]
    return tuple((*a, *b) for a, b in zip(points, points[1:] + points[:1], strict=True))


def hit(x: float, y: float, edges: Edges) -> bool:
    """Whether (x, y) lies inside the polygon of `edges` (even-odd rule)."""
    odd = False
    for x0, y0, x1, y1 in edges:
        if (y0 > y) != (y1 > y) and x < x0 + (y - y0) * (x1 - x0) / (y1 - y0):
            odd = not odd
    return odd


def inside(points: np.ndarray, polygon: Polygon) -> np.ndarray:
    """Which of `points` (N x 2, normalised x, y) lie inside `polygon` (even-odd rule)."""
    edges = edges_of(polygon)
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2).tolist()
    return np.array([hit(x, y, edges) for x, y in pts], dtype=bool)


class ZoneMap:
    """The zones of one camera calibration, ready to place faces (cheap to call each frame)."""

    def __init__(self, ignore: Sequence[Polygon] = (), performer: Polygon | None = None
                 ) -> None:
        self.ignore = tuple(ignore)
        self.performer = performer
        self._ignore = tuple(edges_of(zone) for zone in self.ignore)
        self._performer = edges_of(performer) if performer is not None else None

    @staticmethod
    def of(calibration: CameraCalibration) -> ZoneMap:
        return ZoneMap(calibration.ignore_zones, calibration.performer_zone)

    @property
    def empty(self) -> bool:
        return not self.ignore and self.performer is None

    def place(self, centres: np.ndarray) -> list[Placement]:
        """Each centre's placement: in an ignore zone -> IGNORED (an ignore zone wins over
        the performer zone), else in the performer zone -> PERFORMER, else AUDIENCE."""
        out = []
        for x, y in np.asarray(centres, dtype=np.float64).reshape(-1, 2).tolist():
            if any(hit(x, y, edges) for edges in self._ignore):
                out.append(Placement.IGNORED)
            elif self._performer is not None and hit(x, y, self._performer):
                out.append(Placement.PERFORMER)
            else:
                out.append(Placement.AUDIENCE)
        return out
