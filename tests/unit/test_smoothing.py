"""The spring smoother behaves the same at 24, 30 and 60 fps and never overshoots a step."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from performance.emotion.smoothing import CriticallyDamped, exponential_alpha, spring_step


def run_step_response(fps: float, seconds: float = 2.0, smooth_time: float = 0.4) -> dict:
    spring = CriticallyDamped(smooth_time)
    spring.update(0.0, 0.0)
    values = {}
    n = round(seconds * fps)
    for i in range(1, n + 1):
        out = float(spring.update(1.0, 1.0 / fps))
        values[round(i / fps, 6)] = out
    return values


@pytest.mark.parametrize("t", [round(1 / 6, 6), 0.5, 1.0, 2.0])
def test_same_curve_at_different_frame_rates(t: float) -> None:
    curves = [run_step_response(fps) for fps in (24.0, 30.0, 60.0)]
    # times that every frame rate samples exactly (multiples of 1/6 s are shared by 24/30/60)
    samples = [c[t] for c in curves]
    assert max(samples) - min(samples) < 1e-9


def test_step_response_is_monotonic_and_reaches_target() -> None:
    curve = list(run_step_response(60.0, seconds=3.0).values())
    assert all(b >= a - 1e-12 for a, b in itertools.pairwise(curve))
    assert max(curve) <= 1.0 + 1e-9
    assert curve[-1] > 0.999


def test_smooth_time_sets_speed() -> None:
    fast = run_step_response(30.0, smooth_time=0.2)[0.5]
    slow = run_step_response(30.0, smooth_time=1.0)[0.5]
    assert fast > 0.9 > 0.5 > slow > 0.1


def test_vectors_smooth_componentwise_and_first_update_snaps() -> None:
    spring = CriticallyDamped(0.5)
    first = spring.update(np.array([0.2, -0.4]), 0.033)
    assert np.allclose(first, [0.2, -0.4])
    out = spring.update(np.array([1.0, -0.4]), 0.1)
    assert 0.2 < out[0] < 1.0
    assert out[1] == pytest.approx(-0.4)


def test_zero_dt_holds_and_bad_smooth_time_is_refused() -> None:
    spring = CriticallyDamped(0.5)
    spring.update(0.0, 0.0)
    assert float(spring.update(1.0, 0.0)) == 0.0
    with pytest.raises(ValueError):
        CriticallyDamped(0.0)


def test_exponential_alpha_composes_across_frame_rates() -> None:
    one_step = exponential_alpha(1 / 30, 0.5)
    two_steps = 1 - (1 - exponential_alpha(1 / 60, 0.5)) ** 2
    assert one_step == pytest.approx(two_steps)


def test_rows_of_springs_step_like_single_springs() -> None:
    """`spring_step` on rows, each with its own dt (0 included), matches one spring each."""
    rng = np.random.default_rng(3)
    springs = [CriticallyDamped(0.4) for _ in range(5)]
    start = rng.uniform(-1, 1, (5, 3))
    for spring, row in zip(springs, start, strict=True):
        spring.reset(row)
    value, velocity = start.copy(), np.zeros_like(start)
    for _ in range(20):
        target, dt = rng.uniform(-1, 1, (5, 3)), rng.choice([0.0, 1 / 60, 1 / 24, 0.2], 5)
        value, velocity = spring_step(value, velocity, target, dt, 0.4)
        for i, spring in enumerate(springs):
            np.testing.assert_allclose(value[i], spring.update(target[i], float(dt[i])),
                                       rtol=0, atol=1e-12)
