"""The one rule for drawn polygons (camera zones, the projector's mask): an area, no crossing."""

from __future__ import annotations

import math

import pytest

from performance.venue.polygon import polygon_area, polygon_problem

SQUARE = ((0.1, 0.1), (0.9, 0.1), (0.9, 0.9), (0.1, 0.9))


def test_simple_polygons_pass_and_keep_their_signed_area() -> None:
    assert polygon_problem(SQUARE) is None
    assert polygon_area(SQUARE) == pytest.approx(0.64)
    assert polygon_area(SQUARE[::-1]) == pytest.approx(-0.64)
    concave = ((0.1, 0.1), (0.9, 0.1), (0.5, 0.4), (0.9, 0.9), (0.1, 0.9))  # an arrow notch
    assert polygon_problem(concave) is None
    star = tuple((0.5 + (0.4 if k % 2 else 0.15) * math.cos(k * math.pi / 5),
                  0.5 + (0.4 if k % 2 else 0.15) * math.sin(k * math.pi / 5)) for k in range(10))
    assert polygon_problem(star) is None
    # a click exactly on another edge only touches it: still one inside a person agrees on
    touching = ((0.1, 0.1), (0.9, 0.1), (0.9, 0.9), (0.5, 0.1), (0.1, 0.9))
    assert polygon_problem(touching) is None


@pytest.mark.parametrize(("points", "problem"), [
    (((0.1, 0.1), (0.5, 0.5), (0.9, 0.9)), "encloses no area (its points lie on one line)"),
    (((0.2, 0.2), (0.2, 0.2), (0.2, 0.2)), "encloses no area (its points lie on one line)"),
    (((0.1, 0.1), (0.9, 0.9), (0.9, 0.1), (0.1, 0.9)),
     "crosses itself (the edge from point 1 to 2 crosses the one from point 3 to 4)"),
    # a pentagram drawn point to point: every edge crosses two others
    (tuple((0.5 + 0.4 * math.cos(k * 4 * math.pi / 5), 0.5 + 0.4 * math.sin(k * 4 * math.pi / 5))
           for k in range(5)), "crosses itself (the edge from point 1 to 2"),
    # an edge that runs back along another
    (((0.1, 0.1), (0.9, 0.1), (0.9, 0.9), (0.5, 0.1), (0.3, 0.1), (0.1, 0.9)),
     "crosses itself (the edge from point 1 to 2 crosses the one from point 4 to 5)"),
])
def test_line_shapes_and_crossings_are_named(points: tuple[tuple[float, float], ...],
                                             problem: str) -> None:
    found = polygon_problem(points)
    assert found is not None and found.startswith(problem), found
