"""Whether a polygon drawn on the picture is one a zone or a mask can be: it encloses an area
and its edges do not cross (a bow-tie has no inside a person would agree on).

One rule for the camera's zones (camera.py, and the editor that draws them) and the
projector's mask (projector.py). Points are normalised picture coordinates.
"""

from __future__ import annotations

from collections.abc import Sequence

Point = tuple[float, float]
Polygon = tuple[Point, ...]

MIN_AREA = 1e-6
"""A polygon with less area than this (a millionth of the picture) encloses nothing."""


def polygon_area(points: Sequence[Point]) -> float:
    """The signed area of a polygon (shoelace formula)."""
    total = 0.0
    for i, (x0, y0) in enumerate(points):
        x1, y1 = points[(i + 1) % len(points)]
        total += x0 * y1 - x1 * y0
    return total / 2.0


def polygon_problem(points: Sequence[Point]) -> str | None:
    """Why `points` is no usable polygon (`encloses no area (...)`, `crosses itself (...)`),
    or None when it is one."""
    if _collinear(points):
        return "encloses no area (its points lie on one line)"
    crossing = _first_crossing(points)
    if crossing is not None:
        i, j = crossing
        n = len(points)
        return (f"crosses itself (the edge from point {i + 1} to {(i + 1) % n + 1} crosses the "
                f"one from point {j + 1} to {(j + 1) % n + 1})")
    if abs(polygon_area(points)) < MIN_AREA:
        return "encloses no area"
    return None


def _collinear(points: Sequence[Point]) -> bool:
    """Every point on the line through the two farthest apart (within a tiny tolerance)."""
    (ax, ay), (bx, by) = max(((p, q) for p in points for q in points),
                             key=lambda pq: (pq[0][0] - pq[1][0]) ** 2 + (pq[0][1] - pq[1][1]) ** 2)
    length = ((bx - ax) ** 2 + (by - ay) ** 2) ** 0.5
    if length == 0.0:
        return True
    return all(abs((bx - ax) * (y - ay) - (by - ay) * (x - ax)) / length < MIN_AREA
               for x, y in points)


def _first_crossing(points: Sequence[Point]) -> tuple[int, int] | None:
    """The first pair of edges (by their first points) that cross, neighbours excepted."""
    n = len(points)
    for i in range(n):
        for j in range(i + 1, n):
            if j == i + 1 or (i == 0 and j == n - 1):
                continue  # neighbours share a point
            if _cross(points[i], points[(i + 1) % n], points[j], points[(j + 1) % n]):
                return i, j
    return None


SIDE_TOLERANCE = 1e-9
"""A point this close to a line (twice the triangle's area) is on it: a click mapped through
the crop lands a rounding error off the edge it was on."""


def _side(a: Point, b: Point, c: Point) -> float:
    """Which side of the line a-b the point c is on (+, - or 0 within the tolerance)."""
    side = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
    return 0.0 if abs(side) < SIDE_TOLERANCE else side


def _cross(p1: Point, p2: Point, q1: Point, q2: Point) -> bool:
    """Whether segments p1-p2 and q1-q2 cross (each has the other's ends on opposite
    sides), or lie along one line overlapping by a length. A point of one that only
    touches the other (a click exactly on an edge) is no crossing."""
    d1, d2 = _side(q1, q2, p1), _side(q1, q2, p2)
    d3, d4 = _side(p1, p2, q1), _side(p1, p2, q2)
    if d1 * d2 < 0 and d3 * d4 < 0:
        return True
    if d1 == d2 == d3 == d4 == 0.0:  # along one line: do they share more than a point?
        axis = 0 if abs(p2[0] - p1[0]) + abs(q2[0] - q1[0]) > 0 else 1
        low = max(min(p1[axis], p2[axis]), min(q1[axis], q2[axis]))
        high = min(max(p1[axis], p2[axis]), max(q1[axis], q2[axis]))
        return high > low
    return False
