"""Named easing curves for cue transitions: progress 0..1 in, eased mix 0..1 out.

Every curve maps 0 to 0 and 1 to 1 and is clamped outside 0..1. `cut` jumps at once,
`step` holds the old picture and jumps half-way through the transition.
"""

from __future__ import annotations

import math
from collections.abc import Callable

Easing = Callable[[float], float]


def _linear(t: float) -> float:
    return t


def _in_quad(t: float) -> float:
    return t * t


def _out_quad(t: float) -> float:
    return 1.0 - (1.0 - t) * (1.0 - t)


def _in_out_quad(t: float) -> float:
    return 2.0 * t * t if t < 0.5 else 1.0 - 2.0 * (1.0 - t) * (1.0 - t)


def _in_cubic(t: float) -> float:
    return t * t * t


def _out_cubic(t: float) -> float:
    return 1.0 - (1.0 - t) ** 3


def _in_out_cubic(t: float) -> float:
    return 4.0 * t * t * t if t < 0.5 else 1.0 - 4.0 * (1.0 - t) ** 3


def _in_sine(t: float) -> float:
    return 1.0 - math.cos(t * math.pi / 2.0)


def _out_sine(t: float) -> float:
    return math.sin(t * math.pi / 2.0)


def _in_out_sine(t: float) -> float:
    return 0.5 - 0.5 * math.cos(t * math.pi)


def _step(t: float) -> float:
    return 0.0 if t < 0.5 else 1.0


def _cut(t: float) -> float:
    return 1.0


EASINGS: dict[str, Easing] = {
    "linear": _linear,
    "ease_in": _in_cubic,
    "ease_out": _out_cubic,
    "ease_in_out": _in_out_cubic,
    "ease_in_quad": _in_quad,
    "ease_out_quad": _out_quad,
    "ease_in_out_quad": _in_out_quad,
    "ease_in_cubic": _in_cubic,
    "ease_out_cubic": _out_cubic,
    "ease_in_out_cubic": _in_out_cubic,
    "ease_in_sine": _in_sine,
    "ease_out_sine": _out_sine,
    "ease_in_out_sine": _in_out_sine,
    "step": _step,
    "cut": _cut,
}
"""Every easing name a cue list may use (the `ease_*` names without a suffix are cubic)."""


def get_easing(name: str) -> Easing:
    """The curve called `name`; ValueError listing the known names otherwise."""
    try:
        return EASINGS[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown easing {name!r} (known: {', '.join(EASINGS)})"
        ) from None


def ease(name: str, progress: float) -> float:
    """`progress` (clamped to 0..1) through the curve `name`."""
    t = 0.0 if progress != progress else min(max(progress, 0.0), 1.0)
    if t >= 1.0:
        return 1.0
    return get_easing(name)(t)
