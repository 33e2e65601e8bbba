"""The per-face baseline learns a resting level without absorbing a held expression."""

from __future__ import annotations

import numpy as np
import pytest

from performance.core.errors import ConfigError
from performance.emotion.baseline import FaceBaseline, load_baseline, save_baseline


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
