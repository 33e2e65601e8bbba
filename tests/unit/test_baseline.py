"""The per-face baseline learns a resting level without absorbing a held expression."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from performance.core.errors import ConfigError
from performance.emotion.baseline import BaselineRule, FaceBaseline, load_baseline, save_baseline


def test_learns_a_resting_level_that_differs_from_the_prior() -> None:
    prior = np.array([0.3, 0.1])
    baseline = FaceBaseline(prior, warmup=2.0, max_shift=0.3)
    rest = np.array([0.45, 0.05])
    for _ in range(300):
        value = baseline.update(rest, 1 / 30)
    assert np.allclose(value, rest, atol=0.01)


def test_fades_in_over_warmup_and_is_limited() -> None:
    prior = np.zeros(1)
    baseline = FaceBaseline(prior, warmup=4.0, max_shift=0.2)
    baseline.update(np.array([0.9]), 0.0)
    early = baseline.update(np.array([0.9]), 1.0)
    assert 0.0 < early[0] < 0.1
    for _ in range(100):
        late = baseline.update(np.array([0.9]), 0.1)
    assert late[0] == pytest.approx(0.2)


def test_held_expression_rises_slowly_but_rest_returns_quickly() -> None:
    prior = np.array([0.1])
    baseline = FaceBaseline(prior, warmup=0.5, rise_time=20.0, fall_time=1.0, max_shift=0.5)
    for _ in range(30):
        baseline.update(np.array([0.1]), 0.1)
    for _ in range(30):  # 3 s of a strong smile
        held = baseline.update(np.array([0.9]), 0.1)
    assert held[0] < 0.25
    for _ in range(30):  # 3 s back at rest
        rested = baseline.update(np.array([0.1]), 0.1)
    assert rested[0] < 0.12


def test_round_trip_and_errors_name_the_file(tmp_path) -> None:
    names = ("a", "b")
    path = tmp_path / "base.toml"
    save_baseline(path, names, np.array([0.25, -0.5]))
    assert np.allclose(load_baseline(path, names), [0.25, -0.5])
    with pytest.raises(ConfigError, match=r"base\.toml.*lacks c"):
        load_baseline(path, ("a", "b", "c"))
    broken = tmp_path / "broken.toml"
    broken.write_text("[baseline\n")
    with pytest.raises(ConfigError, match=r"broken\.toml"):
        load_baseline(broken, names)
    with pytest.raises(ConfigError, match=r"missing\.toml"):
        load_baseline(tmp_path / "missing.toml", names)


def test_the_rule_on_rows_learns_like_one_baseline_per_face() -> None:
    """`BaselineRule` on rows of faces (each its own dt and age) matches a FaceBaseline each."""
    rng = np.random.default_rng(4)
    prior = np.full(6, 0.2)
    faces = [FaceBaseline(prior) for _ in range(4)]
    first = rng.uniform(0, 0.5, (4, 6))
    for baseline, row in zip(faces, first, strict=True):
        baseline.update(row, 0.0)
    rule, envelope, age = BaselineRule(), first.copy(), np.zeros(4)
    for _ in range(60):
        x, dt = rng.uniform(0, 0.5, (4, 6)), rng.choice([0.0, 1 / 30, 0.1], 4)
        envelope, age = rule.step(envelope, x, dt), age + dt
        rows = rule.value(prior, envelope, age)
        for i, baseline in enumerate(faces):
            np.testing.assert_allclose(rows[i], baseline.update(x[i], float(dt[i])),
                                       rtol=0, atol=1e-12)


@pytest.mark.parametrize("kind", ["fifo", "device", "deep"])
def test_a_baseline_that_is_a_fifo_a_device_or_too_deep_is_one_line(tmp_path: Path,
                                                                    kind: str) -> None:
    import os

    path = tmp_path / "baseline.toml"
    if kind == "fifo":
        os.mkfifo(path)  # reading it would block for ever
    elif kind == "device":
        path = Path("/dev/zero")
    else:
        path.write_text("x = " + "[" * 100_000)
    with pytest.raises(ConfigError, match=f"^{path}: "):
        load_baseline(path, ("a",))
