"""Per-face neutral baseline: what this face looks like at rest.

Resting faces are not zero (eye squint and brow lowering sit well above zero in MediaPipe's
scores, and people differ), so expressions are read relative to a baseline. Each face starts
from a prior (an explicit calibrated baseline when one is given, else the population's neutral
face from the calibration) and learns its own resting level while it stays in view: a lower
envelope of its features that falls quickly and rises slowly, so a held smile is not absorbed
as "rest". The learned part fades in over `warmup` seconds and is limited to `max_shift`
from the prior. A face that leaves is forgotten with its baseline. `BaselineRule` is the rule,
for one face (`FaceBaseline`) or for the rows of every face in view at once (the engine).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from performance.core.errors import ConfigError
from performance.core.files import write_atomic
from performance.emotion.smoothing import exponential_alphas


@dataclass(frozen=True)
class BaselineRule:
    """How a face's resting level is learned (see the module docstring), on one face's
    features or on rows of faces at once (each row with its own `dt` and `age`)."""

    fall_time: float = 2.0
    rise_time: float = 20.0
    warmup: float = 4.0
    max_shift: float = 0.2

    def step(self, envelope: np.ndarray, features: np.ndarray,
             dt: float | np.ndarray) -> np.ndarray:
        """The lower envelope after this frame's features, `dt` seconds after the last."""
        step = np.maximum(np.asarray(dt, dtype=np.float64), 0.0)
        step = step[..., None] if step.ndim else step
        down = exponential_alphas(step, self.fall_time)
        up = exponential_alphas(step, self.rise_time)
        rate = np.where(features < envelope, down, up)
        return np.asarray(envelope + rate * (features - envelope))

    def value(self, prior: np.ndarray, envelope: np.ndarray,
              age: float | np.ndarray) -> np.ndarray:
        """The baseline to read expressions against: the prior plus the learned shift,
        faded in over `warmup` seconds of age and limited to `max_shift`."""
        seconds = np.asarray(age, dtype=np.float64)
        seconds = seconds[..., None] if seconds.ndim else seconds
        weight = np.minimum(seconds / self.warmup, 1.0) if self.warmup > 0 else 1.0
        shift = np.minimum(np.maximum(envelope - prior, -self.max_shift), self.max_shift)
        return np.asarray(prior + weight * shift)


class FaceBaseline:
    """The learned resting feature vector of one face."""

    def __init__(
        self,
        prior: np.ndarray,
        *,
        fall_time: float = 2.0,
        rise_time: float = 20.0,
        warmup: float = 4.0,
        max_shift: float = 0.2,
    ) -> None:
        self.prior = np.asarray(prior, dtype=np.float64)
        self.rule = BaselineRule(fall_time, rise_time, warmup, max_shift)
        self._envelope: np.ndarray | None = None
        self.age = 0.0

    def update(self, features: np.ndarray, dt: float) -> np.ndarray:
        """Feed this frame's features (`dt` seconds after the last) and return the baseline."""
        x = np.asarray(features, dtype=np.float64)
        if self._envelope is None:
            self._envelope = x.copy()
        else:
            self._envelope = self.rule.step(self._envelope, x, dt)
            self.age += max(dt, 0.0)
        return self.value

    @property
    def value(self) -> np.ndarray:
        """The baseline to read expressions against now."""
        if self._envelope is None:
            return self.prior.copy()
        return self.rule.value(self.prior, self._envelope, self.age)


def load_baseline(path: Path, feature_names: tuple[str, ...]) -> np.ndarray:
    """Read an explicit calibrated baseline (TOML: [baseline] name = value for every feature)."""
    import tomllib

    from performance.core.files import parse_toml, read_text, reason

    try:
        data = parse_toml(read_text(path))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: no such baseline file") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason})") from exc
    except OSError as exc:  # a FIFO, a device, a folder, unreadable: refused, never read
        raise ConfigError(f"{path}: cannot read the baseline ({reason(exc)})") from exc
    table = data.get("baseline")
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: missing [baseline] table")
    missing = [name for name in feature_names if name not in table]
    if missing:
        raise ConfigError(f"{path}: [baseline] lacks {', '.join(missing)}")
    values = []
    for name in feature_names:
        value = table[name]
        if not isinstance(value, int | float) or not math.isfinite(value):
            raise ConfigError(f"{path}: [baseline] {name} must be a finite number")
        values.append(float(value))
    return np.array(values)


def save_baseline(path: Path, feature_names: tuple[str, ...], values: np.ndarray) -> None:
    """Write a baseline TOML atomically (only when the user asks for one)."""
    lines = [
        "# Essence rig: explicit neutral baseline (mean resting features).",
        "[baseline]",
        *(f"{name} = {float(v):.6f}" for name, v in zip(feature_names, values, strict=True)),
    ]
    write_atomic(path, "\n".join(lines) + "\n")
