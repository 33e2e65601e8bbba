"""Fusing the two readers of a face: the blendshape mapping and the expression network.

Owns the combination rule and the per-face resting level of the network (numpy only):

    logit_k = w_b * log p_blend_k + w_n * (log p_net_k - power * log prior_k - r * rest_k)
              + offset_k
    p = softmax(logit)

`prior` is the share of each class in the network's training set (FER2013), divided out so
the network's preference for frequent classes does not count twice; `offset` shifts whole
classes (the neutral offset); `rest` is how this face's network reading at rest differs from
the population's resting faces (`NetworkRest`), of which the share `r` (`rest_weight`) is
taken out, so a face the network reads as a little sad when it rests is read less sad. The
constants live in `calibration/emotion.toml` under `[fusion]`, fitted by `essence calibrate emotion`
on development data only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from performance.core.types import EMOTIONS
from performance.emotion.smoothing import exponential_alphas

EPS = 1e-6  # probabilities are floored here before the log


def log_probabilities(p: np.ndarray) -> np.ndarray:
    """log of probabilities floored at EPS (rows or one vector)."""
    return np.log(np.minimum(np.maximum(np.asarray(p, dtype=np.float64), EPS), 1.0))


def softmax(logits: np.ndarray) -> np.ndarray:
    """Softmax over the last axis, safe for large and non-finite logits (NaN reads 0,
    infinities +-50)."""
    z = np.asarray(logits, np.float64)
    if not np.isfinite(z).all():
        z = np.nan_to_num(z, nan=0.0, posinf=50.0, neginf=-50.0)
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return np.asarray(e / e.sum(axis=-1, keepdims=True))


def centred(x: np.ndarray) -> np.ndarray:
    """Log-space values less their mean over the classes (what a softmax cannot see)."""
    return np.asarray(x - x.sum(axis=-1, keepdims=True) / x.shape[-1])


@dataclass(frozen=True, eq=False)
class Fusion:
    """The combination constants (see the module docstring); arrays in EMOTIONS order."""

    blendshape_weight: float
    network_weight: float
    prior: np.ndarray  # (7,) class shares of the network's training data
    prior_power: float = 1.0
    offset: np.ndarray = field(default_factory=lambda: np.zeros(len(EMOTIONS)))
    rest_level: np.ndarray = field(default_factory=lambda: np.zeros(len(EMOTIONS)))
    rest_weight: float = 1.0  # share of a face's learned resting difference taken out
    rest_offset: np.ndarray = field(default_factory=lambda: np.zeros(2))  # valence, arousal
    _log_prior: np.ndarray = field(init=False, repr=False)  # prior_power * log(prior)

    def __post_init__(self) -> None:
        k = len(EMOTIONS)
        for name in ("prior", "offset", "rest_level"):
            value = np.asarray(getattr(self, name), dtype=np.float64)
            if value.shape != (k,):
                raise ValueError(f"{name} has shape {value.shape}, expected ({k},)")
            object.__setattr__(self, name, value)
        if np.any(self.prior <= 0):
            raise ValueError("prior shares must be positive")
        object.__setattr__(self, "prior", self.prior / self.prior.sum())
        object.__setattr__(self, "_log_prior", self.prior_power * np.log(self.prior))

    def network_evidence(self, network: np.ndarray) -> np.ndarray:
        """The network's log-probabilities with its training prior divided out, centred."""
        return centred(log_probabilities(network) - self._log_prior)

    def combine(self, blendshapes: np.ndarray | None, network: np.ndarray | None,
                rest: np.ndarray | None = None) -> np.ndarray:
        """Fused probabilities from either reader or both (rows or one vector); `rest` is a
        face's learned network resting level (`NetworkRest.value`), None for a still."""
        evidence = None if network is None else self.network_evidence(network)
        return self.combine_evidence(blendshapes, evidence, rest)

    def combine_evidence(self, blendshapes: np.ndarray | None, evidence: np.ndarray | None,
                         rest: np.ndarray | None = None) -> np.ndarray:
        """`combine` with the network's reading given as its `network_evidence`."""
        logits: np.ndarray = self.offset
        if blendshapes is not None:
            logits = logits + self.blendshape_weight * log_probabilities(blendshapes)
        if evidence is not None:
            if rest is not None:
                evidence = evidence - self.rest_weight * (rest - self.rest_level)
            logits = logits + self.network_weight * evidence
        return softmax(logits)


class NetworkRest:
    """One face's resting level of the network's evidence: it starts at the population's
    resting level and follows this face's evidence slowly (`rest_time`), only in frames the
    caller says the face rests in (the blendshapes read it as neutral), limited to
    `max_shift` from the population. So a face that arrives smiling, or holds an
    expression the blendshapes see, moves it not at all; a face that leaves is forgotten
    with it (like `FaceBaseline` for the blendshape features). `step` and `level` are the
    rule for rows of faces at once (the engine)."""

    def __init__(self, population: np.ndarray, *, rest_time: float = 20.0,
                 max_shift: float = 1.5) -> None:
        self.population = np.asarray(population, dtype=np.float64)
        self.rest_time, self.max_shift = rest_time, max_shift
        self._mean = self.population.copy()
        self.resting_seconds = 0.0

    def update(self, evidence: np.ndarray, dt: float, *, resting: bool) -> np.ndarray:
        """Feed this frame's network evidence (`dt` s after the last); it is learned from
        only when `resting`. Returns the level to read the face against."""
        if resting:
            x = np.asarray(evidence, dtype=np.float64)
            self._mean = self.step(self._mean, x, np.array(dt), np.array(True))
            self.resting_seconds += max(dt, 0.0)
        return self.value

    @property
    def value(self) -> np.ndarray:
        """The level to read this face's network evidence against now."""
        return self.level(self._mean)

    def step(self, mean: np.ndarray, evidence: np.ndarray, dt: np.ndarray,
             resting: np.ndarray) -> np.ndarray:
        """Learned means (rows, or one) after this frame's evidence, `dt` s after the last;
        rows not `resting` stay as they are."""
        alpha = np.where(resting, exponential_alphas(dt, self.rest_time), 0.0)
        alpha = alpha[..., None] if alpha.ndim else alpha
        return np.asarray(mean + alpha * (evidence - mean))

    def level(self, mean: np.ndarray) -> np.ndarray:
        """The level to read against for learned means (rows, or one)."""
        shift = np.minimum(np.maximum(mean - self.population, -self.max_shift), self.max_shift)
        return np.asarray(self.population + shift)
