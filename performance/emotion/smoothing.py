"""Frame-rate independent smoothing: a critically damped spring driven by `dt`.

The spring's update is the exact solution of a critically damped second-order system over a
step of `dt` seconds with the target held constant, so a signal sampled at 24, 30 or 60 fps
arrives at the same place at the same time, without overshoot. It works on scalars and numpy
arrays alike (every component is an independent spring); `spring_step` steps rows of springs,
each with its own `dt`, at once (the emotion engine's faces).
"""

from __future__ import annotations

import math

import numpy as np


class CriticallyDamped:
    """A critically damped spring following a target with a given smoothing time (seconds).

    `smooth_time` is roughly the time to cover most of a step (about 87 % after one
    smooth_time, 99 % after two). `value` is None until the first `update`, which snaps to the
    target.
    """

    def __init__(self, smooth_time: float) -> None:
        if smooth_time <= 0:
            raise ValueError(f"smooth_time must be positive (got {smooth_time})")
        self.smooth_time = float(smooth_time)
        self.value: np.ndarray | None = None
        self.velocity: np.ndarray | None = None

    def reset(self, value: np.ndarray | float | None = None) -> None:
        """Forget the state; with a value, snap to it at rest."""
        if value is None:
            self.value = None
            self.velocity = None
        else:
            self.value = np.array(value, dtype=np.float64)
            self.velocity = np.zeros_like(self.value)

    def update(self, target: np.ndarray | float, dt: float) -> np.ndarray:
        """Advance by `dt` seconds toward `target` and return the new value."""
        goal = np.asarray(target, dtype=np.float64)
        if self.value is None or self.velocity is None or self.value.shape != goal.shape:
            self.reset(goal)
            assert self.value is not None
            return self.value.copy()
        if dt <= 0:
            return self.value.copy()
        self.value, self.velocity = spring_step(self.value, self.velocity, goal, dt,
                                                self.smooth_time)
        return self.value.copy()


def spring_step(value: np.ndarray, velocity: np.ndarray, target: np.ndarray,
                dt: float | np.ndarray, smooth_time: float) -> tuple[np.ndarray, np.ndarray]:
    """One step of `CriticallyDamped` for springs side by side: rows of (value, velocity)
    toward rows of `target`, `dt` one number or one per row (a step of 0 stays put).
    Returns the new (value, velocity)."""
    omega = 2.0 / smooth_time
    step: float | np.ndarray
    if isinstance(dt, np.ndarray):
        step = np.maximum(dt, 0.0)[..., None]
        decay: float | np.ndarray = np.exp(-omega * step)
    else:
        step = max(float(dt), 0.0)
        decay = math.exp(-omega * step)
    change = value - target
    temp = (velocity + omega * change) * step
    return target + (change + temp) * decay, (velocity - omega * temp) * decay


def exponential_alpha(dt: float, time_constant: float) -> float:
    """Blend factor of a first-order low-pass for a step of `dt`: same curve at any frame rate."""
    if time_constant <= 0:
        return 1.0
    return 1.0 - math.exp(-max(dt, 0.0) / time_constant)


def exponential_alphas(dt: np.ndarray, time_constant: float) -> np.ndarray:
    """`exponential_alpha` for many steps at once (an array of `dt`)."""
    if time_constant <= 0:
        return np.ones_like(np.asarray(dt, dtype=np.float64))
    return np.asarray(1.0 - np.exp(-np.maximum(dt, 0.0) / time_constant))
