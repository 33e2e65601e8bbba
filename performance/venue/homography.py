"""Projective maps of the plane: the 3x3 homography taking the unit square to four corners.

Coordinates are normalised output coordinates, (0, 0) the top-left and (1, 1) the
bottom-right; corners are given in the order top-left, top-right, bottom-right, bottom-left
(the corner numbers 1-4 of the projector mapping). The GL warp pass uses the inverse of
`square_to_quad` per fragment; tests and the calibration tool use `apply`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

Point = tuple[float, float]

UNIT_SQUARE: tuple[Point, Point, Point, Point] = ((0.0, 0.0), (1.0, 0.0), (1.0, 1.0),
                                                  (0.0, 1.0))


def square_to_quad(corners: Sequence[Point]) -> np.ndarray:
    """The 3x3 homography H (float64) with H * (u, v, 1) ~ corner for the unit square's
    corners (0,0), (1,0), (1,1), (0,1) in that order. ValueError for a degenerate quad."""
    if len(corners) != 4:
        raise ValueError(f"need 4 corners, got {len(corners)}")
    rows: list[list[float]] = []
    rhs: list[float] = []
    for (u, v), (x, y) in zip(UNIT_SQUARE, corners, strict=True):
        rows.append([u, v, 1.0, 0.0, 0.0, 0.0, -u * x, -v * x])
        rows.append([0.0, 0.0, 0.0, u, v, 1.0, -u * y, -v * y])
        rhs += [x, y]
    a = np.array(rows, dtype=np.float64)
    if abs(np.linalg.det(a)) < 1e-12:
        raise ValueError("the four corners are degenerate (three on a line or two equal)")
    h = np.append(np.linalg.solve(a, np.array(rhs, dtype=np.float64)), 1.0).reshape(3, 3)
    if abs(np.linalg.det(h)) < 1e-12:
        raise ValueError("the four corners are degenerate (three on a line or two equal)")
    return h


def quad_to_square(corners: Sequence[Point]) -> np.ndarray:
    """The inverse of `square_to_quad`: output point -> unit-square (source) coordinates."""
    inverse = np.linalg.inv(square_to_quad(corners))
    return np.asarray(inverse / inverse[2, 2], dtype=np.float64)


def apply(h: np.ndarray, points: np.ndarray | Sequence[Point]) -> np.ndarray:
    """`points` (N, 2) mapped through homography `h`: (N, 2) float64."""
    p = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    q = np.c_[p, np.ones(len(p))] @ h.T
    return np.asarray(q[:, :2] / q[:, 2:3], dtype=np.float64)


def is_convex(corners: Sequence[Point]) -> bool:
    """Whether the four corners, in order, make a convex quad (a homography image of the
    square keeps its orientation: a crossed or folded quad is no corner-pin)."""
    p = np.asarray(corners, dtype=np.float64)
    crosses = []
    for i in range(4):
        a, b, c = p[i], p[(i + 1) % 4], p[(i + 2) % 4]
        (x1, y1), (x2, y2) = b - a, c - b
        crosses.append(float(x1 * y2 - y1 * x2))
    return all(c > 1e-9 for c in crosses) or all(c < -1e-9 for c in crosses)
