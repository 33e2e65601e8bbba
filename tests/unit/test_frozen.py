"""A frozen live input: the same image counted from its third showing, never a uniform one."""

from __future__ import annotations

import numpy as np
import pytest

from performance.sources.frozen import SAME_MIN_FRAMES, Repeats


def test_the_same_picture_counts_from_its_first_showing_once_it_repeated_enough() -> None:
    rng = np.random.default_rng(1)
    picture = rng.integers(0, 255, (480, 640, 3), dtype=np.uint8)
    repeats = Repeats()
    seen = [repeats.seen(picture, t) for t in (10.0, 10.5, 11.0, 11.5)]
    assert SAME_MIN_FRAMES == 3
    assert seen == [0.0, 0.0, pytest.approx(1.0), pytest.approx(1.5)]
    moved = picture.copy()
    moved[::10, ::10] ^= 1  # a pixel the subsample reads changes: a new picture
    assert repeats.seen(moved, 12.0) == 0.0
    assert repeats.seen(moved, 12.5) == 0.0 and repeats.seen(moved, 13.0) == pytest.approx(1.0)


def test_a_dark_room_or_a_lens_cap_is_never_frozen() -> None:
    repeats = Repeats()
    dark = np.zeros((480, 640, 3), np.uint8)
    assert all(repeats.seen(dark, float(t)) == 0.0 for t in range(20))
